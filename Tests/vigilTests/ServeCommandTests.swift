import Foundation
import Testing
import VigilTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `vigil serve --sample`, as `make run` starts it: a real process on loopback.
@Suite("vigil serve", .serialized)
struct ServeCommandTests {
    /// Starts `vigil serve … --sample` (the bridge images) on a fresh data folder with `arguments`,
    /// and reads what it prints until `marker` (at most 60 s). The caller terminates the process.
    static func serve(_ arguments: [String], until marker: String) throws -> (Process, String) {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-serve-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HashCommandTests.binary)
        process.arguments =
            ["serve", "--data-directory", data] + arguments + ["--sample", TestPaths.fixture("reference/images/pdq-data/bridge-mods")]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains(marker), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return (process, text)
    }

    /// A real process on a real port: it waits (polling, bounded by the time limit) for the server to listen.
    @Test(.timeLimit(.minutes(2))) func sampleListMatchesTheCurlItPrints() async throws {
        let port = 20_000 + Int(ProcessInfo.processInfo.processIdentifier % 20_000)
        // Read until the printed curl command.
        let (process, text) = try Self.serve(["--port", String(port)], until: "/v1/match/file")
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        #expect(text.contains("Sample list \"sample\": 4 benign images"))
        let key = try #require(text.split(separator: " ").first { $0.hasPrefix("vk_") }.map { String($0.prefix(51)) })
        let image = try #require(text.split(separator: "@").last?.split(separator: " ").first.map(String.init))

        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)/v1/match/file")))
        request.httpMethod = "POST"
        request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization")
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: image))
        var body: [String: Any] = [:]
        for _ in 0..<50 {
            if let (data, _) = try? await URLSession.shared.data(for: request),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                body = json
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let matches = try #require(body["matches"] as? [[String: Any]])
        #expect(matches.contains { $0["distance"] as? Int == 0 && $0["list"] as? String == "sample" })
    }

    /// `make run` (`--role all`): the printed walkthrough works as printed: the provider files the
    /// report with the printed command, the analyst and the supervisor forward it with the printed
    /// keys, and the German police see it while the French police do not.
    @Test(.timeLimit(.minutes(2))) func theWalkthroughWorksAsPrinted() async throws {
        let port = 20_000 + Int((ProcessInfo.processInfo.processIdentifier + 7_919) % 20_000)
        let (process, text) = try Self.serve(["--role", "all", "--port", String(port)], until: "audit tail")
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let lines = text.split(separator: "\n").map(String.init)
        func key(_ label: String) throws -> String {
            let line = try #require(lines.first { $0.contains(label) && $0.contains("vk_") }, "no key for \(label)")
            return try #require(line.split(separator: " ").last.map(String.init))
        }
        // Step 1, as printed: VIGIL_CENTRE_KEY=… vigil reports file --centre … --key … report.json
        let command = try #require(lines.first { $0.contains("reports file") }).trimmingCharacters(in: .whitespaces).split(separator: " ").map(
            String.init)
        let environment = try #require(command.first?.split(separator: "=", maxSplits: 1).map(String.init))
        let base = "http://127.0.0.1:\(port)"
        var filed: [String: Any] = [:]
        for _ in 0..<50 {
            let file = Process()
            file.executableURL = URL(fileURLWithPath: HashCommandTests.binary)
            file.arguments = Array(command.dropFirst(2))
            file.environment = [environment[0]: environment[1]]
            let answer = Pipe()
            file.standardOutput = answer
            file.standardError = FileHandle.nullDevice
            try file.run()
            let body = answer.fileHandleForReading.readDataToEndOfFile()
            file.waitUntilExit()
            if file.terminationStatus == 0, let json = try JSONSerialization.jsonObject(with: body) as? [String: Any] {
                filed = json
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let id = try #require(filed["id"] as? Int, "the printed vigil reports file command filed the report")
        #expect(filed["state"] as? String == "queued")

        func call(_ path: String, _ who: String, body: String? = nil) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: try #require(URL(string: base + path)))
            request.setValue("Bearer " + (try key(who)), forHTTPHeaderField: "Authorization")
            if let body {
                request.httpMethod = "POST"
                request.httpBody = Data(body.utf8)
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }
        #expect(try await call("/v1/reports/\(id)/decision", "Centre analyst", body: #"{"decision":"forward"}"#).0 == 200)
        let (reviewed, review) = try await call("/v1/reports/\(id)/review", "Centre supervisor", body: #"{"approve":true}"#)
        #expect(reviewed == 200 && review["state"] as? String == "forwarded")
        let (germanStatus, german) = try await call("/v1/referrals", "Polizei DE")
        let (frenchStatus, french) = try await call("/v1/referrals", "Police FR")
        #expect(germanStatus == 200 && (german["referrals"] as? [[String: Any]])?.map { $0["recipient"] as? String } == ["DE"])
        #expect(frenchStatus == 200 && (french["referrals"] as? [Any])?.isEmpty == true)
    }
}
