import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import VigilExchange

/// A local emulator of StopNCII's `GET /v1/FetchHashes`, from python-threatexchange's client:
/// the `Ocp-Apim-Subscription-Key` and `x-functions-key` headers (401 otherwise), `startTimestamp`,
/// `pageSize`, `nextPageToken`, and the response object (`count`, `nextPageToken`,
/// `nextSetTimestamp`, `hasMoreRecords`, `hashRecords` with `signalType`, `hashValue`, `hashStatus`,
/// `caseNumbers`, `lastModtimestamp`, `CSPFeedbacks`). A record is the current state of one hash: a
/// later change replaces it (a withdrawn case sets `hashStatus` to `Withdrawn`).
final class StopNCIIEmulator: Sendable {
    struct Record: Sendable {
        var type = "ImagePDQ"
        var hash: String
        var status = "Active"
        var cases = ["case-1": "Active"]
        var modified: Int64
    }

    let functionKey = "fetch-function-key-generated"
    let subscriptionKey = "subscription-key-generated"
    let faults = Faults()
    private let records = Mutex<[String: Record]>([:])
    private let sets = Mutex<[String: [Record]]>([:])
    let feedbackKey = "feedback-function-key-generated"
    /// SubmitFeedback bodies received.
    let feedback = Mutex<[String]>([])
    /// Scripted answers of the feedback route (before it records anything).
    let feedbackFaults = Faults()

    /// Adds a hash's record, or replaces it.
    func put(_ record: Record) { records.withLock { $0["\(record.type):\(record.hash)"] = record } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/FetchHashes") { request, _ in self.answer(request) }
        router.post("/v1/SubmitFeedback") { request, _ in
            if let fault = self.feedbackFaults.answer(request) { return fault }
            guard request.headers[HTTPField.Name("Ocp-Apim-Subscription-Key")!] == self.subscriptionKey,
                request.headers[HTTPField.Name("x-functions-key")!] == self.feedbackKey
            else { return self.json(401, #"{"statusCode": 401}"#) }
            let body = try await request.body.collect(upTo: 4096)
            self.feedback.withLock { $0.append(String(buffer: body)) }
            return self.json(200, "{}")
        }
        return router
    }

    private func answer(_ request: Request) -> Response {
        if let fault = faults.answer(request) { return fault }
        guard request.headers[HTTPField.Name("Ocp-Apim-Subscription-Key")!] == subscriptionKey,
            request.headers[HTTPField.Name("x-functions-key")!] == functionKey
        else {
            return json(401, #"{"statusCode": 401, "message": "Access denied due to invalid subscription key."}"#)
        }
        let query = queryItems(request)
        let start = query["startTimestamp"].flatMap { Int64($0) } ?? 10
        let size = query["pageSize"].flatMap { Int($0) } ?? 800
        let set: [Record]
        let offset: Int
        if let token = query["nextPageToken"] {
            guard let parts = Data(base64Encoded: token).map({ String(decoding: $0, as: UTF8.self).split(separator: "|") }), parts.count == 2,
                let known = sets.withLock({ $0[String(parts[0])] }), let position = Int(parts[1])
            else { return json(400, #"{"message": "invalid nextPageToken"}"#) }
            set = known
            offset = position
        } else {
            set = records.withLock { Array($0.values) }.filter { $0.modified >= start }.sorted { ($0.modified, $0.hash) < ($1.modified, $1.hash) }
            sets.withLock { $0[String(start)] = set }
            offset = 0
        }
        let page = set.dropFirst(offset).prefix(size)
        let end = offset + page.count
        let more = end < set.count
        let records = page.map { record in
            let cases = record.cases.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
            return
                #"{"lastModtimestamp": \#(record.modified), "signalType": "\#(record.type)", "hashValue": "\#(record.hash)", "hashStatus": "\#(record.status)", "caseNumbers": {\#(cases)}, "CSPFeedbacks": [{"feedbackValue": "Blocked", "tags": [], "source": "Another CSP"}]}"#
        }
        let token = more ? "\"" + Data("\(start)|\(end)".utf8).base64EncodedString() + "\"" : "null"
        let nextSet = set.map(\.modified).max() ?? start
        return json(
            200,
            #"{"count": \#(page.count), "nextPageToken": \#(token), "nextSetTimestamp": \#(nextSet), "hasMoreRecords": \#(more), "hashRecords": [\#(records.joined(separator: ", "))]}"#
        )
    }

    private func json(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
