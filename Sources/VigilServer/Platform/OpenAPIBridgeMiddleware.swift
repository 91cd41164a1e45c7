import Hummingbird
import OpenAPIRuntime
import VigilDomain

/// Sits between Hummingbird and the generated `/v1` handlers: binds the authenticated caller to
/// ``RequestPrincipal`` for the operation's task, and answers the OpenAPI layer's errors as
/// Vigil's JSON errors (see ``OpenAPIErrors``).
struct OpenAPIBridgeMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext
    /// The operations' policies, to explain requests that do not fit the document.
    let policies: [String: OperationPolicy]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await RequestPrincipal.$current.withValue(context.principal) {
                try await next(request, context)
            }
        } catch let error as ServerError {
            throw OpenAPIErrors.answer(for: error, policy: policies[error.operationID])
        }
    }
}
