import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCentre
import VigilDomain
import VigilStore

/// `vigil reports`: a provider's signing key, and reports checked, signed and filed with a Centre.
struct ReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Sign, check and file reports with a Centre; register providers' signing keys at the Centre.",
        subcommands: [Keygen.self, Validate.self, Sign.self, File.self, RegisterKey.self]
    )

    /// Reads a report (JSON, snake_case) from a file, or standard input for `-`.
    static func readReport(_ path: String) throws -> Report {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            data = read
        }
        do {
            return try ReportCoding.decoder().decode(Report.self, from: data)
        } catch {
            throw ValidationError("\(path) is not a report in JSON: \(error)")
        }
    }

    /// Reads a private key file written by `vigil reports keygen` (base64 of the 32-byte raw key).
    static func readSigner(_ path: String) throws -> ReportSigner {
        do {
            return try ReportSigner(keyFile: path)
        } catch {
            throw ValidationError(error.description)
        }
    }

    static func printProblems(_ problems: [ReportProblem]) {
        for problem in problems { print("\(problem.kind.rawValue)\t\(problem.field)\t\(problem.message)") }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a provider's Ed25519 signing key.",
            discussion:
                "Writes the private key (base64) to --out, readable by its owner only, and prints the public key and its id: send the public key to the Centre, which registers it with your organisation."
        )
        @Option(help: "Where to write the private key (not overwritten).")
        var out: String

        func run() throws {
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists; choose another file") }
            let signer = ReportSigner.generate()
            let text = Data(signer.privateKeyBytes).base64EncodedString() + "\n"
            guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(out)")
            }
            print("public key: \(Data(signer.publicKey).base64EncodedString())")
            print("key id: \(signer.keyId)")
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a report before filing it (the Centre's own completeness check); exits 1 when it has problems.")
        @Argument(help: "The report, JSON (- for standard input).")
        var report: String

        func run() throws {
            let problems = ReportValidation.problems(try ReportsCommand.readReport(report))
            if problems.isEmpty {
                print("complete")
            } else {
                ReportsCommand.printProblems(problems)
                throw ExitCode(1)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a report signed with a key file, as `POST /v1/reports` takes it.")
        @Option(help: "The private key file (from `vigil reports keygen`).")
        var key: String
        @Argument(help: "The report, JSON (- for standard input).")
        var report: String

        func run() throws {
            let signed = try ReportsCommand.readSigner(key).sign(try ReportsCommand.readReport(report))
            print(String(decoding: try ReportCoding.encoder().encode(signed), as: UTF8.self))
        }
    }

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check, sign and file a report with a Centre over HTTP; prints the Centre's answer.",
            discussion:
                "The report is checked first and not sent when it has problems. The API key (scope report) comes from --api-key-env (default VIGIL_CENTRE_KEY), never from the command line."
        )
        @Option(help: "The Centre's base URL, e.g. http://127.0.0.1:8090.")
        var centre: String
        @Option(help: "The private key file (from `vigil reports keygen`).")
        var key: String
        @Option(help: "The environment variable that holds the API key.")
        var apiKeyEnv = "VIGIL_CENTRE_KEY"
        @Argument(help: "The report, JSON (- for standard input).")
        var report: String

        func run() async throws {
            guard let apiKey = ProcessInfo.processInfo.environment[apiKeyEnv], !apiKey.isEmpty else {
                throw ValidationError("set \(apiKeyEnv) to the API key the Centre issued (scope report)")
            }
            let report = try ReportsCommand.readReport(report)
            let problems = ReportValidation.problems(report)
            guard problems.isEmpty else {
                ReportsCommand.printProblems(problems)
                throw ExitCode(1)
            }
            let signed = try ReportsCommand.readSigner(key).sign(report)
            var request = HTTPClientRequest(url: centre.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/reports")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try ReportCoding.encoder().encode(signed)))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let status: UInt
            let body: ByteBuffer
            do {
                let response = try await client.execute(request, timeout: .seconds(30))
                status = response.status.code
                body = try await response.body.collect(upTo: 8 << 20)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw ValidationError("the Centre at \(centre) could not be reached: \(error)")
            }
            print(String(buffer: body))
            guard (200..<300).contains(status) else { throw ExitCode(1) }
        }
    }

    struct RegisterKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-key",
            abstract: "At the Centre: register a provider's public signing key with its organisation (local database).")
        @OptionGroup var data: DataOptions
        @Option(name: .customLong("org"), help: "The provider organisation's name.")
        var org: String
        @Option(help: "The public key, base64 (as `vigil reports keygen` printed it).")
        var publicKey: String

        func run() async throws {
            guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else {
                throw ValidationError("the public key is 32 bytes, base64")
            }
            let store = try await data.openStore()
            guard let organisation = try await store.organisation(named: org) else { throw ValidationError("no organisation is named \"\(org)\"") }
            let bytes = Array(raw)
            let user = ProcessInfo.processInfo.environment["USER"] ?? "operator"
            do {
                let key = try await SigningKeys.register(
                    publicKey: bytes, organisationId: organisation.id, by: Actor(name: "cli:\(user)", organisation: nil), in: store)
                print("signing key \(key.keyId) registered for \(organisation.name)")
            } catch {
                throw ValidationError(error.description)
            }
        }
    }
}
