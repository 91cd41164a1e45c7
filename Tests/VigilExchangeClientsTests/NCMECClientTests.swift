import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilExchangeClients

@Suite("NCMEC client against its emulator")
struct NCMECClientTests {
    let clock = ManualClock()
    var now: Int64 { Int64(clock.now().timeIntervalSince1970) }

    func client(_ emulator: NCMECEmulator, _ server: EmulatorServer, _ extra: [String: String] = [:]) throws -> any ExchangeClient {
        try NCMECClientMaker(clock: clock).makeClient(
            settings: ["base_url": server.base].merging(extra, uniquingKeysWith: { $1 }), credential: "\(emulator.user):\(emulator.password)")
    }

    /// Ten entries (images with PDQ and MD5, videos with MD5) over the last day.
    func seed(_ emulator: NCMECEmulator, _ hashes: inout HashSource) -> [String: Set<String>] {
        var expected: [String: Set<String>] = [:]
        for index in 0..<10 {
            let video = index % 3 == 2
            let md5 = hashes.md5()
            var fingerprints = [("md5", md5), ("sha1", hashes.md5() + "abcdabcd")]
            var values: Set<String> = ["md5:\(md5)"]
            if !video {
                let pdq = hashes.pdq()
                fingerprints.append(("pdq", pdq))
                values.insert("pdq:\(pdq)")
            }
            emulator.put(.init(id: "entry\(index)", video: video, timestamp: now - 86_400 + Int64(index) * 600, fingerprints: fingerprints))
            expected["entry\(index)"] = values
        }
        return expected
    }

    @Test func outOfOrderPagesRestartInTheMiddleUpdatesDeletionsAndLateEntries() async throws {
        let emulator = NCMECEmulator(pageSize: 3)
        var hashes = HashSource(seed: 21)
        var expected = seed(emulator, &hashes)
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }

        var model = ListModel()
        let first = try await drain(try client(emulator, server), from: nil, into: &model, maxPages: 2)
        #expect(!first.upToDate)
        // The process dies; a new client resumes the same window from the stored `next`.
        let rest = try await drain(try client(emulator, server), from: first.checkpoint, into: &model)
        #expect(rest.upToDate)
        #expect(rest.pages == 2)
        #expect(model.items == expected)
        #expect(model.sent.values.allSatisfy { $0 == 1 }, "an entry was applied twice within one window: \(model.sent)")
        #expect(model.ignored["sha1"] == 10)
        #expect(model.ignored["tmk-pdqf"] == 10)
        #expect(rest.checkpoint?.timestamp == now - 5)
        let resumed = emulator.faults.requests[2]
        #expect(resumed.contains("start=7"), "\(resumed)")

        // Later: an entry becomes visible with a timestamp before the checkpoint (it was late), one is
        // sent again with a new fingerprint, one is deleted, one is new.
        let late = hashes.md5()
        emulator.put(.init(id: "late", video: true, timestamp: now - 100, fingerprints: [("md5", late)]))
        let updated = hashes.md5()
        emulator.put(.init(id: "entry2", video: true, timestamp: now + 10, fingerprints: [("md5", updated)]))
        emulator.put(.init(id: "entry3", deleted: true, timestamp: now + 20))
        let fresh = hashes.pdq()
        emulator.put(.init(id: "fresh", timestamp: now + 30, fingerprints: [("pdq", fresh)]))
        clock.advance(by: 300.0)
        expected["late"] = ["md5:\(late)"]
        expected["entry2"] = ["md5:\(updated)"]
        expected["entry3"] = nil
        expected["fresh"] = ["pdq:\(fresh)"]
        var withoutOverlap = model
        let later = try await drain(try client(emulator, server), from: rest.checkpoint, into: &model)
        #expect(later.upToDate)
        #expect(model.items == expected)

        // Without the overlap the late entry is lost: the reason for it.
        _ = try await drain(try client(emulator, server, ["overlap_seconds": "0"]), from: rest.checkpoint, into: &withoutOverlap)
        #expect(withoutOverlap.items["late"] == nil)
        #expect(withoutOverlap.items["fresh"] != nil)
    }

    @Test func aWindowTooLargeIsSplitBeforeAnythingIsApplied() async throws {
        let emulator = NCMECEmulator(pageSize: 3)
        var hashes = HashSource(seed: 22)
        let expected = seed(emulator, &hashes)
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let transport = ExchangeTransport(clock: clock)
        let client = NCMECClient(
            sharing: NCMECHashSharing(start: now - 90_000, maxWindowEntries: 4), baseURL: server.base, user: emulator.user,
            password: emulator.password, transport: transport)
        var model = ListModel()
        let result = try await drain(client, from: nil, into: &model)
        #expect(result.upToDate)
        #expect(model.items == expected)
        let windows = Set(emulator.faults.requests.compactMap { $0.split(separator: "&").first(where: { $0.contains("from=") }) })
        #expect(windows.count > 2, "the window was not split: \(emulator.faults.requests)")
    }

    @Test func aPagingQueryKeptTooLongRestartsItsWindow() async throws {
        let emulator = NCMECEmulator(pageSize: 3)
        var hashes = HashSource(seed: 23)
        let expected = seed(emulator, &hashes)
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        var model = ListModel()
        let first = try await drain(try client(emulator, server), from: nil, into: &model, maxPages: 1)
        clock.advance(by: 13 * 3600.0)
        let rest = try await drain(try client(emulator, server), from: first.checkpoint, into: &model)
        #expect(rest.upToDate)
        #expect(model.items == expected)
        #expect(!emulator.faults.requests[1].contains("start="), "\(emulator.faults.requests)")
        let window = try #require(emulator.faults.requests[0].split(separator: "?").last)
        #expect(emulator.faults.requests[1].contains(window))
    }

    @Test func provenanceIsTheFileImportsOwn() async throws {
        let emulator = NCMECEmulator(pageSize: 3)
        let pdq = HashSourceFixed.pdq
        emulator.put(.init(id: "image1", timestamp: now - 1000, fingerprints: [("pdq", pdq)]))
        let server = try await EmulatorServer.start(emulator.router())
        defer { server.stop() }
        let page = try await client(emulator, server).fetchPage(after: nil)
        #expect(
            page.batch.records == [
                IndicatorRecord(
                    type: .pdq, value: pdq,
                    provenance: Provenance(
                        sourceOrganisation: "NCMEC", sourceItemId: "image1", submittedBy: "member 42 (Member 42)",
                        confirmedAt: RFC3339Text.string(now - 1000), note: "image, classification A1"))
            ])
    }
}
