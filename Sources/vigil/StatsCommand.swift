import ArgumentParser
import Foundation
import VigilCentre
import VigilDomain
import VigilStore

/// `vigil stats`: the Centre's statistics, read from the node's database (as `GET /v1/stats`
/// answers the Centre's staff).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the Centre's statistics: reports per provider, type and state, decision and referral times, referrals' outcomes and holds.",
        discussion: """
            Counts the reports received from --from (inclusive) until --to (exclusive), either open, and what has happened to \
            them since. Times are medians and 90th percentiles by the nearest-rank method. --json prints the answer of \
            GET /v1/stats instead of tables.
            """)

    @OptionGroup var data: DataOptions
    @Option(help: "The window's start, RFC 3339 (e.g. 2026-01-01T00:00:00Z), on the time each report was received.")
    var from: String?
    @Option(help: "The window's end (exclusive), RFC 3339.")
    var to: String?
    @Flag(help: "Print the figures as JSON (the form GET /v1/stats answers).")
    var json = false

    func run() async throws {
        let window: StatisticsWindow
        do throws(StatisticsWindowError) {
            window = try StatisticsWindow(from: from, to: to)
        } catch {
            throw ValidationError(error.description)
        }
        let store = try await data.openStore()
        let figures = try await StatisticsService(store: store, clock: SystemClock()).statistics(window: window, scope: .all)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
        } else {
            print(Self.render(figures))
        }
    }

    /// The figures as text tables.
    static func render(_ figures: ReportStatistics) -> String {
        var out = "Reports received \(figures.from.map { "from \($0)" } ?? "from the start") \(figures.to.map { "until \($0)" } ?? "until now")"
        out += " (figures at \(figures.generatedAt))\n"
        if let reports = figures.reports {
            let header = ["", "reports", "forwarded", "unfounded", "undecided", "automatic", "unfounded share"]
            func row(_ label: String, _ c: ReportCounts) -> [String] {
                [
                    label, "\(c.reports)", "\(c.forwarded)", "\(c.unfounded)", "\(c.undecided)", "\(c.classifiedAutomatically)",
                    share(c.unfoundedShare),
                ]
            }
            out += "\nBy provider\n"
            out += table(header, reports.byProvider.map { row($0.organisation, $0.counts) } + [row("all", reports.total)])
            out += "\nBy type\n"
            out += table(header, reports.byType.map { row($0.type.rawValue, $0.counts) })
            out += "\nBy state\n"
            out += table(["state", "reports"], ReportState.allCases.map { [$0.rawValue, "\(reports.byState[$0.rawValue, default: 0])"] })
            out += "\nTimes\n"
            out += table(
                ["", "reports", "median", "p90"],
                [duration("receipt to decision (by people)", reports.timeToDecision), duration("receipt to referral", reports.timeToReferral)])
        }
        out += "\nReferrals by recipient\n"
        var header = ["recipient", "referrals", "acknowledged", "on time", "late", "overdue", "awaiting", "late median", "late p90"]
        header += ReferralOutcome.allCases.map(\.rawValue) + ["holds", "in force", "do not inform", "do not remove"]
        func row(_ label: String, _ c: ReferralCounts) -> [String] {
            var cells = [label, "\(c.referrals)", "\(c.acknowledged)", "\(c.onTime)", "\(c.late)", "\(c.overdue)", "\(c.awaiting)"]
            cells += [seconds(c.lateness.medianSeconds), seconds(c.lateness.p90Seconds)]
            cells += ReferralOutcome.allCases.map { "\(c.outcomes[$0.rawValue, default: 0])" }
            cells += ["\(c.holds.placed)", "\(c.holds.active)", "\(c.holds.doNotInform)", "\(c.holds.doNotRemove)"]
            return cells
        }
        out += table(header, figures.referrals.byRecipient.map { row($0.recipient, $0.counts) } + [row("all", figures.referrals.total)])
        return out
    }

    static func duration(_ label: String, _ summary: DurationSummary) -> [String] {
        [label, "\(summary.count)", seconds(summary.medianSeconds), seconds(summary.p90Seconds)]
    }

    /// A duration as `[Nd ]hh:mm:ss` (whole seconds), or `-` when there is none.
    static func seconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        let whole = Int(value.rounded(.down))
        let (days, rest) = whole.quotientAndRemainder(dividingBy: 86_400)
        let clock = String(format: "%02d:%02d:%02d", rest / 3_600, rest % 3_600 / 60, rest % 60)
        return (days > 0 ? "\(days)d " : "") + clock
    }

    static func share(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
    }

    /// Columns padded to their widest cell: the first left-aligned, the others right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
