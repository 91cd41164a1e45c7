import ArgumentParser
import Foundation
import VigilCentre
import VigilDomain
import VigilServer
import VigilStore

/// `vigil keys`: API keys of the node.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys; make and rotate the master key of the Centre's stored files.",
        subcommands: [Create.self, List.self, Revoke.self, GenerateMaster.self, RotateMaster.self]
    )

    struct GenerateMaster: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-master",
            abstract: "Print a new master key (32 random bytes, base64) for content.master-key-file.",
            discussion: """
                To rotate: put the new key on the first line of the master key file and keep the old one on the \
                next, restart the node (it wraps new files with the new key and still opens the old ones), \
                run `vigil keys rotate-master`, then remove the old line.
                """)

        func run() throws {
            print(MasterKey.generate().base64)
        }
    }

    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Rewrap every stored file's key with the current master key (the first in the key file); the files are not re-encrypted.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let configuration = try await data.resolve()
            let keyring: MasterKeyring
            do {
                keyring = try ContentKeys.keyring(for: configuration).keyring
            } catch {
                throw ValidationError(error.message)
            }
            let store = try await data.openStore(configuration)
            let rotation = MasterKeyRotation(store: store, vault: ContentVault(keyring: keyring))
            let done: Int
            do {
                done = try await rotation.run(by: Actor(name: "cli:keys rotate-master", organisation: nil))
            } catch let error as ContentKeyError {
                throw ValidationError(error.message)
            }
            let counts = try await store.fileKeyCounts()
            print("rewrapped \(done) file key(s) with master key \(keyring.current.id)")
            for (id, count) in counts.sorted(by: { $0.key < $1.key }) { print("\(id)\t\(count) file(s)") }
        }
    }

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
