import OpenAPIRuntime
import VigilAPI

/// Reads an uploaded file from a `/v1` request body (`/v1/hash`, `/v1/match/file`).
struct UploadReader: Sendable {
    /// The largest upload accepted, framing included.
    let limit: Int

    /// The uploaded file: the raw body, or the `file` part of a `multipart/form-data` body. Either
    /// way at most `limit` bytes (413 past that) and not empty (400).
    func read(_ body: Components.RequestBodies.Upload) async throws -> [UInt8] {
        let tooLarge = APIError.uploadTooLarge(limit: limit)
        var file: [UInt8]
        switch body {
        case .any(let body):
            file = try await body.collect(upTo: limit, orThrow: tooLarge)
        case .multipartForm(let form):
            file = []
            var total = 0
            do {
                // The generated reader checks the form's shape (exactly one `file` part) as it goes;
                // the other parts are read and dropped, within the same limit.
                for try await part in form {
                    let partBody =
                        switch part {
                        case .file(let part): part.payload.body
                        case .undocumented(let part): part.body
                        }
                    let bytes = try await partBody.collect(upTo: limit - total, orThrow: tooLarge)
                    total += bytes.count
                    if case .file = part { file = bytes }
                }
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError.badRequest("invalid_multipart", "the multipart/form-data body is not well formed: \(error)")
            }
        }
        guard !file.isEmpty else { throw APIError.badRequest("empty_body", "send the file's bytes as the request body") }
        return file
    }
}
