import Foundation
import Hummingbird
import HummingbirdCore
import VigilDomain
import VigilExchange
import VigilHash
import VigilMatching
import VigilStore

// Matching (`/m`): HMA's lookups, answered by the one match service.
extension HMAController {
    func addMatching(to match: AuthorisedRoutes) {
        match.on(.get, "raw_lookup", "hmaRawLookup") { request, _ -> Response in
            let query = request.uri.queryParameters
            let pairs = HMAFields.pairs(query)
            let required = try HMAFields.required(["signal", "signal_type"], in: pairs)
            let includeDistance = try HMAFields.bool(query.get("include_distance"), field: "include_distance")
            let matches = try await hmaLookup(
                signal: required[0], typeName: required[1], banks: Self.banks(query.get("banks")), raw: true, bypassRatio: true)
            if includeDistance {
                return try HMAValue.object(["matches": .array(matches.map(\.hmaPayload))]).response()
            }
            return try HMAValue.object(["matches": .array(matches.map { .int($0.entry.content) })]).response()
        }
        match.on(.get, "lookup", "hmaLookup") { request, _ -> Response in
            let query = request.uri.queryParameters
            // HMA's LookupRequest reads bypass_coinflip as a pydantic boolean (POST reads "true" only).
            let bypass = try HMAFields.bool(query.get("bypass_coinflip"), field: "bypass_coinflip")
            if let url = query.get("url") {
                let hashes = try await hmaHashURL(url, contentType: query.get("content_type"), types: query.get("types"))
                let answer = try await hmaLookupContent(hashes, query: query, bypassRatio: bypass, echo: hashes.merging(["url": url]) { a, _ in a })
                if let only = query.get("signal_type") { return try (answer[only] ?? .object([:])).response() }
                return try HMAValue.object(answer).response()
            }
            guard let signal = query.get("signal"), let typeName = query.get("signal_type") else {
                throw HMAError.badRequest("Either url or both signal and signal_type are required")
            }
            let matches = try await hmaLookup(
                signal: signal, typeName: typeName, banks: Self.banks(query.get("banks")), raw: false, bypassRatio: bypass)
            try await hmaAct(on: matches, query: ["type": typeName, "value": signal])
            return try Self.byBank(matches).response()
        }
        match.on(.post, "lookup", "hmaLookupUpload") { request, _ -> Response in
            let query = request.uri.queryParameters
            let upload = try await hmaUpload(request)
            let hashes = try await hmaHash(upload.file, types: query.get("types"))
            let answer = try await hmaLookupContent(hashes, query: query, bypassRatio: query.get("bypass_coinflip") == "true", echo: hashes)
            return try HMAValue.object(answer).response()
        }
        match.on(.get, "index/status", "hmaIndexStatus") { request, _ -> Response in
            try indexStatus(only: request.uri.queryParameters.get("signal_type")) { count, ready in
                .object([
                    "present": .bool(ready), "built_to": .int(ready ? Int64(node.clock.now().timeIntervalSince1970) : -1), "size": .int(Int64(count)),
                ])
            }.response()
        }
        match.on(.post, "compare", "hmaCompare") { request, _ -> Response in
            guard case .object(let pairs) = try await hmaJSON(request) else { throw HMAError.badRequest("Request input was not a dict") }
            var answer: [String: HMAValue] = [:]
            for (typeName, value) in pairs {
                guard case .array(let hashes) = value else { throw HMAError.badRequest("Comparison hashes for \(typeName) was not a list") }
                guard hashes.count == 2 else { throw HMAError.badRequest("Comparison hash list length must be exactly 2") }
                guard let type = hmaSignalType(named: typeName) else { throw HMAError.badRequest("No such SignalType '\(typeName)'") }
                guard let left = hashes[0].string, let right = hashes[1].string else {
                    throw HMAError.badRequest("Invalid \(typeName) hash: not a string")
                }
                let a: String
                let b: String
                do throws(SignalValueError) {
                    a = try HMASignalNames.storedValue(type, left)
                    b = try HMASignalNames.storedValue(type, right)
                } catch {
                    throw HMAError.badRequest("Invalid \(typeName) hash: \(error.description)")
                }
                if type == .pdq, let x = PDQHash(hex: a), let y = PDQHash(hex: b) {
                    let distance = x.distance(to: y)
                    answer[typeName] = .array([.bool(distance <= HashList.defaultRadius), .object(["distance": .int(Int64(distance))])])
                } else if type == .vpdq, let x = try? VPDQText.parse(a), let y = try? VPDQText.parse(b) {
                    // VPDQSignal.compare_hash: the first is the query, python-threatexchange's thresholds.
                    let options = VPDQMatchOptions()
                    let result = VPDQMatcher.compare(query: x, compared: y, options: options)
                    answer[typeName] = .array([
                        .bool(options.accepts(queryMatchPercent: result.queryMatchPercent, comparedMatchPercent: result.comparedMatchPercent)),
                        .object([
                            "query_match_percent": .double(result.queryMatchPercent),
                            "compared_match_percent": .double(result.comparedMatchPercent),
                        ]),
                    ])
                } else {
                    answer[typeName] = .array([.bool(a == b), .object([:])])
                }
            }
            return try HMAValue.object(answer).response()
        }
    }

    static func banks(_ value: String?) -> Set<String>? {
        guard let value, !value.isEmpty else { return nil }
        return Set(value.split(separator: ",").map(String.init))
    }

    static func byBank(_ matches: [MatchedEntry]) -> HMAValue {
        .object(Dictionary(grouping: matches, by: \.list.list.name).mapValues { .array($0.map(\.hmaPayload)) })
    }

    /// `{signal type: status}` for every type, or only `only` (400 when unknown).
    func indexStatus(only: String?, _ status: (Int, Bool) -> HMAValue) throws -> HMAValue {
        let current = engine.status
        var types = hmaSignalTypes
        if let only {
            guard let type = hmaSignalType(named: only) else { throw HMAError.badRequest("No such signal type '\(only)'") }
            types = [(only, type)]
        }
        var answer: [String: HMAValue] = [:]
        for (name, type) in types {
            let count =
                switch type {
                case .pdq: current.pdq
                case .md5: current.md5
                case .sha256: current.sha256
                case .vpdq: current.vpdq
                case .textIndicator: current.textIndicators
                }
            answer[name] = status(count, current.ready)
        }
        return .object(answer)
    }

    /// Looks a signal up through the one match service. `raw` (HMA's raw_lookup) searches every
    /// list, disabled ones included; otherwise disabled lists, lists whose staged rollout leaves
    /// the content out (unless `bypassRatio`) and disabled entries are skipped. `banks` restricts
    /// the lists searched. `rolloutKey` is the content's key when a file is looked up signal by
    /// signal (so each signal gets the file's answer), else the signal's own.
    func hmaLookup(
        signal: String, typeName: String, banks: Set<String>?, raw: Bool, bypassRatio: Bool, rolloutKey: String? = nil
    ) async throws -> [MatchedEntry] {
        guard let type = hmaSignalType(named: typeName) else { throw HMAError.badRequest("No such SignalType '\(typeName)'") }
        guard HMASignalTypes.isEnabled(HMASignalNames.name(of: type), ratios: engine.signalTypeRatios) else {
            throw HMAError.badRequest("SignalType '\(typeName)' is not enabled")
        }
        let value: String
        do throws(SignalValueError) { value = try HMASignalNames.storedValue(type, signal) } catch {
            throw HMAError.badRequest("invalid signal: \(HMASignalTypes.invalidMessage(type, signal, error))")
        }
        guard engine.isReady else { throw HMAError(.serviceUnavailable, "index not yet ready") }
        var request: MatchRequest
        if type == .pdq {
            guard let hash = PDQHash(hex: value) else { throw HMAError.badRequest("invalid signal: not a PDQ hash") }
            request = MatchRequest(pdq: [hash], rolloutKey: rolloutKey)
        } else if type == .vpdq {
            let features: [VPDQFeature]
            do { features = try VPDQText.parse(value) } catch { throw HMAError.badRequest("invalid signal: \(error.message)") }
            request = MatchRequest(vpdq: features, rolloutKey: rolloutKey)
        } else {
            request = MatchRequest(digests: [(type, value)], rolloutKey: rolloutKey)
        }
        request.lists = banks.map(ListChoice.filter) ?? .all
        request.bypassRollout = bypassRatio
        request.includeDisabled = raw
        return try await serviceCall { try await matching.find(request) }
    }

    /// Looks up every signal of one piece of content (a file or a fetched URL) with the content's
    /// rollout key, applies the matched lists' actions once, and answers `{signal type: by bank}`.
    func hmaLookupContent(
        _ hashes: [String: String], query: FlatDictionary<Substring, Substring>, bypassRatio: Bool, echo: [String: String]
    ) async throws -> [String: HMAValue] {
        var answer: [String: HMAValue] = [:]
        var all: [MatchedEntry] = []
        for (typeName, signal) in hashes {
            let matches = try await hmaLookup(
                signal: signal, typeName: typeName, banks: Self.banks(query.get("banks")), raw: false,
                bypassRatio: bypassRatio, rolloutKey: Self.rolloutKey(hashes))
            answer[typeName] = Self.byBank(matches)
            all += matches
        }
        try await hmaAct(on: all, query: echo)
        return answer
    }

    /// The rollout key of a file hashed into HMA signals (its PDQ hash when it has one).
    static func rolloutKey(_ hashes: [String: String]) -> String? {
        hashes["pdq"] ?? hashes.sorted { $0.key < $1.key }.first?.value
    }

    /// Applies the matched lists' action policies (webhooks), as Vigil's own match routes do.
    func hmaAct(on matches: [MatchedEntry], query: [String: String]) async throws {
        guard !matches.isEmpty else { return }
        // A filed report gives the content's hashes that HMA's query named (its signal names are Vigil's for these three).
        let hashes = [FileHash.Algorithm.pdq, .md5, .sha256].compactMap { algorithm in
            query[algorithm.rawValue].map { FileHash(algorithm: algorithm, value: $0.lowercased()) }
        }
        _ = try await serviceCall { try await matching.act(on: matches, query: query, hashes: hashes) }
    }

    // MARK: Curation (/c)
}
