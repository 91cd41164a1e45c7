import AsyncHTTPClient
import Foundation
import Hummingbird
import Testing
import VigilDomain
import VigilExchange
import VigilExchangeClients

/// One service's emulator with what the common failure tests need.
struct ServiceUnderTest {
    let kind: String
    let router: Router<BasicRequestContext>
    let faults: Faults
    let maker: any ExchangeClientMaker
    let settings: @Sendable (_ base: String) -> [String: String]
    let credential: String
    let badCredential: String
    /// A body of the right syntax whose page-level fields have the wrong types.
    let wrongTypes: String
    /// A body that is not the format at all.
    let broken: String

    static func make(_ kind: String, clock: ManualClock) -> ServiceUnderTest {
        switch kind {
        case "fb_threatexchange":
            let emulator = ThreatExchangeEmulator()
            emulator.put(.init(id: "1", indicator: HashSourceFixed.pdq, type: "HASH_PDQ", lastUpdated: 1_700_000_000))
            return ServiceUnderTest(
                kind: kind, router: emulator.router(), faults: emulator.faults, maker: ThreatExchangeClientMaker(clock: clock),
                settings: { ["base_url": $0, "privacy_group": emulator.group] }, credential: emulator.token,
                badCredential: "1234567890|wrongwrongwrongwrongwrong", wrongTypes: #"{"data": {"id": "1"}}"#, broken: #"{"data": [{"id": "1""#)
        case "ncmec":
            let emulator = NCMECEmulator()
            emulator.put(.init(id: "image1", timestamp: 1_767_000_000, fingerprints: [("pdq", HashSourceFixed.pdq)]))
            return ServiceUnderTest(
                kind: kind, router: emulator.router(), faults: emulator.faults, maker: NCMECClientMaker(clock: clock),
                settings: { ["base_url": $0] }, credential: "\(emulator.user):\(emulator.password)", badCredential: "vigil-test:wrong",
                wrongTypes: #"<?xml version="1.0"?><status><member id="1">x</member></status>"#,
                broken: #"<queryResult><images count="1"><image><id>1</id></images></queryResult>"#)
        default:
            let emulator = StopNCIIEmulator()
            emulator.put(.init(hash: HashSourceFixed.pdq, modified: 1_700_000_000))
            return ServiceUnderTest(
                kind: kind, router: emulator.router(), faults: emulator.faults, maker: StopNCIIClientMaker(clock: clock),
                settings: { ["base_url": $0 + "/v1"] }, credential: "\(emulator.functionKey),\(emulator.subscriptionKey)",
                badCredential: "\(emulator.functionKey),wrong-key",
                wrongTypes: #"{"count": 1, "nextPageToken": 7, "nextSetTimestamp": "soon", "hasMoreRecords": "no", "hashRecords": []}"#,
                broken: #"{"count": 1, "hashRecords": [{"signalType": "ImagePDQ", "#)
        }
    }
}

@Suite("Exchange clients: failures")
struct ClientFailureTests {
    static let kinds = ["fb_threatexchange", "ncmec", "stopncii"]

    @Test(arguments: kinds)
    func failuresAreClearErrorsAndTheFetchGoesOnAfterThem(kind: String) async throws {
        let clock = ManualClock()
        let service = ServiceUnderTest.make(kind, clock: clock)
        let server = try await EmulatorServer.start(service.router)
        defer { server.stop() }
        let settings = service.settings(server.base).merging(["max_page_bytes": "4096"], uniquingKeysWith: { $1 })
        let client = try service.maker.makeClient(settings: settings, credential: service.credential)
        func failure() async -> ExchangeError? { await exchangeError { _ = try await client.fetchPage(after: nil) } }

        service.faults.add(.status(429, ["Retry-After": "7"], "slow down"))
        #expect(await failure() == .rateLimited(retryAfter: 7))
        service.faults.add(.status(429, ["Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"], ""))
        #expect(await failure() == .rateLimited(retryAfter: 30))
        service.faults.add(.status(503, [:], "maintenance"))
        let unavailable = await failure()
        #expect(unavailable.map(caseName) == "unavailable")
        #expect(unavailable?.description.contains("HTTP 503 (maintenance)") == true, "\(String(describing: unavailable))")
        service.faults.add(.status(500, [:], ""))
        #expect(await failure().map(caseName) == "unavailable")
        service.faults.add(.body(service.broken))
        let broken = await failure()
        #expect(broken.map(caseName) == "malformed", "\(String(describing: broken))")
        service.faults.add(.body(service.wrongTypes))
        let wrong = await failure()
        #expect(wrong.map(caseName) == "malformed", "\(String(describing: wrong))")
        service.faults.add(.body(String(repeating: " ", count: 5000)))
        let huge = await failure()
        #expect(huge?.description.contains("over the page limit of 4096 bytes") == true, "\(String(describing: huge))")
        service.faults.add(.streamed(1 << 20))
        let streamed = await failure()
        #expect(streamed?.description.contains("over the page limit of 4096 bytes") == true, "\(String(describing: streamed))")
        service.faults.add(.status(302, ["Location": "http://127.0.0.1:9/elsewhere"], ""))
        #expect(await failure().map(caseName) == "misconfigured")

        let refused = try service.maker.makeClient(settings: settings, credential: service.badCredential)
        let unauthorized = await exchangeError { _ = try await refused.fetchPage(after: nil) }
        #expect(unauthorized.map(caseName) == "unauthorized", "\(String(describing: unauthorized))")
        #expect(unauthorized?.description.contains("wrong") == false, "a credential must not appear in errors")

        // After all that, the same client fetches the page whole.
        let page = try await client.fetchPage(after: nil)
        #expect(page.batch.records.map(\.value) == [HashSourceFixed.pdq])
    }

    @Test(arguments: kinds)
    func aServerThatNeverAnswersOrDripsTimesOut(kind: String) async throws {
        let clock = ManualClock()
        let service = ServiceUnderTest.make(kind, clock: clock)
        let silent = try await SilentServer.start()
        let server = try await EmulatorServer.start(service.router)
        defer { server.stop() }
        let timer = ContinuousClock()
        for base in [silent.base, server.base] {
            // The drip would end after 60 s: well past the bound below, which is loose so that a
            // loaded machine does not fail it (0.5 s is the deadline; without one the fetch waits
            // for the whole drip, or for ever on the silent server).
            if base == server.base { service.faults.add(.drip(count: 600, interval: .milliseconds(100))) }
            let settings = service.settings(base).merging(["timeout_seconds": "0.5"], uniquingKeysWith: { $1 })
            let client = try service.maker.makeClient(settings: settings, credential: service.credential)
            let started = timer.now
            let error = await exchangeError { _ = try await client.fetchPage(after: nil) }
            let elapsed = timer.now - started
            #expect(error?.description.contains("did not answer within 0.50 s") == true, "\(String(describing: error))")
            #expect(elapsed < .seconds(30), "the deadline did not hold: \(elapsed)")
        }
        silent.stop()
    }

    @Test func makersRefuseBadSettingsAndCredentials() {
        let clock = ManualClock()
        let token = "1234567890|abcdefghijklmnopqrstuvwx"
        let cases: [(any ExchangeClientMaker, [String: String], String?, String)] = [
            (ThreatExchangeClientMaker(clock: clock), [:], token, "needs the setting \"privacy_group\""),
            (ThreatExchangeClientMaker(clock: clock), ["privacy_group": "12a"], token, "numeric id"),
            (ThreatExchangeClientMaker(clock: clock), ["privacy_group": "12"], "not-a-token", "not an app access token"),
            (ThreatExchangeClientMaker(clock: clock), ["privacy_group": "12"], nil, "needs a credential"),
            (ThreatExchangeClientMaker(clock: clock), ["privacy_group": "12", "colour": "red"], token, "has no setting \"colour\""),
            (ThreatExchangeClientMaker(clock: clock), ["privacy_group": "12", "base_url": "ftp://x"], token, "http:// or https://"),
            (ThreatExchangeClientMaker(clock: clock), ["privacy_group": "12", "page_size": "0"], token, "from 1 to 1000"),
            (NCMECClientMaker(clock: clock), [:], "u:p", "needs the setting \"environment\""),
            (NCMECClientMaker(clock: clock), ["environment": "Moon"], "u:p", "use one of"),
            (NCMECClientMaker(clock: clock), ["environment": "test_Industry"], "nopassword", "user:password"),
            (NCMECClientMaker(clock: clock), ["environment": "NGO", "timeout_seconds": "-1"], "u:p", "seconds from"),
            (StopNCIIClientMaker(clock: clock), [:], "only-one-key", "fetch_function_key,subscription_key"),
            (StopNCIIClientMaker(clock: clock), ["base_url": "http://user:pw@host"], "a,b", "without credentials"),
        ]
        for (maker, settings, credential, expected) in cases {
            do {
                _ = try maker.makeClient(settings: settings, credential: credential)
                Issue.record("\(maker.kind) \(settings) was accepted")
            } catch {
                #expect(caseName(error) == "misconfigured")
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        for maker in ExchangeServiceMakers.all(clock: clock) {
            #expect(maker.settingNames["base_url"] != nil)
            #expect(maker.settingNames["timeout_seconds"] != nil)
        }
        #expect(ExchangeServiceMakers.all(clock: clock).map(\.kind) == ["fb_threatexchange", "ncmec", "stopncii"])
    }
}
