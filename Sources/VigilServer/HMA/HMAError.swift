import HTTPTypes
import Hummingbird

/// An error answered in HMA's shape, `{"message": "…"}`, with its HTTP status.
struct HMAError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try HMAValue.object(["message": .string(message)]).response(status: status)
    }

    static func badRequest(_ message: String) -> HMAError { HMAError(.badRequest, message) }
    static func notFound(_ message: String) -> HMAError { HMAError(.notFound, message) }
    static func unsupported(_ message: String) -> HMAError { HMAError(.notImplemented, message) }
}

/// Turns Vigil's errors (authentication, shared helpers) into HMA's error shape.
struct HMAErrorMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw HMAError(error.status, error.message)
        } catch let error as HTTPError {
            throw HMAError(error.status, error.body ?? "\(error.status.code) \(error.status.reasonPhrase)")
        }
    }
}
