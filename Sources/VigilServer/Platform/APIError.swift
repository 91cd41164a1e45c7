import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore
public import VigilDomain

/// An error answered as `{"error":{"code":…,"message":…}}` with its HTTP status.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable snake_case code for programs.
    public var code: String
    /// What went wrong and what to do, for people.
    public var message: String
    /// Header fields the answer carries besides its content type (`Retry-After`, say).
    public var headers: HTTPFields
    /// Every problem of a refused report (field, missing or invalid, message), when there are any.
    public var problems: [ReportProblem]

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:], problems: [ReportProblem] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.problems = problems
    }

    /// The JSON error response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(APIErrorBody(error: .init(code: code, message: message, problems: problems.isEmpty ? nil : problems)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message) }
    static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code: code, message) }
    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized",
        "this route needs an API key: send `Authorization: Bearer vk_…` (create one with `vigil keys create`)")
    static func uploadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "the body is over \(limit) bytes; send a smaller file")
    }
    static func jsonTooLarge(limit: Int) -> APIError {
        let size = limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
        return APIError(.contentTooLarge, code: "body_too_large", "the JSON body is over \(size); split it into several requests")
    }
    static func forbidden(_ scope: String) -> APIError {
        APIError(.forbidden, code: "forbidden", "this API key lacks the \"\(scope)\" scope this route needs")
    }
}

/// The JSON shape of an error answer.
struct APIErrorBody: Codable {
    struct Detail: Codable {
        let code: String
        let message: String
        var problems: [ReportProblem]? = nil
    }
    let error: Detail
}
