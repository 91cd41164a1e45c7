import Foundation
import Testing
import VigilTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `vigil serve --sample`, as `make run` starts it: a real process on loopback.
@Suite("vigil serve", .serialized)
struct ServeCommandTests {
    /// A real process on a real port: it waits (polling, bounded by the time limit) for the server to listen.
    @Test(.timeLimit(.minutes(2))) func sampleListMatchesTheCurlItPrints() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-serve-\(UUID().uuidString)").path
        let port = 20_000 + Int(ProcessInfo.processInfo.processIdentifier % 20_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HashCommandTests.binary)
        process.arguments = [
            "serve", "--data-directory", data, "--port", String(port), "--sample",
            TestPaths.fixture("reference/images/pdq-data/bridge-mods"),
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        // Read until the printed curl command.
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("/v1/match/file"), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
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
}
