import HTTPTypes
import Hummingbird

/// Adds plain (not generated) routes to a group, each behind the one authoriser with its OpenAPI
/// operation id (the HMA routes, the Centre's routes).
struct AuthorisedRoutes {
    let group: RouterGroup<VigilRequestContext>
    let authoriser: Authoriser

    /// Adds `method path` as operation `operation`.
    func on(
        _ method: HTTPRequest.Method, _ path: RouterPath, _ operation: String,
        use handler: @escaping @Sendable (Request, VigilRequestContext) async throws -> Response
    ) {
        group.group().add(middleware: Authorise(operation: operation, authoriser: authoriser)).on(path, method: method, use: handler)
    }
}
