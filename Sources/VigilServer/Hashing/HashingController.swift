import VigilAPI

/// `/v1/hash` and `/v1/hash/url`: hash a file or a fetched URL.
struct HashingController: Sendable {
    let hashing: MediaHashing
    let uploads: UploadReader
    let fetcher: URLFetcher

    func hashFile(_ input: Operations.HashFile.Input) async throws -> Operations.HashFile.Output {
        let bytes = try await uploads.read(input.body)
        if MediaHashing.isVideo(bytes) { return .ok(.init(body: .json(.init(try await hashing.hashVideo(bytes))))) }
        return .ok(.init(body: .json(.init(try await hashing.hash(bytes, dihedral: input.query.dihedral ?? false)))))
    }

    func hashURL(_ input: Operations.HashURL.Input) async throws -> Operations.HashURL.Output {
        let query =
            switch input.body {
            case .json(let query): query
            }
        let bytes = try await fetcher.fetch(query.url)
        if MediaHashing.isVideo(bytes) { return .ok(.init(body: .json(.init(try await hashing.hashVideo(bytes))))) }
        return .ok(.init(body: .json(.init(try await hashing.hash(bytes, dihedral: query.dihedral ?? false)))))
    }
}
