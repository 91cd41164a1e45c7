import VigilDomain
import VigilStore

/// The caller of the request being handled, for code behind the OpenAPI transport.
///
/// swift-openapi-hummingbird hands the generated handlers an `HTTPRequest`, not Hummingbird's
/// request context, so ``OpenAPIBridgeMiddleware`` binds the principal that
/// ``AuthenticationMiddleware`` verified here, for the rest of the request's task.
enum RequestPrincipal {
    /// The verified caller, or nil outside an authenticated request.
    @TaskLocal static var current: Principal?
}
