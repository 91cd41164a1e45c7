import ArgumentParser
import Foundation
import VigilDomain
import VigilStore

/// `vigil orgs`: the organisations that hold API keys.
struct OrgsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orgs",
        abstract: "Register and list organisations (providers, police, Europol, the Centre, auditors, peer centres).",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an organisation.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Its unique name.")
        var name: String
        @Option(help: "What it is: \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        var kind: String
        @Option(
            name: .customLong("member-state"), help: "Its Member State (ISO 3166-1 alpha-2, e.g. DE): required for police and coordinating_authority."
        )
        var memberState: String?

        func run() async throws {
            guard let kind = OrganisationKind(rawValue: kind) else {
                throw ValidationError("unknown kind \"\(kind)\"; use \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var state: MemberState?
            if let memberState {
                guard let parsed = MemberState(rawValue: memberState) else {
                    throw ValidationError("\"\(memberState)\" is not an EU Member State's ISO 3166-1 alpha-2 code (e.g. DE, FR, GR)")
                }
                state = parsed
            }
            let store = try await data.openStore()
            do {
                let organisation = try await store.createOrganisation(NewOrganisation(name: name, kind: kind, memberState: state))
                print(
                    "organisation \(organisation.id): \(organisation.name) (\(organisation.kind.rawValue)\(organisation.memberState.map { ", \($0)" } ?? ""))"
                )
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let store = try await data.openStore()
            print("id\tname\tkind\tmember state\tcreated")
            for organisation in try await store.organisations() {
                print(
                    "\(organisation.id)\t\(organisation.name)\t\(organisation.kind.rawValue)\t\(organisation.memberState?.rawValue ?? "-")\t\(organisation.createdAt)"
                )
            }
        }
    }
}
