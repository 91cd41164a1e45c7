import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilExchangeClients

@Suite("StopNCII client against its emulator")
struct StopNCIIClientTests {
    let clock = ManualClock()

    func client(_ emulator: StopNCIIEmulator, _ server: EmulatorServer) throws -> any ExchangeClient {
        try StopNCIIClientMaker(clock: clock).makeClient(
            settings: ["base_url": server.base + "/v1", "page_size": "3"], credential: "\(emulator.functionKey),\(emulator.subscriptionKey)")
    }

    @Test func fullFetchRestartInTheMiddleThenWithdrawalsAndUpdates() async throws {
        let emulator = StopNCIIEmulator()
        var hashes = HashSource(seed: 31)
        var expected: [String: Set<String>] = [:]
        var pdqs: [String] = []
        for index in 0..<6 {
            let value = hashes.pdq()
            pdqs.append(value)
            emulator.put(.init(hash: value, modified: 1_700_000_000 + Int64(index)))
            expected["ImagePDQ:\(value)"] = ["pdq:\(value)"]
        }
        let video = hashes.md5()
        emulator.put(.init(type: "VideoMD5", hash: video, modified: 1_700_000_010))
        expected["VideoMD5:\(video)"] = ["md5:\(video)"]
        emulator.put(.init(type: "VideoTMK", hash: hashes.pdq(), modified: 1_700_000_011))
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }

        var model = ListModel()
        let first = try await drain(try client(emulator, server), from: nil, into: &model, maxPages: 1)
        #expect(!first.upToDate)
        let rest = try await drain(try client(emulator, server), from: first.checkpoint, into: &model)
        #expect(rest.upToDate)
        #expect(model.items == expected)
        #expect(model.sent.values.allSatisfy { $0 == 1 }, "\(model.sent)")
        #expect(model.ignored == ["VideoTMK": 1])
        #expect(model.issues.isEmpty)
        #expect(rest.checkpoint?.timestamp == 1_700_000_011)
        #expect(emulator.faults.requests[1].contains("nextPageToken="))
        #expect(emulator.faults.requests[1].contains("startTimestamp=10"))

        // A case withdrawn, another hash's cases changed, a new hash.
        emulator.put(.init(hash: pdqs[0], status: "Withdrawn", cases: ["case-1": "Withdrawn"], modified: 1_700_000_100))
        emulator.put(.init(hash: pdqs[1], cases: ["case-1": "Active", "case-9": "Active"], modified: 1_700_000_101))
        let added = hashes.pdq()
        emulator.put(.init(hash: added, modified: 1_700_000_102))
        expected["ImagePDQ:\(pdqs[0])"] = nil
        expected["ImagePDQ:\(added)"] = ["pdq:\(added)"]
        let later = try await drain(try client(emulator, server), from: rest.checkpoint, into: &model)
        #expect(later.upToDate)
        #expect(model.items == expected)
        #expect(model.sent["ImagePDQ:\(pdqs[1])"] == 2)
        #expect(later.checkpoint?.timestamp == 1_700_000_102)
    }

    @Test func provenanceCarriesTheCases() async throws {
        let emulator = StopNCIIEmulator()
        emulator.put(.init(hash: HashSourceFixed.pdq, cases: ["case-b": "Active", "case-a": "Active"], modified: 1_700_000_000))
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let page = try await client(emulator, server).fetchPage(after: nil)
        #expect(
            page.batch.records == [
                IndicatorRecord(
                    type: .pdq, value: HashSourceFixed.pdq,
                    provenance: Provenance(
                        sourceOrganisation: "StopNCII", sourceItemId: "ImagePDQ:\(HashSourceFixed.pdq)", decisionReference: "case-a case-b",
                        note: "status Active, last modified 2023-11-14T22:13:20Z"))
            ])
    }
}
