import Hummingbird

/// The node's one body limit (`http.max-body-bytes`), for every route but list imports: a request
/// whose declared `Content-Length` is over it is answered 413 before any route, authentication
/// included, reads it. Bodies without a declared length are held to the same limit by whatever
/// reads them (the `/v1` operation guard, the uploads, the HMA routes, the Centre's routes).
///
/// `POST /v1/lists/{name}/import` is exempt: an import is streamed through its reader without
/// being buffered (a list of a million hashes is tens of megabytes), and each record is held to
/// the reader's own limits.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body accepted, in bytes.
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit, !Self.isStreamedImport(request) {
            let json = request.headers[.contentType]?.lowercased().hasPrefix("application/json") ?? false
            throw json ? APIError.jsonTooLarge(limit: limit) : APIError.uploadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }

    /// Whether the request is a list import (`POST /v1/lists/{name}/import`), which streams.
    static func isStreamedImport(_ request: Request) -> Bool {
        guard request.method == .post else { return false }
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[0].isEmpty && parts[1] == "v1" && parts[2] == "lists" && !parts[3].isEmpty && parts[4] == "import"
    }
}
