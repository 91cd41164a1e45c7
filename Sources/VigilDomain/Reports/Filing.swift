public import Foundation

/// What a provider node puts in every report it files on its own: the provider's details and the
/// legal basis it reports under (configured once, `filing.*`).
public struct FilingProfile: Sendable, Hashable {
    /// The provider (name, contact, legal representative, establishment).
    public var provider: ReportingProvider
    /// The legal basis the provider reports under.
    public var legalBasis: String

    /// A profile.
    public init(provider: ReportingProvider, legalBasis: String) {
        self.provider = provider
        self.legalBasis = legalBasis
    }
}

/// What the caller of a lookup knows about the content's upload (who uploaded it, from where, what
/// was done with it): the parts of a report that a match alone cannot give. Sent with a lookup as
/// `subject`, or later to complete a filing (`POST /v1/filings/{id}/complete`).
public struct FilingContext: Sendable, Hashable {
    /// The users involved (at least one for a complete report).
    public var users: [ReportedUser]
    /// Estimated countries and IP events.
    public var geographic: GeographicInformation?
    /// When the incident happened (the upload), RFC 3339.
    public var incidentAt: String?
    /// What the provider did with the material.
    public var removal: RemovalStatus?
    /// The provider's own identifier of the content (used as the file's reference; `content` when absent).
    public var contentId: String?
    /// An imminent risk to a child.
    public var urgent: Bool?
    /// Why it is urgent (required when urgent).
    public var urgencyReason: String?
    /// Anything else the provider knows.
    public var otherData: String?

    /// A context.
    public init(
        users: [ReportedUser] = [], geographic: GeographicInformation? = nil, incidentAt: String? = nil, removal: RemovalStatus? = nil,
        contentId: String? = nil, urgent: Bool? = nil, urgencyReason: String? = nil, otherData: String? = nil
    ) {
        self.users = users
        self.geographic = geographic
        self.incidentAt = incidentAt
        self.removal = removal
        self.contentId = contentId
        self.urgent = urgent
        self.urgencyReason = urgencyReason
        self.otherData = otherData
    }

    /// Whether it says nothing at all.
    public var isEmpty: Bool { self == FilingContext() }
}

extension FilingContext: Codable {
    enum CodingKeys: String, CodingKey {
        case users
        case geographic
        case incidentAt = "incident_at"
        case removal
        case contentId = "content_id"
        case urgent
        case urgencyReason = "urgency_reason"
        case otherData = "other_data"
    }

    /// Reads a context; absent fields are absent (an absent list is empty).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        users = try c.decodeIfPresent([ReportedUser].self, forKey: .users) ?? []
        geographic = try c.decodeIfPresent(GeographicInformation.self, forKey: .geographic)
        incidentAt = try c.decodeIfPresent(String.self, forKey: .incidentAt)
        removal = try c.decodeIfPresent(RemovalStatus.self, forKey: .removal)
        contentId = try c.decodeIfPresent(String.self, forKey: .contentId)
        urgent = try c.decodeIfPresent(Bool.self, forKey: .urgent)
        urgencyReason = try c.decodeIfPresent(String.self, forKey: .urgencyReason)
        otherData = try c.decodeIfPresent(String.self, forKey: .otherData)
    }

    /// Writes the fields that are present.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !users.isEmpty { try c.encode(users, forKey: .users) }
        try c.encodeIfPresent(geographic, forKey: .geographic)
        try c.encodeIfPresent(incidentAt, forKey: .incidentAt)
        try c.encodeIfPresent(removal, forKey: .removal)
        try c.encodeIfPresent(contentId, forKey: .contentId)
        try c.encodeIfPresent(urgent, forKey: .urgent)
        try c.encodeIfPresent(urgencyReason, forKey: .urgencyReason)
        try c.encodeIfPresent(otherData, forKey: .otherData)
    }
}

/// One list entry a piece of content matched, as a filing records it.
public struct FilingMatch: Sendable, Hashable, Codable {
    /// The list's name.
    public var list: String
    /// The entry's id on this node.
    public var entryId: Int64
    /// Where the entry came from (its provenance's source), when known.
    public var source: String?
    /// The Hamming distance (0 for an exact digest).
    public var distance: Int

    enum CodingKeys: String, CodingKey {
        case list
        case entryId = "entry_id"
        case source
        case distance
    }

    /// A match.
    public init(list: String, entryId: Int64, source: String?, distance: Int) {
        self.list = list
        self.entryId = entryId
        self.source = source
        self.distance = distance
    }

    /// How the report names the indicator: `<list>/<entry id>`, with the source when there is one.
    public var indicator: String {
        if let source, !source.isEmpty { return "\(list)/\(entryId) (\(source))" }
        return "\(list)/\(entryId)"
    }
}

/// Where a report the provider node files is, on the provider's side.
///
/// ```
/// incomplete ─(context completed)─► queued ─(Centre answered 201, or 409 for this reference)─► filed
///                                     │  ▲
///                                     │  └── (network error, 5xx, 401/403/429: retried with backoff)
///                                     ├─► rejected   (the Centre refused it: 400, 409 other, 413, 422)
///                                     └─► failed     (retries used up)
/// ```
public enum FilingState: String, Sendable, Codable, CaseIterable, Hashable {
    /// The match alone does not make a complete report: the problems say what to add.
    case incomplete
    /// Complete; waiting to be sent (again).
    case queued
    /// The Centre holds it (its id is recorded).
    case filed
    /// The Centre refused it; the last error says why.
    case rejected
    /// Every attempt failed; the last error says why.
    case failed
}

/// The one rule for the report a match files: the provider's details, the content's hashes and the
/// entries it matched (known material), and what the caller said about the upload.
public enum FilingDraft {
    /// The report for content with `hashes` that matched `matches`, with `context`, made at `now`
    /// under `reference`. Without a profile (no Centre configured) the provider's fields are empty,
    /// and validation says so.
    public static func report(
        reference: String, profile: FilingProfile?, hashes: [FileHash], matches: [FilingMatch], context: FilingContext, now: Date
    ) -> Report {
        let file = ReportedFile(
            reference: context.contentId.flatMap { $0.isEmpty ? nil : $0 } ?? "content", hashes: hashes, uploadedAt: context.incidentAt,
            viewedByProvider: false, matchedIndicators: matches.map(\.indicator))
        return Report(
            providerReference: reference, provider: profile?.provider ?? ReportingProvider(name: "", contact: ""),
            reportedAt: now.rfc3339, incidentAt: context.incidentAt, type: .knownMaterial, incidentType: .childSexualAbuseMaterial,
            files: [file], otherData: context.otherData, geographic: context.geographic ?? GeographicInformation(), users: context.users,
            removal: context.removal, urgent: context.urgent ?? false, urgencyReason: context.urgencyReason,
            legalBasis: profile?.legalBasis ?? "")
    }

    /// `report` completed with `context`: the users and IP events are added, and the fields the
    /// context gives replace the report's.
    public static func completing(_ report: Report, with context: FilingContext) -> Report {
        var report = report
        report.users += context.users
        if let geographic = context.geographic {
            report.geographic.offenderCountry = geographic.offenderCountry ?? report.geographic.offenderCountry
            report.geographic.victimCountry = geographic.victimCountry ?? report.geographic.victimCountry
            report.geographic.ipEvents += geographic.ipEvents
        }
        if let incidentAt = context.incidentAt {
            report.incidentAt = incidentAt
            for index in report.files.indices { report.files[index].uploadedAt = incidentAt }
        }
        if let removal = context.removal { report.removal = removal }
        if let urgent = context.urgent { report.urgent = urgent }
        if let reason = context.urgencyReason { report.urgencyReason = reason }
        if let otherData = context.otherData { report.otherData = otherData }
        return report
    }
}

/// A referral of a filed report, as the Centre shows it to the provider.
public struct CentreReferralStatus: Sendable, Codable, Hashable {
    /// `europol` or the Member State's code.
    public var recipient: String
    /// The police outcome, once posted.
    public var outcome: ReferralOutcome?
    /// A hold the police placed, if any.
    public var hold: Hold?

    /// A referral's status.
    public init(recipient: String, outcome: ReferralOutcome? = nil, hold: Hold? = nil) {
        self.recipient = recipient
        self.outcome = outcome
        self.hold = hold
    }
}

/// What the Centre says about a filed report (`GET /v1/reports/{id}` at the Centre), as the
/// provider node last read it: where it is, the decision the provider may see, the referrals with
/// their outcomes and holds. Other fields of the Centre's answer are ignored.
public struct CentreReportStatus: Sendable, Codable, Hashable {
    /// Where the report is at the Centre.
    public var state: ReportState
    /// When the Centre received it, RFC 3339.
    public var receivedAt: String
    /// An unfounded decision or a request for information (the only decisions a provider sees).
    public var decision: AssessmentDecision?
    /// Its referrals to police and Europol.
    public var referrals: [CentreReferralStatus]

    enum CodingKeys: String, CodingKey {
        case state
        case receivedAt = "received_at"
        case decision
        case referrals
    }

    /// A status.
    public init(state: ReportState, receivedAt: String, decision: AssessmentDecision? = nil, referrals: [CentreReferralStatus] = []) {
        self.state = state
        self.receivedAt = receivedAt
        self.decision = decision
        self.referrals = referrals
    }

    /// Reads the Centre's answer (absent referrals are none).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        state = try c.decode(ReportState.self, forKey: .state)
        receivedAt = try c.decode(String.self, forKey: .receivedAt)
        decision = try c.decodeIfPresent(AssessmentDecision.self, forKey: .decision)
        referrals = try c.decodeIfPresent([CentreReferralStatus].self, forKey: .referrals) ?? []
    }

    /// The holds the police placed.
    public var holds: [Hold] { referrals.compactMap(\.hold) }

    /// Whether a hold forbidding removal is in force at `now`.
    public func mustNotRemove(at now: Date) -> Bool {
        holds.contains { $0.doNotRemove && $0.isActive(at: now) }
    }

    /// When the provider may inform its user, by the one rule (``UserNotificationRule``), from this state.
    public func userNotification(now: Date) -> UserNotificationRule.Status {
        UserNotificationRule.status(state: state, receivedAt: RFC3339.date(from: receivedAt) ?? now, holds: holds, now: now)
    }
}
