import Foundation
import VigilAPI
import VigilDomain
import VigilHash
import VigilMatching
import VigilPipeline

/// `/v1/match/…`, `/v1/compare` and `/v1/index/status`: lookups answered by the one
/// ``MatchService`` (the same rules as HMA's lookups), and conversations scored by
/// ``ConversationMatching``.
struct MatchingController: Sendable {
    let matching: MatchService
    let hashing: MediaHashing
    let uploads: UploadReader
    let fetcher: URLFetcher
    let conversations: ConversationMatching
    /// The classifier's part of an uploaded image's match (see ``UploadClassification``).
    let classification: UploadClassification

    /// The answer to a lookup of a type that is not a hash (a text indicator).
    static let notAHash = APIError.badRequest(
        "not_a_hash", "a text_indicator is not looked up by value: send the conversation to POST /v1/match/conversation")

    /// The hot path: one JSON lookup, answered from the in-memory index.
    func matchHash(_ input: Operations.MatchHash.Input) async throws -> Operations.MatchHash.Output {
        let query =
            switch input.body {
            case .json(let query): query
            }
        let type = SignalType(query._type)
        guard type.isHash else { throw Self.notAHash }
        let value: String
        do throws(SignalValueError) { value = try type.normalise(query.value) } catch {
            throw APIError.badRequest("malformed_hash", error.description)
        }
        var request: MatchRequest
        switch type {
        case .pdq:
            guard let hash = PDQHash(hex: value) else { throw APIError.badRequest("malformed_hash", "not a PDQ hash") }
            request = MatchRequest(pdq: [hash])
        case .vpdq:
            request = try Self.videoRequest(value)
        case .md5, .sha256:
            request = MatchRequest(digests: [(type, value)])
        case .textIndicator: throw Self.notAHash
        }
        request.lists = query.lists.map(ListChoice.named) ?? .all
        if let subject = query.subject { request.subject = try Self.filingContext(subject) }
        let outcome = try await serviceCall { try await matching.match(request, query: ["type": type.rawValue, "value": value]) }
        return .ok(.init(body: .json(.init(outcome))))
    }

    /// The lookup's `subject` as the domain's ``FilingContext`` (the generated type has the same
    /// JSON; the domain's decoder is the one the Centre's types use).
    static func filingContext(_ subject: Components.Schemas.FilingContext) throws -> FilingContext {
        do {
            return try ReportCoding.decoder().decode(FilingContext.self, from: JSONEncoder().encode(subject))
        } catch {
            throw APIError.badRequest("invalid_request", "subject is not a filing context: \(error)")
        }
    }

    func matchFile(_ input: Operations.MatchFile.Input) async throws -> Operations.MatchFile.Output {
        let bytes = try await uploads.read(input.body)
        let names = input.query.lists.map { $0.split(separator: ",").map(String.init) }
        if MediaHashing.isVideo(bytes) { return .ok(.init(body: .json(.init(try await matchVideo(bytes, lists: names, query: [:]))))) }
        let hashed = try await hashing.hash(bytes, dihedral: input.query.dihedral ?? false)
        return .ok(.init(body: .json(try await matchUpload(bytes, hashed, lists: names, query: [:]))))
    }

    func matchURL(_ input: Operations.MatchURL.Input) async throws -> Operations.MatchURL.Output {
        let query =
            switch input.body {
            case .json(let query): query
            }
        let bytes = try await fetcher.fetch(query.url)
        if MediaHashing.isVideo(bytes) {
            return .ok(.init(body: .json(.init(try await matchVideo(bytes, lists: query.lists, query: ["url": query.url])))))
        }
        let hashed = try await hashing.hash(bytes, dihedral: query.dihedral ?? false)
        return .ok(.init(body: .json(try await matchUpload(bytes, hashed, lists: query.lists, query: ["url": query.url]))))
    }

    /// A conversation's risk score with its stages and the indicators that fired (a signal for a
    /// person to check).
    func matchConversation(_ input: Operations.MatchConversation.Input) async throws -> Operations.MatchConversation.Output {
        let query =
            switch input.body {
            case .json(let query): query
            }
        return .ok(.init(body: .json(try await conversations.answer(query))))
    }

    func compareHashes(_ input: Operations.CompareHashes.Input) async throws -> Operations.CompareHashes.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        guard let a = PDQHash(hex: body.a), let b = PDQHash(hex: body.b) else {
            throw APIError.badRequest("malformed_hash", "a and b must both be 64-hex PDQ hashes")
        }
        return .ok(.init(body: .json(.init(distance: a.distance(to: b)))))
    }

    func indexStatus(_ input: Operations.IndexStatus.Input) async throws -> Operations.IndexStatus.Output {
        let status = matching.engine.status
        return .ok(
            .init(
                body: .json(
                    .init(
                        ready: status.ready, sequence: status.sequence, pdqEntries: status.pdq, md5Entries: status.md5, sha256Entries: status.sha256,
                        vpdqEntries: status.vpdq, textIndicatorEntries: status.textIndicators,
                        textIndicatorsInUse: conversations.indicators.current.listed))
            ))
    }

    /// An uploaded image's answer: matched as ``matchHashed(_:lists:query:)`` does, with the
    /// classifier asked and the content queued for review as ``UploadClassification`` says.
    func matchUpload(_ bytes: [UInt8], _ hashed: MediaHashResult, lists names: [String]?, query extra: [String: String]) async throws
        -> Components.Schemas.MatchAnswer
    {
        let (request, query) = Self.request(hashed, lists: names, query: extra)
        return try await classification.answer(bytes: bytes, hashed: hashed, request: request, query: query, matching: matching)
    }

    /// The lookup of a hashed file (PDQ, its dihedral variants when computed, and both digests)
    /// against the lists among `names` (all when nil), and the query its answer echoes.
    static func request(_ hashed: MediaHashResult, lists names: [String]?, query extra: [String: String]) -> (MatchRequest, [String: String]) {
        var query = extra
        query["pdq"] = hashed.pdq.hash.hex
        query["quality"] = String(hashed.pdq.quality)
        var digests: [(type: SignalType, hex: String)] = []
        if let found = hashed.digests {
            digests = [(.md5, found.md5), (.sha256, found.sha256)]
            query["md5"] = found.md5
            query["sha256"] = found.sha256
        }
        return (MatchRequest(pdq: hashed.dihedral ?? [hashed.pdq.hash], digests: digests, lists: names.map(ListChoice.named) ?? .all), query)
    }

    /// Matches a hashed file (PDQ, its dihedral variants when computed, and both digests) against
    /// the lists among `names` (all when nil).
    func matchHashed(_ hashed: MediaHashResult, lists names: [String]?, query extra: [String: String]) async throws -> MatchOutcome {
        let (request, query) = Self.request(hashed, lists: names, query: extra)
        return try await serviceCall { try await matching.match(request, query: query) }
    }
}
