import ArgumentParser

/// The `vigil` command: one binary for the provider node and the Centre.
@main
struct VigilCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Detect, match and report known abuse material by its hashes.",
        version: "0.1.0",
        subcommands: [
            HashCommand.self, IndexCommand.self, MatchCommand.self, ServeCommand.self, OrgsCommand.self, KeysCommand.self, ReportsCommand.self,
            AuditCommand.self, StatsCommand.self, RetentionCommand.self, BackupCommand.self,
        ]
    )
}
