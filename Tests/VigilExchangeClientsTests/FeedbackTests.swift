import Foundation
import Synchronization
import Testing
import VigilDomain
import VigilExchange
import VigilExchangeClients

@Suite("Exchange clients: feedback")
struct FeedbackTests {
    let clock = ManualClock()

    @Test func threatExchangeReactsOnTheDescriptor() async throws {
        let emulator = ThreatExchangeEmulator()
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let client = ThreatExchangeClient(
            updates: ThreatExchangeUpdates(privacyGroup: emulator.group), baseURL: server.base, token: emulator.token,
            transport: ExchangeTransport(clock: clock))
        for verdict in ExchangeVerdict.allCases { try await client.sendFeedback(descriptorId: "94242", verdict: verdict) }
        #expect(
            emulator.reactions.withLock { $0 } == [
                "94242: reactions=HELPFUL", "94242: reactions=DISAGREE_WITH_TAGS", "94242: reactions=SAW_THIS_TOO",
            ])
        let wrong = ThreatExchangeClient(
            updates: ThreatExchangeUpdates(privacyGroup: emulator.group), baseURL: server.base, token: "1234567890|wrongwrongwrongwrongwrong",
            transport: ExchangeTransport(clock: clock))
        let refused = await exchangeError { try await wrong.sendFeedback(descriptorId: "1", verdict: .seen) }
        #expect(refused.map(caseName) == "unauthorized")
        let bad = await exchangeError { try await client.sendFeedback(descriptorId: "../x", verdict: .seen) }
        #expect(bad.map(caseName) == "misconfigured")
    }

    @Test func ncmecVotesOnAFingerprintAndPicksTheOnlyReason() async throws {
        let emulator = NCMECEmulator()
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let client = NCMECClient(
            sharing: NCMECHashSharing(), baseURL: server.base, user: emulator.user, password: emulator.password,
            transport: ExchangeTransport(clock: clock))
        #expect(try await client.sendFeedback(memberId: "42", entryId: "image1", type: .pdq, verdict: .truePositive))
        #expect(try await client.sendFeedback(memberId: "42", entryId: "image1", type: .md5, verdict: .falsePositive))
        #expect(try await client.sendFeedback(memberId: "42", entryId: "image1", type: .pdq, verdict: .seen) == false)
        let sent = emulator.feedback.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent[0].hasPrefix("42/image1/PDQ: ") && sent[0].contains("<affirmative/>"))
        #expect(sent[1].hasPrefix("42/image1/MD5: ") && sent[1].contains("<guid>01234567-abcd-0123-4567-012345678900</guid>"))
        // Two reasons: the reviewer has to choose.
        emulator.reasons.withLock { $0["11111111-2222-3333-4444-555555555555"] = "Benign" }
        let choose = await exchangeError { _ = try await client.sendFeedback(memberId: "42", entryId: "image1", type: .md5, verdict: .falsePositive) }
        #expect(choose?.description.contains("Benign (11111111-2222-3333-4444-555555555555)") == true, "\(String(describing: choose))")
    }

    @Test func stopNCIISubmitsFeedbackWithItsOwnKey() async throws {
        let emulator = StopNCIIEmulator()
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let maker = StopNCIIClientMaker(clock: clock)
        let settings = ["base_url": server.base + "/v1"]
        let client = try #require(
            try maker.makeClient(settings: settings, credential: "\(emulator.functionKey),\(emulator.subscriptionKey),\(emulator.feedbackKey)")
                as? StopNCIIClient)
        try await client.sendFeedback(hash: HashSourceFixed.pdq, verdict: .truePositive)
        try await client.sendFeedback(hash: HashSourceFixed.pdq, verdict: .falsePositive)
        let sent = emulator.feedback.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let values = sent.compactMap { (($0["hashFeedbacks"] as? [[String: Any]])?.first?["feedbackValue"]) as? String }
        #expect(values == ["Blocked", "NotBlocked"])
        #expect(sent.first?["count"] as? Int == 1)
        let withoutKey = try #require(
            try maker.makeClient(settings: settings, credential: "\(emulator.functionKey),\(emulator.subscriptionKey)") as? StopNCIIClient)
        let missing = await exchangeError { try await withoutKey.sendFeedback(hash: HashSourceFixed.pdq, verdict: .seen) }
        #expect(missing.map(caseName) == "misconfigured")
    }
}
