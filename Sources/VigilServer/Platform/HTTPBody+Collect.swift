import OpenAPIRuntime

extension HTTPBody {
    /// All of the body's bytes, refusing with `tooLarge` as soon as there are more than `limit`
    /// (before reading anything when the declared length is already over).
    func collect(upTo limit: Int, orThrow tooLarge: @autoclosure () -> APIError) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        if case .known(let length) = length {
            guard length <= limit else { throw tooLarge() }
            bytes.reserveCapacity(Int(length))
        }
        for try await chunk in self {
            guard chunk.count <= limit - bytes.count else { throw tooLarge() }
            bytes += chunk
        }
        return bytes
    }
}
