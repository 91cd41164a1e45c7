import ArgumentParser
import Foundation
import VigilDomain
import VigilStore

/// `vigil keys`: API keys of the node.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; its secret is printed once and stored only as a hash.")
        @OptionGroup var data: DataOptions
        @Option(name: .customLong("org"), help: "The organisation the key belongs to (see `vigil orgs`).")
        var org: String?
        @Option(help: ArgumentHelp("A provider organisation's name, registered as a provider when it is not yet (use --org).", visibility: .hidden))
        var organisation: String?
        @Option(
            help: "Comma-separated scopes: hash, match, curate, admin, report, assess, supervise, referrals (what the organisation's kind allows).")
        var scopes: String
        @Option(help: "A note for people.")
        var label = ""

        func run() async throws {
            var parsed = Set<Scope>()
            for name in scopes.split(separator: ",") {
                guard let scope = Scope(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown scope \"\(name)\"; use \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                parsed.insert(scope)
            }
            let store = try await data.openStore()
            do {
                let secret: String
                let info: APIKeyInfo
                if let org {
                    guard let found = try await store.organisation(named: org) else {
                        throw ValidationError("no organisation is named \"\(org)\"; register it with `vigil orgs create`")
                    }
                    (secret, info) = try await store.createKey(organisationId: found.id, scopes: parsed, label: label)
                } else if let organisation {
                    (secret, info) = try await store.createKey(organisation: organisation, scopes: parsed, label: label)
                } else {
                    throw ValidationError("name the key's organisation with --org (see `vigil orgs list`)")
                }
                print(secret)
                FileHandle.standardError.write(
                    Data(
                        "key \(info.id) for \(info.organisation) (\(info.scopes.map(\.rawValue).joined(separator: ","))): store the secret above now, it is not shown again\n"
                            .utf8))
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let store = try await data.openStore()
            print("id\tprefix\torganisation\tscopes\tcreated\trevoked\tlabel")
            for key in try await store.keys() {
                print(
                    "\(key.id)\t\(key.prefix)…\t\(key.organisation)\t\(key.scopes.map(\.rawValue).joined(separator: ","))\t\(key.createdAt)\t\(key.revokedAt ?? "-")\t\(key.label)"
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key at once.")
        @OptionGroup var data: DataOptions
        @Argument(help: "The key's id (see `vigil keys list`).")
        var id: Int64

        func run() async throws {
            let store = try await data.openStore()
            do {
                try await store.revokeKey(id: id)
            } catch {
                throw ValidationError(error.description)
            }
            print("revoked key \(id)")
        }
    }
}
