import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilAPI

/// Answers `POST /v1/match/hash`, the node's hot path, without the OpenAPI transport's per-request
/// conversions (request and body adapters, its middleware chain, streamed body collection).
///
/// It decodes and encodes the *generated* types (`Components.Schemas.HashQuery` and `MatchAnswer`)
/// with the generated Codable conformances and the same JSON settings, and calls the same handler
/// (``MatchingController/matchHash(_:)``) under the same authentication, logging, metrics and authorisation,
/// so the spec still defines what is accepted and answered. It takes only requests that the
/// generated route would accept as they are: a declared JSON body within the limit, a JSON
/// content type and an `Accept` that allows JSON. Anything else, including a body that does not
/// decode, goes on to the generated route (with the body it already read), which answers exactly
/// as it always has. Tests pin byte-identical answers on both paths.
struct MatchHashFastPath: RouterMiddleware {
    typealias Context = VigilRequestContext

    let matching: MatchingController
    /// The one authoriser (callers it refuses go on to the generated route, which refuses them).
    let authoriser: Authoriser
    /// The JSON body limit the generated route applies (``OperationGuard/maxJSONBytes``).
    let maxJSONBytes: Int
    let decoder = JSONDecoder()
    let encoder: JSONEncoder
    /// The encoder's bytes for a no-match answer, around the query's type and value.
    let emptyAnswer: EmptyAnswerTemplate?

    /// The path this middleware answers.
    static let path = "/v1/match/hash"

    init(matching: MatchingController, authoriser: Authoriser, maxJSONBytes: Int) {
        self.matching = matching
        self.authoriser = authoriser
        self.maxJSONBytes = maxJSONBytes
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.encoder = encoder
        self.emptyAnswer = EmptyAnswerTemplate(encoder: encoder)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path == Self.path, Self.acceptsJSON(request.headers),
            Self.isJSON(request.headers[.contentType]),
            let length = request.headers[.contentLength].flatMap({ Int($0) }), length <= maxJSONBytes,
            let principal = context.principal, authoriser.allows(principal, Operations.MatchHash.id)
        else {
            return try await next(request, context)
        }
        let body = try await request.body.collect(upTo: maxJSONBytes)
        let query: Components.Schemas.HashQuery
        do {
            guard JSONBodyRule.isUTF8(body.readableBytesView) else { throw JSONBodyRule.notUTF8 }
            if let plain = Self.plainQuery(body) {
                query = plain
            } else {
                // A null anywhere is the generated route's to refuse (JSONBodyRule, in OperationGuard).
                let nulls = JSONBodyRule.nullMembers(in: Array(body.readableBytesView))
                guard nulls.isEmpty else { throw JSONBodyRule.nullNotAllowed(nulls) }
                query = try decoder.decode(Components.Schemas.HashQuery.self, from: Data(body.readableBytesView))
            }
        } catch {
            // Let the generated route explain it, from the same bytes.
            var replay = request
            replay.body = RequestBody(buffer: body)
            return try await next(replay, context)
        }
        let output = try await RequestPrincipal.$current.withValue(principal) {
            try await matching.matchHash(.init(body: .json(query)))
        }
        let answer: Components.Schemas.MatchAnswer
        switch output {
        case .ok(let ok):
            switch ok.body {
            case .json(let body): answer = body
            }
        default:
            // The handler answers 200 or throws (errors become JSON errors in the bridge and here alike).
            throw APIError(.internalServerError, code: "internal", "matchHash answered other than 200 without throwing")
        }
        let buffer = try emptyAnswer?.render(answer) ?? ByteBuffer(bytes: encoder.encode(answer))
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer))
    }

    /// The query when the body is exactly `{"type":"…","value":"…"}` (either order, no spaces)
    /// with letters and digits only inside the quotes, as most clients send it; nil for anything
    /// else, which the JSON decoder then reads. For such a body the decoder's result is the same
    /// (a test compares them).
    static func plainQuery(_ body: ByteBuffer) -> Components.Schemas.HashQuery? {
        body.withUnsafeReadableBytes { bytes -> Components.Schemas.HashQuery? in
            var index = 0
            func literal(_ text: StaticString) -> Bool {
                let count = text.utf8CodeUnitCount
                guard index + count <= bytes.count else { return false }
                for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
                index += count
                return true
            }
            func plainString() -> String? {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
                let start = index + 1
                var end = start
                while end < bytes.count, EmptyAnswerTemplate.isPlainByte(bytes[end]) { end += 1 }
                guard end > start, end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
                index = end + 1
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            var type: String?
            var value: String?
            guard literal("{") else { return nil }
            for field in 0..<2 {
                if field == 1 && !literal(",") { return nil }
                if type == nil && literal("\"type\":") {
                    type = plainString()
                } else if value == nil && literal("\"value\":") {
                    value = plainString()
                } else {
                    return nil
                }
            }
            guard literal("}"), index == bytes.count, let type, let value, let signal = Components.Schemas.SignalType(rawValue: type) else {
                return nil
            }
            return Components.Schemas.HashQuery(_type: signal, value: value)
        }
    }

    /// `application/json`, with or without parameters (as the generated route accepts).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        // Byte by byte (Foundation's trimming and case-insensitive comparison cost more than
        // the rest of this check): the media type before any ';', spaces around it ignored.
        var utf8 = contentType.utf8[...]
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        while let first = utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { utf8 = utf8.dropLast() }
        let expected = "application/json".utf8
        guard utf8.count == expected.count else { return false }
        return zip(utf8, expected).allSatisfy { byte, wanted in
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            return lowered == wanted
        }
    }

    /// No `Accept`, or one that is exactly `*/*` or `application/json` (anything else goes to the
    /// generated route's content negotiation).
    static func acceptsJSON(_ headers: HTTPFields) -> Bool {
        let accepts = headers[values: .accept]
        guard !accepts.isEmpty else { return true }
        return accepts.allSatisfy { $0 == "*/*" || $0 == "application/json" }
    }
}
