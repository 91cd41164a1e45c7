import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime

/// Turns what the OpenAPI layer throws into Vigil's JSON errors.
///
/// The runtime wraps everything thrown while decoding a request, running a handler or a server
/// middleware, or encoding the answer in a `ServerError`. The handlers' own errors come out
/// unchanged; a request that does not fit the document is answered as the hand-written routes
/// answered it: `invalid_json` for a body that is not the expected JSON, `unknown_<name>` or
/// `invalid_parameter` for a parameter, `unsupported_content_type` (415), `invalid_multipart`.
enum OpenAPIErrors {
    /// The error to answer `error` with, given the operation's policy.
    static func answer(for error: ServerError, policy: OperationPolicy?) -> any Error {
        if let answer = error.underlyingError as? any HTTPResponseError { return answer }
        let body = policy?.body ?? .none
        if let decoding = error.underlyingError as? DecodingError {
            guard body == .json else { return parameterError(decoding, request: error.request, policy: policy) }
            return invalidJSON(decoding)
        }
        switch error.httpStatus {
        case .unsupportedMediaType:
            let message = body == .json ? "send JSON with Content-Type: application/json" : error.causeDescription
            return APIError(.unsupportedMediaType, code: "unsupported_content_type", message)
        case .notAcceptable:
            return APIError(.notAcceptable, code: "not_acceptable", "\(error.causeDescription) (send Accept: */* or the answer's type)")
        case let status where status.kind == .clientError:
            return APIError(status, code: body == .upload ? "invalid_multipart" : "invalid_request", error.causeDescription)
        default:
            return APIError(.internalServerError, code: "internal_error", "the node failed: \(error.underlyingError)")
        }
    }

    /// A JSON body that does not decode: what is missing or wrong, and where.
    static func invalidJSON(_ error: DecodingError) -> APIError {
        let message: String
        switch error {
        case .keyNotFound(let key, let detail):
            message = "the field \"\(key.stringValue)\" is missing\(place(detail))"
        case .typeMismatch(_, let detail), .valueNotFound(_, let detail):
            message = "wrong type\(place(detail)): \(detail.debugDescription)"
        case .dataCorrupted(let detail):
            message = "invalid value\(place(detail)): \(detail.debugDescription)"
        @unknown default:
            message = "the body is not valid JSON"
        }
        return APIError.badRequest("invalid_json", message)
    }

    /// A path or query parameter that does not decode: a value outside a parameter's choices is
    /// `unknown_<name>`; otherwise the operation's own answer, or `invalid_parameter`.
    static func parameterError(_ error: DecodingError, request: HTTPRequest, policy: OperationPolicy?) -> APIError {
        let query = queryItems(of: request.path ?? "")
        for (name, values) in policy?.choices ?? [] {
            if let given = query[name], !values.contains(given) {
                return APIError.badRequest("unknown_\(name)", "\(name) must be one of \(values.joined(separator: ", "))")
            }
        }
        if let answer = policy?.parameterError { return answer }
        let detail: String
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            detail = context.debugDescription
        case .keyNotFound(let key, _):
            detail = "\(key.stringValue) is missing"
        @unknown default:
            detail = "\(error)"
        }
        return APIError.badRequest("invalid_parameter", "a parameter is not of its documented type: \(detail)")
    }

    /// The query's items by name (the first of repeated names), percent-decoded.
    static func queryItems(of path: String) -> [String: String] {
        guard let start = path.firstIndex(of: "?") else { return [:] }
        var items: [String: String] = [:]
        for pair in path[path.index(after: start)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first?.removingPercentEncoding, items[name] == nil else { continue }
            items[name] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? String(parts[1])) : ""
        }
        return items
    }

    /// ` at messages[1].text` (array positions in brackets), or nothing for the body itself.
    private static func place(_ context: DecodingError.Context) -> String {
        var path = ""
        for key in context.codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return path.isEmpty ? "" : " at " + path
    }
}
