import Foundation
import Hummingbird
import NIOCore
import Synchronization
import VigilExchange
import VigilTestSupport

/// A local emulator of NCMEC's hash-sharing API v2 `GET /v2/entries`, shaped after NCMEC's
/// documentation as python-threatexchange's tests record it: HTTP Basic credentials, `from`/`to`
/// (RFC 3339), `<queryResult>` pages with `<images>`/`<videos>` (`maxTimestamp`), `<image>`,
/// `<video>`, `<deletedImage>`, `<deletedVideo>`, fingerprints, and `<paging><next>` as a
/// `/v2/entries?from=…&to=…&start=…&size=…&max=…` query (escaped as `&amp;`).
///
/// Entries are served out of time order (a seeded shuffle), and a window's entries are fixed when its
/// first page is asked for, so a `next` is only meaningful with its own `from`/`to`.
final class NCMECEmulator: Sendable {
    struct Entry: Sendable {
        var id: String
        var member = "42"
        var video = false
        var deleted = false
        var timestamp: Int64
        var fingerprints: [(String, String)] = []
        var classification: String? = "A1"
    }

    let user = "vigil-test"
    let password = "s3cret-generated"
    let faults = Faults()
    let pageSize: Int
    private let entries = Mutex<[String: Entry]>([:])
    private let windows = Mutex<[String: [Entry]]>([:])
    /// Feedback received: "member/entry/TYPE: body".
    let feedback = Mutex<[String]>([])
    /// Scripted answers of the feedback route (before it records anything).
    let feedbackFaults = Faults()
    /// The negative-feedback reasons offered, guid → name.
    let reasons = Mutex(["01234567-abcd-0123-4567-012345678900": "Not the reported content"])

    init(pageSize: Int = 3) { self.pageSize = pageSize }

    /// Adds an entry, or sends an entry again under its id (an update or a deletion).
    func put(_ entry: Entry) { entries.withLock { $0[entry.id] = entry } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v2/entries") { request, _ in self.answer(request) }
        router.get("/v2/feedback/:type/reasons") { request, context in
            guard self.authorised(request) else { return Response(status: .unauthorized) }
            let type = context.parameters.get("type") ?? ""
            let items = self.reasons.withLock { $0 }.map { #"<reason guid="\#($0.key)" name="\#($0.value)" type="\#(type)"/>"# }
            return self.xml(
                200,
                #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><availableFeedbackReasons xmlns="https://hashsharing.ncmec.org/hashsharing/v2">"#
                    + items.joined() + "</availableFeedbackReasons>")
        }
        router.put("/v2/entries/:member/:entry/:type/feedback") { request, context in
            if let fault = self.feedbackFaults.answer(request) { return fault }
            guard self.authorised(request) else { return Response(status: .unauthorized) }
            let body = try await request.body.collect(upTo: 4096)
            let key = ["member", "entry", "type"].map { context.parameters.get($0) ?? "" }.joined(separator: "/")
            self.feedback.withLock { $0.append("\(key): \(String(buffer: body))") }
            return self.xml(
                200,
                #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><submissionResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"/>"#)
        }
        return router
    }

    private func answer(_ request: Request) -> Response {
        if let fault = faults.answer(request) { return fault }
        guard authorised(request) else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"hashsharing\""])
        }
        let query = queryItems(request)
        guard let fromText = query["from"], let toText = query["to"], let from = Self.seconds(fromText), let to = Self.seconds(toText) else {
            return xml(400, "<error>from and to are required</error>")
        }
        let key = "\(from)|\(to)"
        let start = query["start"].flatMap { Int($0) } ?? 1
        let window: [Entry]
        if start == 1 {
            var generator = SplitMix64(seed: UInt64(bitPattern: from &* 31 &+ to))
            window = entries.withLock { Array($0.values) }.filter { $0.timestamp >= from && $0.timestamp <= to }
                .sorted { $0.id < $1.id }.shuffled(using: &generator)
            windows.withLock { $0[key] = window }
        } else {
            guard let known = windows.withLock({ $0[key] }) else { return xml(400, "<error>unknown paging query</error>") }
            window = known
        }
        let page = Array(window.dropFirst(start - 1).prefix(pageSize))
        var body = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        body += #"<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">"# + "\n"
        for (element, isVideo) in [("images", false), ("videos", true)] {
            let part = page.filter { $0.video == isVideo }
            guard !part.isEmpty else {
                body += "<\(element) count=\"0\"/>\n"
                continue
            }
            let maxStamp = part.map(\.timestamp).max() ?? 0
            body += "<\(element) count=\"\(part.count)\" maxTimestamp=\"\(RFC3339Text.string(maxStamp))\">\n"
            for entry in part {
                let name = (entry.deleted ? "deleted" + (isVideo ? "Video" : "Image") : (isVideo ? "video" : "image"))
                body += "<\(name)><member id=\"\(entry.member)\">Member \(entry.member)</member>"
                body += "<timestamp>\(RFC3339Text.string(entry.timestamp))</timestamp><id>\(entry.id)</id>"
                if !entry.deleted {
                    if let classification = entry.classification { body += "<classification>\(classification)</classification>" }
                    body += "<fingerprints>"
                    for (kind, value) in entry.fingerprints { body += "<\(kind)>\(value)</\(kind)>" }
                    body += #"<tmk-pdqf rel="self" href="/v2/entries/1/fingerprints/TMK_PDQF"/></fingerprints>"#
                }
                body += "</\(name)>\n"
            }
            body += "</\(element)>\n"
        }
        let end = start - 1 + page.count
        if end < window.count {
            let next = ExchangeRequest(
                path: "/v2/entries",
                query: [
                    .init("from", fromText), .init("to", toText), .init("start", String(end + 1)), .init("size", String(pageSize)),
                    .init("max", String(window.count)),
                ]
            ).url(base: "")
            body += "<paging><next>\(next.replacingOccurrences(of: "&", with: "&amp;"))</next></paging>\n"
        }
        body += "</queryResult>\n"
        return xml(200, body)
    }

    private func authorised(_ request: Request) -> Bool {
        request.headers[.authorization] == "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    private func xml(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/xml"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func seconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }
}

/// RFC 3339 text of Unix seconds (UTC).
enum RFC3339Text {
    static func string(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
