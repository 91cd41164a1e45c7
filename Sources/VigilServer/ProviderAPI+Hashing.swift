import HTTPTypes
import OpenAPIRuntime
import VigilAPI

// `/v1/hash`, `/v1/hash/url` (scope hash), and reading uploads (also for `/v1/match/file`).
extension ProviderAPI {
    func hashFile(_ input: Operations.HashFile.Input) async throws -> Operations.HashFile.Output {
        let bytes = try await upload(input.body)
        return .ok(.init(body: .json(.init(try await hashMedia(bytes, dihedral: input.query.dihedral ?? false)))))
    }

    func hashURL(_ input: Operations.HashURL.Input) async throws -> Operations.HashURL.Output {
        let query = switch input.body { case .json(let query): query }
        return .ok(.init(body: .json(.init(try await hashMedia(try await fetcher.fetch(query.url), dihedral: query.dihedral ?? false)))))
    }

    /// The uploaded file: the raw body, or the `file` part of a `multipart/form-data` body. Either
    /// way at most `settings.maxBodyBytes` (413 past that) and not empty (400).
    func upload(_ body: Components.RequestBodies.Upload) async throws -> [UInt8] {
        let limit = settings.maxBodyBytes
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
                    let partBody = switch part {
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
