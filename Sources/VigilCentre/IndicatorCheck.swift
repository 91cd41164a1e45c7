public import VigilDomain
import VigilHash
public import VigilMatching
import VigilStore

/// Which confirmed indicators a reported file matches: intake classifies a report of material as
/// known material automatically when every file matches at least one.
public protocol IndicatorCheck: Sendable {
    /// The matched indicators as `list:entry` references (empty when none).
    func confirmedIndicators(for file: ReportedFile) async throws -> [String]
}

/// The Centre's own lists, searched through the one ``MatchService``: a file matches an indicator
/// of a list of kind `known_abuse_material` (material confirmed by people) by its MD5 or SHA-256
/// exactly, or by its PDQ hash within the list's radius. Disabled entries and lists whose kill
/// switch is off do not count; the staged rollout is bypassed (it is a provider-side setting).
public struct MatchIndicatorCheck: IndicatorCheck {
    /// The match service of the Centre's node.
    public let matching: MatchService

    /// A check over `matching`.
    public init(matching: MatchService) {
        self.matching = matching
    }

    public func confirmedIndicators(for file: ReportedFile) async throws -> [String] {
        var digests: [(type: SignalType, hex: String)] = []
        if let md5 = file.hash(.md5) { digests.append((.md5, md5)) }
        if let sha256 = file.hash(.sha256) { digests.append((.sha256, sha256)) }
        var pdq: [PDQHash] = []
        if let text = file.hash(.pdq), let hash = PDQHash(hex: text) { pdq.append(hash) }
        guard !digests.isEmpty || !pdq.isEmpty else { return [] }
        let matches = try await matching.find(MatchRequest(pdq: pdq, digests: digests, lists: .all, bypassRollout: true))
        var references: [String] = []
        for match in matches where match.list.list.kind == .knownAbuseMaterial {
            let reference = "\(match.list.list.name):\(match.entry.id)"
            if !references.contains(reference) { references.append(reference) }
        }
        return references
    }
}
