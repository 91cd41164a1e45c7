import ArgumentParser
import Foundation
import VigilCentre
import VigilDomain
import VigilServer
import VigilStore

/// `vigil retention`: the Centre's retention, run by hand (a Centre node also runs it every few minutes).
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "The Centre's retention of reports and of unfinished CyberTipline submissions.",
        subcommands: [Run.self])

    /// `vigil retention run [--dry-run]`.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Delete the reports past their retention and the CyberTipline submissions left unfinished past their lifetime.",
            discussion: """
                A report is deleted retention.report-days (default 365) after the last action on it (its receipt, a decision, a \
                referral's acknowledgement, outcome or hold), and not while a referral's hold or an authority's preservation \
                request is in force. Deleted with it: its sealed files, referrals, links to items and cases. Each deletion is a \
                report.delete audit event; audit events are never deleted. --dry-run prints what would be deleted and deletes nothing.
                """)

        @OptionGroup var data: DataOptions
        @Flag(help: "Print what would be deleted; delete nothing.")
        var dryRun = false

        func run() async throws {
            let configuration = try await data.resolve()
            let store = try await data.openStore(configuration)
            let settings = RetentionService.Settings(
                rule: RetentionRule(days: configuration.server.retention.reportDays), lifetime: configuration.server.cyberTipline.lifetime)
            let sweep = try await RetentionService(store: store, settings: settings, clock: SystemClock()).sweep(dryRun: dryRun)
            print(Self.render(sweep), terminator: "")
        }

        /// One line per report and submission, then the totals.
        static func render(_ sweep: RetentionService.Sweep) -> String {
            var out = ""
            for report in sweep.reports {
                out += "report \(report.reportId): expired \(report.deletionTime.rfc3339), "
                if let deleted = report.deleted {
                    out += "deleted (\(deleted.files) file(s), \(deleted.referrals) referral(s), \(deleted.items) item link(s))\n"
                } else {
                    out += "would be deleted\n"
                }
            }
            for submission in sweep.submissions {
                out += "cybertipline submission \(submission.submissionId): expired \(submission.expiredAt.rfc3339), "
                out += sweep.dryRun ? "would be deleted with \(submission.files) file(s)\n" : "deleted with \(submission.files) file(s)\n"
            }
            let verb = sweep.dryRun ? "would be deleted" : "deleted"
            out += "\(sweep.reports.count) report(s) and \(sweep.submissions.count) unfinished CyberTipline submission(s) \(verb)\n"
            return out
        }
    }
}
