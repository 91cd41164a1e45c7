import Hummingbird
public import VigilDomain

/// The node's one authoriser: every route asks it, by its OpenAPI operation id, before reading
/// any input (the generated `/v1` routes through ``OperationGuard``, the direct match path
/// through ``MatchHashFastPath``, plain routes through ``Authorise``). The rules are
/// ``AccessPolicy/node``; what it refuses is answered 401 (no caller) or 403.
public struct Authoriser: Sendable {
    /// The policy it applies.
    public let policy: AccessPolicy

    /// An authoriser over `policy` (the node's own table by default).
    public init(policy: AccessPolicy = .node) {
        self.policy = policy
    }

    /// Checks that `principal` may call `operation`; throws the answer otherwise.
    @discardableResult
    func require(_ principal: Principal?, _ operation: String) throws(APIError) -> AccessRule {
        switch policy.decide(principal, operation: operation) {
        case .success(let rule): return rule
        case .failure(let denial): throw Self.answer(denial)
        }
    }

    /// Checks that `principal` may call `operation` on a resource with these attributes.
    func require(_ principal: Principal?, _ operation: String, resource: ResourceAttributes) throws(APIError) {
        if case .failure(let denial) = policy.decide(principal, operation: operation, resource: resource) {
            throw Self.answer(denial)
        }
    }

    /// Whether `principal` may call `operation` (for the direct path, which hands other callers on).
    func allows(_ principal: Principal?, _ operation: String) -> Bool {
        if case .success = policy.decide(principal, operation: operation) { return true }
        return false
    }

    /// The HTTP answer to a denial.
    static func answer(_ denial: AccessDenial) -> APIError {
        switch denial {
        case .unauthenticated: .unauthorized
        case .row: APIError(.notFound, code: "not_found", "no such resource is visible to this key")
        default: APIError(.forbidden, code: "forbidden", denial.description)
        }
    }
}

/// Authorises a plain route by its operation id (after ``AuthenticationMiddleware``).
struct Authorise: RouterMiddleware {
    typealias Context = VigilRequestContext
    let operation: String
    let authoriser: Authoriser

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try authoriser.require(context.principal, operation)
        return try await next(request, context)
    }
}
