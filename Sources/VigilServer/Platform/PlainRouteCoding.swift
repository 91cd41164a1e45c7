import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilDomain

/// The one way the plain (not generated) JSON routes read their input and write their answers:
/// the caller, a positive id in the path, a JSON body within a limit, integer query parameters and
/// a JSON answer. The Centre's routes, the preservation route and the provider's filings use it.
enum PlainRouteCoding {
    /// The authenticated caller (401 when there is none).
    static func principal(_ context: VigilRequestContext) throws -> Principal {
        guard let principal = context.principal else { throw APIError.unauthorized }
        return principal
    }

    /// The `id` in the path: a positive integer (else 404).
    static func pathId(_ context: VigilRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.notFound("not_found", "the id in the path is a positive integer")
        }
        return id
    }

    /// Reads a JSON body of at most `limit` bytes as `T`; a body that is not valid JSON of that
    /// shape is a 400 naming the field, a larger one a 413.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError.jsonTooLarge(limit: limit)
        }
        // The document allows null nowhere in these bodies; the decoders would read it as absent.
        let nulls = JSONBodyRule.nullMembers(in: Array(buffer.readableBytesView))
        guard nulls.isEmpty else { throw JSONBodyRule.nullNotAllowed(nulls) }
        do {
            // The Centre's types spell their snake_case keys out (ReportCoding): no key conversion.
            return try ReportCoding.decoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw OpenAPIErrors.invalidJSON(error)
        } catch {
            throw APIError.badRequest("invalid_json", "the body is not valid JSON")
        }
    }

    /// `value` as the JSON answer, with `status`.
    static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok, context: VigilRequestContext) throws -> Response {
        jsonResponse(try context.responseEncoder.encode(value), status: status)
    }

    /// An answer of JSON `bytes` (already encoded), with `status`.
    static func jsonResponse(_ bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The query parameter `name` as an integer in `range` (`value` when absent; else 400).
    static func intParameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("invalid_request", "\(name) is an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
