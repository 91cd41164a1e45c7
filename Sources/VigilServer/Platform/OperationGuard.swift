import HTTPTypes
import OpenAPIRuntime
import VigilDomain

/// Checks every `/v1` operation before its input is decoded: the ``Authoriser`` must allow the
/// caller (deny by default: an operation without a rule is refused to every key), and a JSON body
/// or an upload must fit in its limit (413 past it).
///
/// An OpenAPI server middleware, so it knows the operation by id; the caller comes from
/// ``RequestPrincipal``. What it throws reaches the client through ``OpenAPIBridgeMiddleware``.
struct OperationGuard: ServerMiddleware {
    /// The one authoriser.
    let authoriser: Authoriser
    /// How each operation's body is read, by operation id.
    let policies: [String: OperationPolicy]
    /// The largest JSON request body accepted.
    let maxJSONBytes: Int
    /// Smaller JSON limits of some operations, by operation id (a conversation's `text.max-body-bytes`).
    let jsonLimits: [String: Int]
    /// The largest upload accepted (the whole body, multipart framing included).
    let maxUploadBytes: Int

    /// A guard over `policies` with the given body limits (`jsonLimits` lowers the JSON limit of
    /// the operations it names; it never raises it).
    init(
        authoriser: Authoriser, policies: [String: OperationPolicy] = OperationPolicy.v1, maxJSONBytes: Int = 64 << 20, maxUploadBytes: Int,
        jsonLimits: [String: Int] = [:]
    ) {
        self.authoriser = authoriser
        self.policies = policies
        self.maxJSONBytes = maxJSONBytes
        self.jsonLimits = jsonLimits.mapValues { min($0, maxJSONBytes) }
        self.maxUploadBytes = maxUploadBytes
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        try authoriser.require(RequestPrincipal.current, operationID)
        guard let policy = policies[operationID] else { throw Authoriser.answer(.noRule(operation: operationID)) }
        let limit: Int
        switch policy.body {
        case .json:
            guard request.headerFields[.contentType] != nil else { throw JSONBodyRule.missingContentType }
            return try await next(request, try await checkedJSON(body, policy: policy, limit: jsonLimits[operationID] ?? maxJSONBytes), metadata)
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

    /// A JSON body read whole (at most `limit`; the generated code buffers it anyway),
    /// checked against ``JSONBodyRule`` and the operation's required keys, and handed on.
    func checkedJSON(_ body: HTTPBody?, policy: OperationPolicy, limit: Int) async throws -> HTTPBody? {
        guard let body else { return nil }
        let bytes = try await body.collect(upTo: limit, orThrow: Self.tooLarge(.json, limit: limit))
        guard JSONBodyRule.isUTF8(bytes) else { throw JSONBodyRule.notUTF8 }
        let nulls = JSONBodyRule.nullMembers(in: bytes)
        guard nulls.isEmpty else { throw JSONBodyRule.nullNotAllowed(nulls) }
        let missing = JSONBodyRule.missingKeys(policy.requiredKeys, in: bytes)
        guard missing.isEmpty else {
            throw APIError.badRequest(
                "invalid_request", "the body must name \(missing.joined(separator: ", ")) (null where the operation says what null means)")
        }
        return HTTPBody(bytes)
    }

    /// The answer to a body over its limit.
    static func tooLarge(_ kind: OperationPolicy.Body, limit: Int) -> APIError {
        kind == .json ? .jsonTooLarge(limit: limit) : .uploadTooLarge(limit: limit)
    }
}
