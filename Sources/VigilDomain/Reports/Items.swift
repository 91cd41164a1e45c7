// Items: the files of reports, identified by their hashes across reports, each classified once
// (ICCAM's rule: a person never has to view the same item twice).

/// An analyst's classification of one item.
public enum ItemClassification: String, Sendable, Codable, CaseIterable, Hashable {
    /// Illegal in every Member State (INTERPOL's baseline criteria).
    case illegalEverywhere = "illegal_everywhere"
    /// Illegal in some Member States (named with it).
    case illegalInSomeMemberStates = "illegal_in_some_member_states"
    /// Not illegal.
    case notIllegal = "not_illegal"
}

/// A classification with the Member States it holds in (for ``ItemClassification/illegalInSomeMemberStates``).
public struct ItemVerdict: Sendable, Codable, Hashable {
    /// The classification.
    public var classification: ItemClassification
    /// Where it is illegal, for ``ItemClassification/illegalInSomeMemberStates`` (empty otherwise).
    public var memberStates: [MemberState]

    enum CodingKeys: String, CodingKey {
        case classification
        case memberStates = "member_states"
    }

    /// A verdict.
    public init(classification: ItemClassification, memberStates: [MemberState] = []) {
        self.classification = classification
        self.memberStates = memberStates
    }

    /// Decodes a verdict; absent member states are none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        classification = try container.decode(ItemClassification.self, forKey: .classification)
        memberStates = try container.decodeIfPresent([MemberState].self, forKey: .memberStates) ?? []
    }

    /// What is wrong with it, or nil: Member States are named exactly when the classification is
    /// "illegal in some Member States".
    public var problem: String? {
        switch classification {
        case .illegalInSomeMemberStates where memberStates.isEmpty:
            "name the Member States where the item is illegal (member_states)"
        case .illegalEverywhere, .notIllegal:
            memberStates.isEmpty ? nil : "member_states go only with illegal_in_some_member_states"
        default:
            nil
        }
    }
}

/// What links reports into one case (an incident): the same item, the same user of the same
/// provider, the same IP capture event. Keys are plain strings so that the store indexes them.
public enum ReportLinking {
    /// Two items whose PDQ hashes are at most this far apart are the same item (stricter than a
    /// list's match radius: a near-duplicate, not a similar picture).
    public static let samePDQRadius = 15

    /// An item reported by this many reports (or flagged `viral`/`potential_meme` by a provider) is
    /// viral: its reports are bundled under the item and it no longer links them into one case
    /// (it would join unrelated people who shared a meme).
    public static let viralReports = 10

    /// The keys of `report` (filed by organisation `organisationId`) other than its items: each
    /// involved user's identifier at that provider, and each IP capture event's address (with its
    /// port when given: users behind one shared address are told apart by port).
    public static func keys(of report: Report, organisationId: Int64) -> [String] {
        var keys: [String] = []
        func add(_ key: String) { if !keys.contains(key) { keys.append(key) } }
        var events = report.geographic.ipEvents
        for user in report.users {
            add("user:\(organisationId):\(user.identifier)")
            events += user.ipEvents
        }
        for file in report.files { events += file.ipEvents }
        for event in events { add("ip:\(event.ip.lowercased())" + (event.port.map { ":\($0)" } ?? "")) }
        return keys
    }

    /// Whether a provider flagged the file as viral.
    public static func flaggedViral(_ file: ReportedFile) -> Bool {
        file.annotations.contains(.viral) || file.annotations.contains(.potentialMeme)
    }
}
