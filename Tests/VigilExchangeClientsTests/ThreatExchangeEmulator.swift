import Foundation
import Hummingbird
import NIOCore
import Synchronization
import VigilExchange

/// A local emulator of ThreatExchange's Graph API `GET /{privacy-group}/threat_updates/`, from the
/// documentation and python-threatexchange's client: the access token as a query parameter
/// (`OAuthException` code 190 when wrong), `start_time`, `limit`, `fields`, updates in
/// `last_updated` order, one record per indicator (its latest state), and `paging.next` as the
/// Graph API writes it: an absolute URL on graph.facebook.com carrying the token and the `after`
/// cursor (the client must send it to its own base URL, without storing the token).
final class ThreatExchangeEmulator: Sendable {
    struct Update: Sendable {
        var id: String
        var indicator: String
        var type: String
        var lastUpdated: Int64
        var shouldDelete = false
        var status = "MALICIOUS"
        var tags: [String] = []
        var owner = "1234567890"
    }

    let group = "303636684709969"
    let token = "1234567890|abcdefghijklmnopqrstuvwx"
    let faults = Faults()
    private let updates = Mutex<[String: Update]>([:])
    /// Reactions received: "descriptor id: form body".
    let reactions = Mutex<[String]>([])
    /// Scripted answers of the reactions route (before it records anything).
    let feedbackFaults = Faults()

    /// Adds or replaces an indicator's update (same id: its new state).
    func put(_ update: Update) { updates.withLock { $0[update.id] = update } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/:group/threat_updates") { request, context in self.answer(request, context) }
        // The same parameter name as the GET route's (Hummingbird's router requires it): here a descriptor id.
        router.post("/:group") { request, context in
            if let fault = self.feedbackFaults.answer(request) { return fault }
            guard queryItems(request)["access_token"] == self.token else {
                return self.json(400, #"{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}"#)
            }
            let body = try await request.body.collect(upTo: 4096)
            self.reactions.withLock { $0.append("\(context.parameters.get("group") ?? ""): \(String(buffer: body))") }
            return self.json(200, #"{"success":true}"#)
        }
        return router
    }

    private func answer(_ request: Request, _ context: BasicRequestContext) -> Response {
        if let fault = faults.answer(request) { return fault }
        let query = queryItems(request)
        guard query["access_token"] == token else {
            return json(
                400, #"{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190}}"#)
        }
        guard context.parameters.get("group") == group else {
            return json(400, #"{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100}}"#)
        }
        let start = query["start_time"].flatMap { Int64($0) } ?? 0
        let limit = query["limit"].flatMap { Int($0) } ?? 25
        let offset = query["after"].flatMap { Data(base64Encoded: $0) }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        let all = updates.withLock { Array($0.values) }.filter { $0.lastUpdated >= start }
            .sorted { ($0.lastUpdated, $0.id) < ($1.lastUpdated, $1.id) }
        let page = all.dropFirst(offset).prefix(limit)
        var data: [String] = []
        for update in page {
            var fields = [
                "\"id\":\"\(update.id)\"", "\"indicator\":\"\(update.indicator)\"", "\"type\":\"\(update.type)\"",
                "\"last_updated\":\(update.lastUpdated)", "\"should_delete\":\(update.shouldDelete)",
            ]
            if !update.shouldDelete {
                let tags = update.tags.map { "\"\($0)\"" }.joined(separator: ",")
                fields.append(
                    #""descriptors":{"data":[{"id":"9\#(update.id)","reactions":[{"key":"HELPFUL","value":"111"}],"owner":{"id":"\#(update.owner)"},"tags":[\#(tags)],"status":"\#(update.status)"}]}"#
                )
            }
            data.append("{" + fields.joined(separator: ",") + "}")
        }
        var body = "{\"data\":[" + data.joined(separator: ",") + "]"
        let end = offset + page.count
        if end < all.count {
            let after = Data(String(end).utf8).base64EncodedString()
            var next = ExchangeRequest(path: "/v21.0/\(group)/threat_updates/", query: [.init("access_token", token)])
            for name in ["fields", "limit", "start_time"] { if let value = query[name] { next.query.append(.init(name, value)) } }
            next.query.append(.init("after", after))
            body +=
                ",\"paging\":{\"cursors\":{\"before\":\"MAZDZD\",\"after\":\"\(after)\"},\"next\":\"\(next.url(base: "https://graph.facebook.com"))\"}"
        }
        body += "}"
        return json(200, body)
    }

    private func json(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
