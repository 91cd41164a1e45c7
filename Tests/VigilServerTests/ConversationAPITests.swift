import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilServer
import VigilTestSupport
import VigilText

/// `POST /v1/match/conversation` on a node with the shipped indicator sets. The conversations were
/// written for the purpose and are non-explicit (age questions, secrecy requests, moves to another
/// app, meeting plans; ordinary chats about school and sport).
@Suite("Conversation matching API", .serialized)
struct ConversationAPITests {
    static let grooming: [String: [String]] = [
        "en": ["hey how was school", "how old are you?", "dont tell ur parents ok", "add me on snapchat", "lets meet up after school"],
        "de": ["hi wie war die schule", "wie alt bist du", "sag es nicht deinen eltern", "schreib mir auf snapchat", "lass uns treffen"],
        "fr": ["salut ça va", "quel âge as-tu", "ne dis rien à tes parents", "ajoute moi sur snapchat", "on se voit samedi"],
    ]
    static let ordinary: [String: [String]] = [
        "en": ["are you coming to practice tomorrow?", "yes, my mum is driving me", "cool, bring the ball", "see you at 5"],
        "de": ["kommst du morgen zum training?", "ja, meine mutter fährt mich", "super, bring den ball mit", "bis um 5"],
        "fr": ["tu viens à l'entraînement demain ?", "oui, ma mère m'emmène", "cool, apporte le ballon", "à 17h"],
    ]

    /// A request body: the texts sent by two people in turn, a minute apart.
    static func body(_ language: String?, _ texts: [String], hints: [String] = []) -> [String: Any] {
        var body: [String: Any] = [
            "messages": texts.enumerated().map { index, text in
                [
                    "sender": index % 2 == 0 ? "account-a" : "account-b",
                    "at": String(format: "2026-03-01T%02d:%02d:00Z", 10 + index / 60 % 12, index % 60), "text": text,
                ]
            },
            "hints": hints,
        ]
        if let language { body["language"] = language }
        return body
    }

    static func post(
        _ client: some TestClientProtocol, _ node: TestNode, _ body: ByteBuffer, scope: Scope? = .match, json: Bool = true
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/v1/match/conversation", method: .post, headers: node.headers(scope, json: json), body: body) {
            ($0.status, $0.json)
        }
    }

    static func errorCode(_ answer: [String: Any]) -> String? { (answer["error"] as? [String: Any])?["code"] as? String }
    static func errorMessage(_ answer: [String: Any]) -> String { (answer["error"] as? [String: Any])?["message"] as? String ?? "" }

    @Test(arguments: ["en", "de", "fr"])
    func aGroomingPatternScoresHighWithStagesAndReasons(_ language: String) async throws {
        let node = try await TestNode.make()
        let texts = try #require(Self.grooming[language])
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.post(client, node, jsonBody(Self.body(language, texts)))
            #expect(status == .ok, "\(answer)")
            #expect(answer["level"] as? String == "high")
            let score = try #require(answer["score"] as? Double)
            #expect(score >= 0.7 && score <= 1)
            #expect(answer["review_required"] as? Bool == true)
            #expect(answer["languages"] as? [String] == [language])
            let stages = try #require(answer["stages"] as? [[String: Any]])
            let names = Set(stages.compactMap { $0["stage"] as? String })
            #expect(names.isSuperset(of: ["age_probing", "isolation_secrecy", "platform_move", "meeting"]), "\(names)")
            for stage in stages {
                let indicators = try #require(stage["indicators"] as? [[String: Any]])
                #expect(!indicators.isEmpty && stage["category"] as? String == "grooming")
                #expect((stage["score"] as? Double).map { $0 > 0 && $0 <= 1 } == true)
                let messages = try #require(stage["messages"] as? [Int])
                for indicator in indicators {
                    // Which set and indicator, which message, which words, and why it matters.
                    #expect((indicator["set"] as? String) == "vigil-grooming-\(language)")
                    #expect((indicator["id"] as? String)?.hasPrefix("\(language)-\(stage["stage"] as? String ?? "")") == true)
                    #expect(!(indicator["phrase"] as? String ?? "").isEmpty && !(indicator["matched_text"] as? String ?? "").isEmpty)
                    #expect(!(indicator["explanation"] as? String ?? "").isEmpty)
                    let message = try #require(indicator["message"] as? Int)
                    #expect(messages.contains(message) && texts.indices.contains(message))
                }
            }
            let secrecy = try #require(stages.first { $0["stage"] as? String == "isolation_secrecy" })
            #expect(secrecy["messages"] as? [Int] == [2])
            let explanation = try #require(answer["explanation"] as? String)
            #expect(explanation.contains("High risk") && explanation.contains("isolation secrecy (message 2)"), "\(explanation)")
            #expect(explanation.contains("risk signal for a person to check, never a verdict"))
        }
    }

    @Test(arguments: ["en", "de", "fr"])
    func anOrdinaryChatScoresLow(_ language: String) async throws {
        let node = try await TestNode.make()
        let texts = try #require(Self.ordinary[language])
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.post(client, node, jsonBody(Self.body(language, texts, hints: ["recipient_is_minor"])))
            #expect(status == .ok, "\(answer)")
            #expect(answer["level"] as? String == "low")
            #expect(answer["score"] as? Double == 0)
            #expect(answer["review_required"] as? Bool == false)
            #expect((answer["stages"] as? [Any])?.isEmpty == true)
            // The hint raises a score; it makes nothing of nothing.
            #expect((answer["hints_applied"] as? [Any])?.isEmpty == true)
            let explanation = try #require(answer["explanation"] as? String)
            #expect(explanation.contains("No indicator") && explanation.contains("never a verdict"), "\(explanation)")
        }
    }

    /// Without a language the conversation is matched against every loaded one; the minor hint
    /// raises the score and says so.
    @Test func everyLanguageWhenNoneIsNamedAndTheMinorHint() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            let (status, plain) = try await Self.post(client, node, jsonBody(Self.body(nil, ["how old are you?"])))
            #expect(status == .ok)
            #expect(plain["languages"] as? [String] == ["de", "en", "fr"])
            #expect(plain["level"] as? String == "low" && plain["review_required"] as? Bool == false)
            let (_, minor) = try await Self.post(
                client, node, jsonBody(Self.body("EN", ["how old are you?"], hints: ["recipient_is_minor", "first_contact"])))
            #expect(minor["hints_applied"] as? [String] == ["recipient_is_minor", "first_contact"])
            #expect((minor["score"] as? Double ?? 0) > (plain["score"] as? Double ?? 1))
            #expect(minor["level"] as? String == "medium" && minor["review_required"] as? Bool == true)
            #expect((minor["explanation"] as? String ?? "").contains("recipient_is_minor, first_contact raised the score"))
        }
    }

    /// Each bad input is answered with its own 4xx and a message that says what to send; none is a 5xx.
    @Test func badInputIsAClear4xx() async throws {
        let node = try await TestNode.make()
        let longText = String(repeating: "é", count: 2_049)  // 2,049 characters, 4,098 bytes of UTF-8
        let cases: [(String, ByteBuffer, HTTPResponse.Status, String, [String])] = [
            ("no messages", jsonBody(["messages": [Any]()]), .unprocessableContent, "empty_conversation", ["at least one message"]),
            (
                "too many messages", jsonBody(Self.body("en", Array(repeating: "see you at 5", count: 1_001))), .unprocessableContent,
                "too_many_messages", ["1001 messages", "at most 1000", "text.max-messages"]
            ),
            (
                "a text over 4,096 bytes", jsonBody(Self.body("en", ["hello", longText])), .unprocessableContent, "message_too_long",
                ["messages[1].text", "4098 bytes", "4096"]
            ),
            (
                "an unknown hint", jsonBody(Self.body("en", ["hello"], hints: ["recipient_is_minor", "is_suspicious"])), .unprocessableContent,
                "unknown_hint", ["hints[1]", "is_suspicious", "recipient_is_minor, sender_account_new, first_contact"]
            ),
            (
                "a language with no set", jsonBody(Self.body("es", ["hola"])), .unprocessableContent, "unknown_language",
                ["\"es\"", "loaded: de, en, fr"]
            ),
            (
                "a time that is not RFC 3339", jsonBody(["messages": [["sender": "a", "at": "yesterday", "text": "hello"]]]),
                .unprocessableContent, "invalid_time", ["messages[0].at", "RFC 3339"]
            ),
            ("no messages field", jsonBody(["language": "en"]), .badRequest, "invalid_json", ["messages"]),
            (
                "a text of the wrong type", jsonBody(["messages": [["sender": "a", "text": "hi"], ["sender": "b", "text": 5]]]), .badRequest,
                "invalid_json", ["messages", "1", "text"]
            ),
            ("a message without its sender", jsonBody(["messages": [["text": "hi"]]]), .badRequest, "invalid_json", ["sender"]),
            (
                "hints that are not a list", jsonBody(["messages": [["sender": "a", "text": "hi"]], "hints": "x"]), .badRequest, "invalid_json",
                ["hints"]
            ),
            ("JSON cut short", ByteBuffer(string: #"{"messages": [{"sender": "a", "#), .badRequest, "invalid_json", []),
        ]
        try await node.application.test(.router) { client in
            for (label, body, expected, code, words) in cases {
                let (status, answer) = try await Self.post(client, node, body)
                #expect(status == expected, "\(label): \(status) \(answer)")
                #expect(Self.errorCode(answer) == code, "\(label): \(answer)")
                let message = Self.errorMessage(answer)
                for word in words { #expect(message.contains(word), "\(label): \(message)") }
            }
            // Exactly at the limits is accepted.
            let atLimit = String(repeating: "é", count: 2_048)
            let (status, answer) = try await Self.post(client, node, jsonBody(Self.body("en", Array(repeating: atLimit, count: 2))))
            #expect(status == .ok, "\(answer)")
            let (many, _) = try await Self.post(client, node, jsonBody(Self.body("en", Array(repeating: "see you at 5", count: 1_000))))
            #expect(many == .ok)
            // A body that is not declared as JSON.
            let (unsupported, plain) = try await Self.post(client, node, jsonBody(Self.body("en", ["hello"])), json: false)
            #expect(unsupported == .unsupportedMediaType, "\(plain)")
        }
    }

    /// The conversation's own body limit (`text.max-body-bytes`), below the node's.
    @Test func aBodyOverTheConversationLimitIs413() async throws {
        var settings = TestNode.defaultSettings
        settings.conversations.maxBodyBytes = 2_000
        let node = try await TestNode.make(settings: settings)
        try await node.application.test(.router) { client in
            let big = jsonBody(Self.body("en", Array(repeating: "see you at practice tomorrow", count: 60)))
            #expect(big.readableBytes > 2_000)
            let (status, answer) = try await Self.post(client, node, big)
            #expect(status == .contentTooLarge, "\(answer)")
            #expect(Self.errorCode(answer) == "body_too_large" && Self.errorMessage(answer).contains("2000 bytes"))
            let (small, _) = try await Self.post(client, node, jsonBody(Self.body("en", ["see you at practice tomorrow"])))
            #expect(small == .ok)
        }
    }

    @Test func onlyKeysWithTheMatchScope() async throws {
        let node = try await TestNode.make()
        let body = jsonBody(Self.body("en", ["how old are you?"]))
        try await node.application.test(.router) { client in
            let (none, answer) = try await Self.post(client, node, body, scope: nil)
            #expect(none == .unauthorized && Self.errorCode(answer) == "unauthorized")
            for scope in [Scope.hash, .curate, .report] {
                let (status, refused) = try await Self.post(client, node, body, scope: scope)
                #expect(status == .forbidden && Self.errorCode(refused) == "forbidden", "\(scope)")
            }
            var unknown = node.headers(nil)
            unknown[.authorization] = "Bearer vk_" + String(repeating: "0", count: 48)
            let status = try await client.execute(uri: "/v1/match/conversation", method: .post, headers: unknown, body: body) { $0.status }
            #expect(status == .unauthorized)
            for scope in [Scope.match, .admin] {
                let (allowed, answer) = try await Self.post(client, node, body, scope: scope)
                #expect(allowed == .ok, "\(scope): \(answer)")
            }
        }
    }

    /// 50 requests at once (grooming and ordinary chats in three languages) each get the answer
    /// the same request gets alone.
    @Test func concurrentRequestsAllAnswerCorrectly() async throws {
        let node = try await TestNode.make()
        let variants = ["en", "de", "fr"].flatMap { language in
            [Self.body(language, Self.grooming[language] ?? []), Self.body(language, Self.ordinary[language] ?? [])]
        }.map { try? JSONSerialization.data(withJSONObject: $0) }
        let headers = node.headers(.match)
        try await node.application.test(.router) { client in
            var expected: [Data] = []
            for variant in variants {
                let body = ByteBuffer(bytes: try #require(variant))
                let answer = try await client.execute(uri: "/v1/match/conversation", method: .post, headers: headers, body: body) {
                    #expect($0.status == .ok)
                    return Data($0.body.readableBytesView)
                }
                expected.append(answer)
            }
            var generator = SplitMix64(seed: 13)
            let order = (0..<50).map { _ in Int.random(in: 0..<variants.count, using: &generator) }
            let answers = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status, Data).self) { group in
                for (request, variant) in order.enumerated() {
                    let body = ByteBuffer(bytes: variants[variant] ?? Data())
                    group.addTask {
                        try await client.execute(uri: "/v1/match/conversation", method: .post, headers: headers, body: body) {
                            (request, $0.status, Data($0.body.readableBytesView))
                        }
                    }
                }
                var answers: [(Int, HTTPResponse.Status, Data)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.count == 50)
            for (request, status, data) in answers {
                #expect(status == .ok)
                #expect(data == expected[order[request]], "request \(request)")
            }
            let levels = expected.map { (try? JSONSerialization.jsonObject(with: $0) as? [String: Any])?["level"] as? String }
            #expect(levels == ["high", "low", "high", "low", "high", "low"])
        }
    }

    /// A node that loaded no indicator set says so and what to set.
    @Test func aNodeWithoutSetsSaysWhatToSet() async throws {
        var bare = try await TestNode.make()
        bare.conversationAssessor = nil
        let node = bare
        try await node.application.test(.router) { client in
            let (status, answer) = try await Self.post(client, node, jsonBody(Self.body("en", ["hello"])))
            #expect(status == .serviceUnavailable)
            #expect(Self.errorCode(answer) == "no_text_indicators" && Self.errorMessage(answer).contains("text.indicators-directory"))
        }
    }
}
