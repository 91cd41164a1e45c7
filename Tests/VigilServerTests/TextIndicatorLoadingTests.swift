import Configuration
import Foundation
import Testing
import VigilServer
import VigilTestSupport
import VigilText

/// Loading the node's indicator sets from a folder, and the `text.*` settings.
@Suite("Text indicator sets at start")
struct TextIndicatorLoadingTests {
    static let shipped = TestPaths.packageRoot.appendingPathComponent("data/text-indicators").path

    static func folder(_ files: [String: String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return folder.path
    }

    static func shippedFile(_ language: String) throws -> String {
        try String(contentsOfFile: shipped + "/grooming-\(language).json", encoding: .utf8)
    }

    @Test func theShippedFolderLoadsThreeLanguages() async throws {
        let assessor = try await TextIndicatorDirectory(path: Self.shipped).assessor()
        #expect(assessor.languages.keys.sorted() == ["de", "en", "fr"])
    }

    @Test func aBadFileStopsTheNodeNamingTheFileAndTheProblem() async throws {
        let english = try Self.shippedFile("en")
        let cases: [([String: String], String, [String])] = [
            (["grooming-en.json": english, "broken.json": "{\"format\": "], "broken.json", ["not an indicator set"]),
            (["bad-weight.json": english.replacingOccurrences(of: "\"weight\": 0.6", with: "\"weight\": 1.6")], "bad-weight.json", ["weight"]),
            (
                ["bad-language.json": english.replacingOccurrences(of: "\"language\": \"en\"", with: "\"language\": \"english\"")],
                "bad-language.json", ["ISO 639-1"]
            ),
            (["a.json": english, "b.json": english], "b.json", ["vigil-grooming-en", "a.json"]),
            (["README.md": "sets go here"], "", ["no indicator set"]),
        ]
        for (files, file, words) in cases {
            let folder = try Self.folder(files)
            await #expect {
                _ = try await TextIndicatorDirectory(path: folder).assessor()
            } throws: { error in
                let text = "\(error)"
                return text.contains(folder + (file.isEmpty ? "" : "/" + file)) && words.allSatisfy(text.contains)
                    && text.contains("text.indicators-directory")
            }
        }
        await #expect {
            _ = try await TextIndicatorDirectory(path: "/nonexistent/vigil-text").assessor()
        } throws: { "\($0)".contains("/nonexistent/vigil-text") && "\($0)".contains("cannot be read") }
    }

    @Test func theFolderIsTheConfiguredOneElseTheShippedOne() throws {
        #expect(TextIndicatorDirectory.forNode(configured: "/srv/sets", executable: nil, workingDirectory: "/")?.path == "/srv/sets")
        let checkout = TestPaths.packageRoot.path
        #expect(TextIndicatorDirectory.forNode(configured: nil, executable: nil, workingDirectory: checkout)?.path == Self.shipped)
        let beside = try Self.folder([:])
        try FileManager.default.createDirectory(atPath: beside + "/data/text-indicators", withIntermediateDirectories: true)
        let binary = URL(fileURLWithPath: beside + "/vigil")
        #expect(
            TextIndicatorDirectory.forNode(configured: nil, executable: binary, workingDirectory: checkout)?.path == beside + "/data/text-indicators")
        #expect(TextIndicatorDirectory.forNode(configured: nil, executable: nil, workingDirectory: try Self.folder([:])) == nil)
    }

    @Test func textSettingsAreReadAndCheckedByName() async throws {
        let defaults = try await NodeConfiguration.load(environment: [:])
        #expect(defaults.textIndicatorsDirectory == nil)
        #expect(defaults.server.conversations == ConversationSettings())
        #expect(defaults.server.conversations.maxMessages == 1_000 && defaults.server.conversations.maxMessageBytes == 4_096)
        let set = try await NodeConfiguration.load(environment: [
            "VIGIL_TEXT_INDICATORS_DIRECTORY": "/srv/sets", "VIGIL_TEXT_MAX_MESSAGES": "50", "VIGIL_TEXT_MAX_MESSAGE_BYTES": "1000",
            "VIGIL_TEXT_MAX_BODY_BYTES": "65536", "VIGIL_TEXT_REVIEW_SCORE": "0.7",
        ])
        #expect(set.textIndicatorsDirectory == "/srv/sets")
        #expect(set.server.conversations.maxMessages == 50 && set.server.conversations.maxMessageBytes == 1_000)
        #expect(set.server.conversations.maxBodyBytes == 65_536 && set.server.conversations.reviewScore == 0.7)
        for (variable, value, key) in [
            ("VIGIL_TEXT_MAX_MESSAGES", "0", "text.max-messages"), ("VIGIL_TEXT_MAX_MESSAGES", "10001", "text.max-messages"),
            ("VIGIL_TEXT_MAX_MESSAGE_BYTES", "20000", "text.max-message-bytes"), ("VIGIL_TEXT_MAX_BODY_BYTES", "-1", "text.max-body-bytes"),
            ("VIGIL_TEXT_REVIEW_SCORE", "1.5", "text.review-score"), ("VIGIL_TEXT_REVIEW_SCORE", "high", "text.review-score"),
        ] {
            await #expect { try await NodeConfiguration.load(environment: [variable: value]) } throws: { "\($0)".contains(key) }
        }
        let empty: [AbsoluteConfigKey: ConfigValue] = ["text.indicators-directory": ConfigValue(.string(""), isSecret: false)]
        await #expect { try await NodeConfiguration.load(flags: empty, environment: [:]) } throws: { "\($0)".contains("text.indicators-directory") }
    }
}
