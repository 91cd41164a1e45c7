import AsyncHTTPClient
import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilExchangeClients

@Suite("ThreatExchange client against its emulator")
struct ThreatExchangeClientTests {
    let clock = ManualClock()

    func client(_ emulator: ThreatExchangeEmulator, _ server: EmulatorServer, pageSize: Int = 3) throws -> any ExchangeClient {
        try ThreatExchangeClientMaker(clock: clock).makeClient(
            settings: ["base_url": server.base, "privacy_group": emulator.group, "page_size": String(pageSize)], credential: emulator.token)
    }

    @Test func fullFetchRestartInTheMiddleThenIncrementalUpdatesAndDeletions() async throws {
        let emulator = ThreatExchangeEmulator()
        var hashes = HashSource(seed: 12)
        var expected: [String: Set<String>] = [:]
        for index in 0..<5 {
            let value = hashes.pdq()
            emulator.put(.init(id: "10\(index)", indicator: value, type: "HASH_PDQ", lastUpdated: 1_700_000_000 + Int64(index)))
            expected["10\(index)"] = ["pdq:\(value)"]
        }
        let video = hashes.md5()
        emulator.put(.init(id: "200", indicator: video, type: "HASH_VIDEO_MD5", lastUpdated: 1_700_000_010))
        expected["200"] = ["md5:\(video)"]
        let tagged = hashes.md5()
        emulator.put(.init(id: "201", indicator: tagged, type: "HASH_MD5", lastUpdated: 1_700_000_011, tags: ["media_type_video"]))
        expected["201"] = ["md5:\(tagged)"]
        emulator.put(.init(id: "202", indicator: hashes.md5(), type: "HASH_MD5", lastUpdated: 1_700_000_012))
        emulator.put(.init(id: "203", indicator: "https://example.org/x", type: "URI", lastUpdated: 1_700_000_013))
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }

        // Two pages, then the process "dies": only the stored checkpoint survives.
        var model = ListModel()
        let first = try await drain(try client(emulator, server), from: nil, into: &model, maxPages: 2)
        #expect(!first.upToDate)
        let stored = try #require(first.checkpoint)
        #expect(!stored.state.contains("abcdefghij"), "the access token must not be stored in the checkpoint")
        #expect(stored.state.contains("after"))
        let rest = try await drain(try client(emulator, server), from: stored, into: &model)
        #expect(rest.upToDate)
        #expect(model.items == expected)
        #expect(model.sent.values.allSatisfy { $0 == 1 }, "\(model.sent)")
        #expect(model.ignored == ["HASH_MD5": 1, "URI": 1])
        #expect(rest.checkpoint?.timestamp == 1_700_000_013)
        // The Graph API's `next` names graph.facebook.com; every request still reached the emulator.
        #expect(emulator.faults.requests.count == 3)
        #expect(emulator.faults.requests.dropFirst().allSatisfy { $0.contains("after=") })

        // Later: an update of 100 (a new hash under the same id), a deletion of 101, 102 disputed
        // by its owner, a new one.
        let replaced = hashes.pdq()
        emulator.put(.init(id: "100", indicator: replaced, type: "HASH_PDQ", lastUpdated: 1_700_000_100))
        emulator.put(.init(id: "101", indicator: "", type: "HASH_PDQ", lastUpdated: 1_700_000_101, shouldDelete: true))
        emulator.put(.init(id: "102", indicator: hashes.pdq(), type: "HASH_PDQ", lastUpdated: 1_700_000_102, status: "NON_MALICIOUS"))
        let added = hashes.pdq()
        emulator.put(.init(id: "300", indicator: added, type: "HASH_PDQ", lastUpdated: 1_700_000_103))
        expected["100"] = ["pdq:\(replaced)"]
        expected["101"] = nil
        expected["102"] = nil
        expected["300"] = ["pdq:\(added)"]
        let later = try await drain(try client(emulator, server), from: rest.checkpoint, into: &model)
        #expect(later.upToDate)
        #expect(model.items == expected)
        #expect(later.checkpoint?.timestamp == 1_700_000_103)
        let request = try #require(emulator.faults.requests.dropFirst(3).first)
        #expect(request.contains("start_time=1700000013"))
    }

    @Test func provenanceNamesTheExchangeAndTheIndicator() async throws {
        let emulator = ThreatExchangeEmulator()
        var hashes = HashSource(seed: 13)
        let value = hashes.pdq()
        emulator.put(.init(id: "4242", indicator: value.uppercased(), type: "HASH_PDQ", lastUpdated: 1_700_000_000, tags: ["tag_a"]))
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let page = try await client(emulator, server).fetchPage(after: nil)
        let record = try #require(page.batch.records.first)
        #expect(record.value == value)
        #expect(record.provenance.sourceOrganisation == "ThreatExchange")
        #expect(record.provenance.sourceItemId == "4242")
        #expect(record.provenance.submittedBy == "app 1234567890")
        #expect(record.provenance.decisionReference == "94242")
        #expect(record.provenance.confirmedAt == "2023-11-14T22:13:20Z")
        #expect(record.provenance.note == "HASH_PDQ, privacy group \(emulator.group), status MALICIOUS, tags tag_a")
    }

    @Test func graphAPIErrorsBecomeClearErrors() async throws {
        let emulator = ThreatExchangeEmulator()
        emulator.put(.init(id: "1", indicator: HashSourceFixed.pdq, type: "HASH_PDQ", lastUpdated: 1_700_000_000))
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        // The Graph API rate-limits with HTTP 400/403 and codes 4, 17, 32, 613.
        emulator.faults.add(.status(400, [:], #"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4}}"#))
        let limited = await exchangeError { _ = try await client(emulator, server).fetchPage(after: nil) }
        #expect(limited == ExchangeError.rateLimited(retryAfter: nil))
        // A wrong token: OAuthException 190.
        let wrong = try ThreatExchangeClientMaker(clock: clock).makeClient(
            settings: ["base_url": server.base, "privacy_group": emulator.group], credential: "1234567890|zzzzzzzzzzzzzzzzzzzzzzzz")
        let refused = await exchangeError { _ = try await wrong.fetchPage(after: nil) }
        #expect(refused.map(caseName) == "unauthorized")
        #expect(refused?.description.contains("zzzz") == false, "the token must not appear in errors")
        // An update with broken fields is an issue, not a failed page.
        emulator.faults.add(.body(#"{"data":[{"id":{"x":1}},{"id":"5","last_updated":"soon","should_delete":false}, 7]}"#))
        let page = try await client(emulator, server).fetchPage(after: nil)
        #expect(page.batch.issues.map(\.record) == [1, 2, 3])
        #expect(page.batch.records.isEmpty)
    }
}

enum HashSourceFixed {
    static let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
}
