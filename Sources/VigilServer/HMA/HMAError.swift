import HTTPTypes
import Hummingbird

/// An error answered in HMA's shape, `{"message": "…"}`, with its HTTP status.
struct HMAError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// Header fields the answer carries besides its content type (`Retry-After`, say).
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try HMAValue.object(["message": .string(message)]).response(status: status)
        response.headers.append(contentsOf: headers)
        return response
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
            throw HMAError(error.status, error.message, headers: error.headers)
        } catch let error as HTTPError {
            throw HMAError(error.status, error.body ?? "\(error.status.code) \(error.status.reasonPhrase)")
        }
    }
}
