import ArgumentParser
import Foundation
import VigilDomain
import VigilHex
import VigilStore

/// `vigil audit`: the node's hash-chained audit trail.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check and read the audit trail (every change, and every read of a report, on a hash chain).",
        subcommands: [Verify.self, Tail.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the whole chain; exit 1 and name the first bad event if any was altered, deleted or reordered.",
            discussion: """
                Deleting the newest events cannot be seen from the chain alone: compare the last sequence and hash \
                printed here with a copy kept elsewhere.
                """)
        @OptionGroup var data: DataOptions

        func run() async throws {
            let store = try await data.openStore()
            let report = try await store.verifyAuditChain()
            let last = try await store.auditEvents(after: max(0, report.lastGoodSequence - 1), limit: 1).last
            if report.isValid {
                let hash = last.map { Hex.encode($0.hash) } ?? "-"
                print("valid: \(report.eventsChecked) events; last sequence \(report.lastGoodSequence), hash \(hash)")
            } else {
                print(
                    "broken at event \(report.firstBadSequence.map(String.init) ?? "?"): \(report.problem?.rawValue ?? "?"): "
                        + (report.explanation ?? "") + "; \(report.eventsChecked) events before it verify")
                throw ExitCode(1)
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the newest events, oldest first, one line each (tab-separated).")
        @OptionGroup var data: DataOptions
        @Option(help: "How many events.")
        var count = 20

        func run() async throws {
            let store = try await data.openStore()
            let report = try await store.verifyAuditChain()
            let end = report.firstBadSequence.map { $0 - 1 } ?? report.lastGoodSequence
            let events = try await store.auditEvents(after: max(0, end - Int64(max(1, count))), limit: max(1, count))
            print("sequence\tat\tactor\torganisation\taction\tobject\tdetail")
            for stored in events {
                let e = stored.event
                print("\(stored.sequence)\t\(e.at)\t\(e.actor)\t\(e.organisation ?? "-")\t\(e.action)\t\(e.object)\t\(e.detail ?? "")")
            }
        }
    }
}
