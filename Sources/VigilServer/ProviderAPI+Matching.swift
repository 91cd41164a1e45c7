import Foundation
import VigilAPI
import VigilDomain
import VigilHash
import VigilPipeline
import VigilStore

// `/v1/match/…`, `/v1/compare`, `/v1/index/status` (scope match).
extension ProviderAPI {
    /// The hot path: one JSON lookup, answered from the in-memory index.
    func matchHash(_ input: Operations.MatchHash.Input) async throws -> Operations.MatchHash.Output {
        let query = switch input.body { case .json(let query): query }
        let type = SignalType(query._type)
        let value: String
        do throws(SignalValueError) { value = try type.normalise(query.value) } catch {
            throw APIError.badRequest("malformed_hash", error.description)
        }
        let lists = try activeLists(named: query.lists, contentKey: value)
        let matches: [EngineMatch]
        if type == .pdq {
            guard let hash = PDQHash(hex: value) else { throw APIError.badRequest("malformed_hash", "not a PDQ hash") }
            matches = try engine.matchPDQ(variants: [hash], lists: lists)
        } else {
            matches = try digestMatches(type, value)
        }
        let answer = try await answer(matches, query: ["type": type.rawValue, "value": value], lists: lists)
        return .ok(.init(body: .json(.init(answer))))
    }

    func matchFile(_ input: Operations.MatchFile.Input) async throws -> Operations.MatchFile.Output {
        let bytes = try await upload(input.body)
        let hashed = try await hashMedia(bytes, dihedral: input.query.dihedral ?? false)
        let names = input.query.lists.map { $0.split(separator: ",").map(String.init) }
        return .ok(.init(body: .json(.init(try await matchHashed(hashed, lists: names, query: [:])))))
    }

    func matchURL(_ input: Operations.MatchURL.Input) async throws -> Operations.MatchURL.Output {
        let query = switch input.body { case .json(let query): query }
        let hashed = try await hashMedia(try await fetcher.fetch(query.url), dihedral: query.dihedral ?? false)
        return .ok(.init(body: .json(.init(try await matchHashed(hashed, lists: query.lists, query: ["url": query.url])))))
    }

    func compareHashes(_ input: Operations.CompareHashes.Input) async throws -> Operations.CompareHashes.Output {
        let body = switch input.body { case .json(let body): body }
        guard let a = PDQHash(hex: body.a), let b = PDQHash(hex: body.b) else {
            throw APIError.badRequest("malformed_hash", "a and b must both be 64-hex PDQ hashes")
        }
        return .ok(.init(body: .json(.init(distance: a.distance(to: b)))))
    }

    func indexStatus(_ input: Operations.IndexStatus.Input) async throws -> Operations.IndexStatus.Output {
        let status = engine.status
        return .ok(.init(body: .json(.init(
            ready: status.ready, sequence: status.sequence, pdqEntries: status.pdq, md5Entries: status.md5, sha256Entries: status.sha256))))
    }

    // MARK: Helpers

    /// The lists a query is checked against: the named ones (all when none), without disabled
    /// lists, and without lists whose staged rollout leaves this content out.
    func activeLists(named names: [String]?, contentKey: String) throws -> [StoredList] {
        let all = engine.lists.values.filter { !$0.isDeleted }
        var chosen = all
        if let names {
            let byName = Dictionary(all.map { ($0.list.name, $0) }, uniquingKeysWith: { a, _ in a })
            chosen = try names.map { name in
                guard let list = byName[name] else { throw APIError.notFound("unknown_list", "no list is named \"\(name)\"") }
                return list
            }
        }
        return chosen.filter { $0.list.enabled && Self.rolloutIncludes(contentKey, list: $0.list) }
    }

    /// Exact digest matches; their lists are checked against the active lists in ``answer``.
    func digestMatches(_ type: SignalType, _ value: String) throws -> [EngineMatch] {
        try engine.matchDigest(type, hex: value).map { EngineMatch(entryId: $0, listId: 0, distance: 0, variant: "orig") }
    }

    /// Matches a hashed file (PDQ, its dihedral variants when computed, and both digests) against
    /// the active lists among `names` (all when nil).
    func matchHashed(_ hashed: MediaHashResult, lists names: [String]?, query extra: [String: String]) async throws -> MatchResponse {
        let lists = try activeLists(named: names, contentKey: hashed.digests?.sha256 ?? hashed.pdq.hash.hex)
        var matches = try engine.matchPDQ(variants: hashed.dihedral ?? [hashed.pdq.hash], lists: lists)
        var query = extra
        query["pdq"] = hashed.pdq.hash.hex
        query["quality"] = String(hashed.pdq.quality)
        if let digests = hashed.digests {
            matches += try digestMatches(.md5, digests.md5)
            matches += try digestMatches(.sha256, digests.sha256)
            query["md5"] = digests.md5
            query["sha256"] = digests.sha256
        }
        return try await answer(matches, query: query, lists: lists)
    }

    /// Adds the entries' lists and provenance; keeps only matches on `activeLists` (the lists the
    /// request chose, enabled, and within their staged rollout); applies the lists' actions.
    func answer(_ matches: [EngineMatch], query: [String: String], lists activeLists: [StoredList]) async throws -> MatchResponse {
        guard !matches.isEmpty else { return MatchResponse(query: query, matches: []) }
        let entries = try await storeCall { () async throws(StoreError) in try await store.entries(ids: matches.map(\.entryId)) }
        let lists = engine.lists
        let chosen = Set(activeLists.map(\.id))
        let now = Date()
        var items: [MatchItem] = []
        for match in matches {
            // The list and radius are checked again on the entry itself: the index's 16-bit list
            // tags are list ids modulo 65,536, so on a node that has made more lists than that two
            // lists can share a tag (and the engine searched with the larger radius).
            guard let entry = entries[match.entryId], entry.deletedAt == nil, !entry.isDisabled(at: now), chosen.contains(entry.listId),
                let list = lists[entry.listId], match.distance <= list.list.matchRadius
            else { continue }
            items.append(MatchItem(
                list: list.list.name, entryId: entry.id, type: entry.type.rawValue, value: entry.value, distance: match.distance,
                variant: match.variant, provenance: entry.provenance))
        }
        let actions = try await act(on: items, query: query)
        return MatchResponse(query: query, matches: items, actions: actions)
    }
}
