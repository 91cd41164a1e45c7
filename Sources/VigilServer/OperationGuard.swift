import VigilDomain
import HTTPTypes
import OpenAPIRuntime
import VigilStore

/// Checks every `/v1` operation before its input is decoded: the caller's key must have one of
/// the operation's scopes (deny by default: an operation without a policy is refused to every key),
/// and a JSON body or an upload must fit in its limit (413 past it).
///
/// An OpenAPI server middleware, so it knows the operation by id; the caller comes from
/// ``RequestPrincipal``. What it throws reaches the client through ``OpenAPIBridgeMiddleware``.
struct OperationGuard: ServerMiddleware {
    /// The policies by operation id.
    let policies: [String: OperationPolicy]
    /// The largest JSON request body accepted.
    let maxJSONBytes: Int
    /// The largest upload accepted (the whole body, multipart framing included).
    let maxUploadBytes: Int

    /// A guard over `policies` with the given body limits.
    init(policies: [String: OperationPolicy] = OperationPolicy.v1, maxJSONBytes: Int = 64 << 20, maxUploadBytes: Int) {
        self.policies = policies
        self.maxJSONBytes = maxJSONBytes
        self.maxUploadBytes = maxUploadBytes
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let principal = RequestPrincipal.current else { throw APIError.unauthorized }
        guard let policy = policies[operationID] else {
            throw APIError(.forbidden, code: "forbidden", "this route declares no scope, so no API key may call it")
        }
        guard principal.scopes.contains(.admin) || !principal.scopes.isDisjoint(with: policy.scopes) else {
            throw APIError.forbidden(policy.scopes.map(\.rawValue).sorted().joined(separator: "\" or \""))
        }
        let limit: Int
        switch policy.body {
        case .json: limit = maxJSONBytes
        case .upload: limit = maxUploadBytes
        case .none, .stream: return try await next(request, body, metadata)
        }
        guard let body else { return try await next(request, body, metadata) }
        switch body.length {
        case .known(let length):
            // The HTTP layer holds a body to its Content-Length, so a declared length is the size.
            guard length <= limit else { throw Self.tooLarge(policy.body, limit: limit) }
            return try await next(request, body, metadata)
        case .unknown:
            let limited = LimitedBody(base: body, limit: limit, kind: policy.body)
            return try await next(request, HTTPBody(limited, length: .unknown, iterationBehavior: body.iterationBehavior), metadata)
        }
    }

    /// The answer to a body over its limit.
    static func tooLarge(_ kind: OperationPolicy.Body, limit: Int) -> APIError {
        kind == .json ? .jsonTooLarge(limit: limit) : .uploadTooLarge(limit: limit)
    }
}

/// A streamed body that fails with a 413 as soon as more than `limit` bytes have passed, without
/// buffering it.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk

    let base: HTTPBody
    let limit: Int
    /// What the body is, to word the error.
    let kind: OperationPolicy.Body

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), remaining: limit, limit: limit, kind: kind)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: HTTPBody.AsyncIterator
        var remaining: Int
        let limit: Int
        let kind: OperationPolicy.Body

        mutating func next() async throws -> HTTPBody.ByteChunk? {
            guard let chunk = try await base.next() else { return nil }
            guard chunk.count <= remaining else { throw OperationGuard.tooLarge(kind, limit: limit) }
            remaining -= chunk.count
            return chunk
        }
    }
}
