import OpenAPIRuntime

/// A streamed body that fails with a 413 as soon as more than `limit` bytes have passed, without
/// buffering it.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk

    let base: HTTPBody
    let limit: Int
    /// What the body is, to word the error.
    let kind: OperationPolicy.Body

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), remaining: limit, limit: limit, kind: kind)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: HTTPBody.AsyncIterator
        var remaining: Int
        let limit: Int
        let kind: OperationPolicy.Body

        mutating func next() async throws -> HTTPBody.ByteChunk? {
            guard let chunk = try await base.next() else { return nil }
            guard chunk.count <= remaining else { throw OperationGuard.tooLarge(kind, limit: limit) }
            remaining -= chunk.count
            return chunk
        }
    }
}
