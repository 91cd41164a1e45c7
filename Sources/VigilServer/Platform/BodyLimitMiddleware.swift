import Hummingbird

/// The node's one body limit (`http.max-body-bytes`), for every route: a request whose declared
/// `Content-Length` is over it is answered 413 before any route, authentication included, reads
/// it. Bodies without a declared length are held to the same limit by whatever reads them (the
/// `/v1` operation guard, the uploads, the HMA routes).
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body accepted, in bytes.
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            let json = request.headers[.contentType]?.lowercased().hasPrefix("application/json") ?? false
            throw json ? APIError.jsonTooLarge(limit: limit) : APIError.uploadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
