import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilTestSupport

@Suite("Exchange protocols without I/O")
struct ExchangeProtocolTests {
    static let te = ThreatExchangeUpdates(privacyGroup: "303636684709969", pageSize: 2)

    /// A threat_updates page shaped as the Graph API documents it.
    static func tePage(_ updates: [String], next: String? = nil) -> [UInt8] {
        var body = #"{"data":["# + updates.joined(separator: ",") + "]"
        if let next { body += #","paging":{"cursors":{"before":"QVFI","after":"QVFJ"},"next":"\#(next)"}"# }
        return Array((body + "}").utf8)
    }

    static func teUpdate(
        id: String, type: String = "HASH_PDQ", value: String = Hex.p1, time: Int = 1_600_000_000, delete: Bool = false, descriptors: String? = nil
    ) -> String {
        let descriptors =
            descriptors ?? #"{"data":[{"id":"77","owner":{"id":"494491891138576"},"status":"MALICIOUS","tags":["tag_x"],"reactions":[]}]}"#
        return
            #"{"id":"\#(id)","indicator":"\#(value)","type":"\#(type)","last_updated":\#(time),"should_delete":\#(delete),"descriptors":\#(descriptors)}"#
    }

    @Test func requestURLsEncodeAndQueriesParseBack() {
        let request = ExchangeRequest(path: "/v2/entries", query: [.init("from", "2024-03-01T00:00:00Z"), .init("q", "a b&c=d/é")])
        #expect(
            request.url(base: "https://x.example/hashsharing/")
                == "https://x.example/hashsharing/v2/entries?from=2024-03-01T00%3A00%3A00Z&q=a%20b%26c%3Dd%2F%C3%A9")
        #expect(ExchangeRequest.parseQuery("from=2024-03-01T00%3A00%3A00Z&q=a%20b%26c%3Dd%2F%C3%A9") == request.query)
        #expect(ExchangeRequest.parseQuery("a=%zz") == nil)
        #expect(ExchangeRequest.parseQuery("a=%ff") == nil)
    }

    @Test func threatUpdatesMapTypesDeletionsAndTheCursor() throws {
        let video = #"{"data":[{"id":"78","owner":{"id":"1"},"status":"MALICIOUS","tags":{"data":[{"text":"media_type_video"}]}}]}"#
        let disputed = #"{"data":[{"id":"79","owner":{"id":"1"},"status":"NON_MALICIOUS","tags":[]}]}"#
        let hidden = #"{"data":[{"id":"80","status":"MALICIOUS"}]}"#
        let body = Self.tePage(
            [
                Self.teUpdate(id: "1"), Self.teUpdate(id: "2", type: "HASH_MD5", value: Hex.m1, descriptors: video),
                Self.teUpdate(id: "3", type: "HASH_MD5", value: Hex.m2), Self.teUpdate(id: "4", delete: true),
                Self.teUpdate(id: "5", descriptors: disputed), Self.teUpdate(id: "6", descriptors: hidden),
                #"{"id":"7","indicator":"x","type":"HASH_PDQ","last_updated":1600000009,"should_delete":false}"#,
                Self.teUpdate(id: "8", value: "zz", time: 1_600_000_010),
            ],
            next: "https://graph.facebook.com/v21.0/303636684709969/threat_updates/?access_token=123%7Csecret&limit=2&after=QVFJ")
        let page = try Self.te.page(body, after: nil)
        #expect(page.batch.records.map(\.provenance.sourceItemId) == ["1", "2"])
        #expect(page.batch.records.map(\.type) == [.pdq, .md5])
        #expect(page.batch.itemDeletions.map(\.sourceItemId) == ["4", "5", "6", "7"])
        #expect(page.batch.ignored == ["HASH_MD5": 1])
        #expect(page.batch.issues.map(\.record) == [8])
        #expect(page.hasMore)
        #expect(page.checkpoint.timestamp == 1_600_000_010)
        #expect(!page.checkpoint.state.contains("secret"))
        let next = try Self.te.request(after: page.checkpoint)
        #expect(next.path == "/303636684709969/threat_updates/")
        #expect(next.query == [.init("limit", "2"), .init("after", "QVFJ")])

        let last = try Self.te.page(Self.tePage([Self.teUpdate(id: "9", time: 1_600_000_020)]), after: page.checkpoint)
        #expect(!last.hasMore)
        let again = try Self.te.request(after: last.checkpoint)
        #expect(again.query.contains(.init("start_time", "1600000020")))
    }

    @Test func graphErrorsAreReadForWhatTheyMean() {
        func error(_ json: String) -> ExchangeError? { ThreatExchangeUpdates.graphError(Array(json.utf8)) }
        #expect(
            error(#"{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}"#).map { "\($0)" }?.contains("refused")
                == true)
        #expect(error(#"{"error":{"message":"limit","type":"OAuthException","code":613}}"#) == .rateLimited(retryAfter: nil))
        #expect(error(#"{"error":{"message":"bad","type":"GraphMethodException","code":100}}"#) == nil)
        #expect(error("not json") == nil)
    }

    @Test func aCheckpointOfAnotherKindIsRefused() {
        let foreign = ExchangeCheckpoint(state: "{\"start\": 5}")
        #expect(throws: ExchangeError.self) { try Self.te.request(after: foreign) }
        #expect(throws: ExchangeError.self) { try NCMECHashSharing().plan(after: ExchangeCheckpoint(state: "nonsense"), now: 100) }
    }

    /// An NCMEC page as python-threatexchange's tests record NCMEC's documentation.
    static func ncmecPage(ids: [String], next: String?) -> [UInt8] {
        var body = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">"#
        body += #"<images count="\#(ids.count)" maxTimestamp="2017-10-24T15:10:00Z">"#
        for id in ids {
            body += #"<image><member id="42">Example Member</member><timestamp>2017-10-24T15:00:00Z</timestamp><id>\#(id)</id>"#
            body += #"<classification>A1</classification><fingerprints><md5>\#(Hex.m1)</md5></fingerprints></image>"#
        }
        body += "</images>"
        if let next { body += "<paging><next>\(next.replacingOccurrences(of: "&", with: "&amp;"))</next></paging>" }
        return Array((body + "</queryResult>").utf8)
    }

    @Test func ncmecWindowsKeepTheirBoundsUntilTheLastPageThenOverlap() throws {
        let sharing = NCMECHashSharing(start: 1000, overlap: 300, settle: 5)
        let plan = try sharing.plan(after: nil, now: 10_000)
        #expect(plan.request?.query == [.init("from", "1970-01-01T00:16:40Z"), .init("to", "1970-01-01T02:46:35Z")])
        let next = "/v2/entries?from=1970-01-01T00%3A16%3A40Z&to=1970-01-01T02%3A46%3A35Z&start=2&size=1&max=2"
        let first = try sharing.page(Self.ncmecPage(ids: ["a"], next: next), plan: plan)
        #expect(first.hasMore)
        #expect(first.checkpoint.timestamp == 1000)
        // Much later, the same window goes on with its own next.
        let second = try sharing.plan(after: first.checkpoint, now: 20_000)
        #expect(second.request == ExchangeRequest(path: "/v2/entries", query: ExchangeRequest.parseQuery(next.dropFirst(12)) ?? []))
        let done = try sharing.page(Self.ncmecPage(ids: ["b"], next: nil), plan: second)
        #expect(!done.hasMore)
        #expect(done.checkpoint.timestamp == 9995)
        // The next window reaches back by the overlap.
        let third = try sharing.plan(after: done.checkpoint, now: 30_000)
        #expect(third.request?.query.first == ExchangeRequest.QueryItem("from", RFC3339Text.string(9995 - 300)))
        // A next that is not an entries query is refused.
        #expect(throws: ExchangeError.self) { try sharing.page(Self.ncmecPage(ids: ["c"], next: "https://elsewhere.example/x"), plan: third) }
        // Nothing to fetch yet.
        let idle = try sharing.plan(after: done.checkpoint, now: 9995 - 300 + 5)
        #expect(idle.request == nil)
    }

    @Test func stopNCIIPagesFollowTheTokenThenTheNextSet() throws {
        let fetching = StopNCIIHashFetching(pageSize: 2)
        #expect(try fetching.request(after: nil).query == [.init("startTimestamp", "10"), .init("pageSize", "2")])
        let record =
            #"{"signalType":"ImagePDQ","hashValue":"\#(Hex.p1)","hashStatus":"Active","caseNumbers":{"c1":"Active"},"lastModtimestamp":1700000000}"#
        let first = try fetching.page(
            Array(#"{"count":1,"nextPageToken":"tok","nextSetTimestamp":1700000000,"hasMoreRecords":true,"hashRecords":[\#(record)]}"#.utf8),
            after: nil)
        #expect(first.hasMore)
        #expect(try fetching.request(after: first.checkpoint).query.last == ExchangeRequest.QueryItem("nextPageToken", "tok"))
        let last = try fetching.page(
            Array(#"{"count":0,"nextPageToken":null,"nextSetTimestamp":1700000050,"hasMoreRecords":false,"hashRecords":[]}"#.utf8),
            after: first.checkpoint)
        #expect(!last.hasMore)
        #expect(try fetching.request(after: last.checkpoint).query == [.init("startTimestamp", "1700000050"), .init("pageSize", "2")])
        #expect(throws: ExchangeError.self) { try fetching.page(Array(#"{"hasMoreRecords":true,"hashRecords":[]}"#.utf8), after: nil) }
        #expect(throws: ExchangeError.self) { try fetching.page(Array("[]".utf8), after: nil) }
    }

    /// The fuzzer's finding: Foundation's XMLParser crashed on a processing instruction without data.
    @Test func processingInstructionsAndDeclarationsAreMalformedNotACrash() throws {
        let plan = try NCMECHashSharing().plan(after: nil, now: 100_000)
        for text in [
            #"<?x?><qs count="2" ma><qs count="2" maxTryResult>"#, #"<?xml version="1.0"?><queryResult><?x?></queryResult>"#,
            #"<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa">]><queryResult>&a;</queryResult>"#,
        ] {
            #expect(throws: ExchangeError.self) { try NCMECHashSharing().page(Array(text.utf8), plan: plan) }
            var reader = NCMECEntriesReader()
            #expect(throws: ImportError.self) { try reader.readAll(Array(text.utf8)) }
        }
        #expect(throws: ExchangeError.self) { try ExchangeFeedback.ncmecReasons(Array("<?x?><availableFeedbackReasons/>".utf8)) }
        // The declaration itself is fine.
        var reader = NCMECEntriesReader()
        #expect(try reader.readAll(Array(#"<?xml version="1.0"?><queryResult><!-- c --><images count="0"/></queryResult>"#.utf8)).isEmpty)
    }

    /// Seeded mutations of good pages: every parser answers a page or `.malformed`, never traps.
    @Test func mutatedPagesNeverTrap() throws {
        var random = SplitMix64(seed: 7)
        let teBody = Self.tePage([Self.teUpdate(id: "1"), Self.teUpdate(id: "2", delete: true)], next: "https://g/1/threat_updates/?after=x")
        let ncmecBody = Self.ncmecPage(ids: ["a", "b"], next: "/v2/entries?from=a&to=b&start=3&size=2&max=4")
        let record = #"{"signalType":"ImagePDQ","hashValue":"\#(Hex.p1)","hashStatus":"Active","caseNumbers":{"c":"Active"},"lastModtimestamp":1}"#
        let stopBody = Array(#"{"count":1,"nextPageToken":"t","nextSetTimestamp":5,"hasMoreRecords":true,"hashRecords":[\#(record)]}"#.utf8)
        let ncmec = NCMECHashSharing()
        let plan = try ncmec.plan(after: nil, now: 100_000)
        var outcomes = [0, 0]
        for round in 0..<1500 {
            var body = [teBody, ncmecBody, stopBody][round % 3]
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let position = Int.random(in: 0..<body.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: body[position] = UInt8.random(in: 0...255, using: &random)
                case 1: body.remove(at: position)
                default: body.insert(contentsOf: body[position..<min(body.count, position + 8)], at: position)
                }
                if body.isEmpty { body = [0] }
            }
            do {
                switch round % 3 {
                case 0: _ = try Self.te.page(body, after: nil)
                case 1: _ = try ncmec.page(body, plan: plan)
                default: _ = try StopNCIIHashFetching().page(body, after: nil)
                }
                outcomes[0] += 1
            } catch {
                if case .malformed = error { outcomes[1] += 1 } else { Issue.record("round \(round): \(error)") }
            }
        }
        #expect(outcomes[0] + outcomes[1] == 1500)
        #expect(outcomes[0] > 0 && outcomes[1] > 0)
    }
}

/// RFC 3339 text of Unix seconds (UTC), for expectations.
enum RFC3339Text {
    static func string(_ seconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
