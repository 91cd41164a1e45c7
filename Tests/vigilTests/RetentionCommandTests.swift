import Foundation
import Testing

/// `vigil retention run`, the built binary on a node's database (the sweep itself is tested with a
/// manual clock in VigilCentreTests' RetentionTests).
@Suite("vigil retention command")
struct RetentionCommandTests {
    @Test func aDryRunAndARunOnAnEmptyCentre() throws {
        let data = try StatsCommandTests.dataDirectory()
        let dry = try HashCommandTests.vigil(["retention", "run", "--dry-run", "--data-directory", data])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("0 report(s) and 0 unfinished CyberTipline submission(s) would be deleted"), "\(dry.stdout)")
        let run = try HashCommandTests.vigil(["retention", "run", "--data-directory", data])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("0 report(s) and 0 unfinished CyberTipline submission(s) deleted"), "\(run.stdout)")
    }

    @Test func aBadRetentionPeriodNamesItsKey() throws {
        let run = try HashCommandTests.vigil(
            ["retention", "run", "--data-directory", try StatsCommandTests.dataDirectory()], environment: ["VIGIL_RETENTION_REPORT_DAYS": "0"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("retention.report-days"), "\(run.stderr)")
    }
}
