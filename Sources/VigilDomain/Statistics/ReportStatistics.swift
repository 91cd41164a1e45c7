public import Foundation

/// Which reports statistics are about: those the Centre received from `from` (inclusive) until
/// `to` (exclusive), either end open. The figures follow that cohort of reports: what happened to
/// them since (decisions, referrals, outcomes, holds), whenever it happened.
public struct StatisticsWindow: Sendable, Hashable {
    /// The first instant counted, if any.
    public var from: Date?
    /// The first instant no longer counted, if any.
    public var to: Date?

    /// A window; `from` must come before `to` when both are given.
    public init(from: Date? = nil, to: Date? = nil) throws(StatisticsWindowError) {
        if let from, let to, from >= to { throw .empty(from: from.rfc3339, to: to.rfc3339) }
        self.from = from
        self.to = to
    }

    /// A window from RFC 3339 texts (either may be nil: open at that end).
    public init(from: String?, to: String?) throws(StatisticsWindowError) {
        func read(_ name: String, _ text: String?) throws(StatisticsWindowError) -> Date? {
            guard let text else { return nil }
            guard RFC3339.isValid(text), let date = RFC3339.date(from: text) else { throw .notRFC3339(name: name, value: text) }
            return date
        }
        try self.init(from: try read("from", from), to: try read("to", to))
    }

    /// Everything ever received.
    public static let always = StatisticsWindow(uncheckedFrom: nil, to: nil)

    private init(uncheckedFrom from: Date?, to: Date?) {
        self.from = from
        self.to = to
    }
}

/// Why a statistics window was refused.
public enum StatisticsWindowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `from` or `to` is not an RFC 3339 time.
    case notRFC3339(name: String, value: String)
    /// `from` is not before `to`.
    case empty(from: String, to: String)

    /// What is wrong and what to send.
    public var description: String {
        switch self {
        case .notRFC3339(let name, let value):
            "\(name) is an RFC 3339 time such as 2026-01-01T00:00:00Z; \"\(value.prefix(64))\" is not"
        case .empty(let from, let to):
            "from (\(from)) must be before to (\(to)): the window counts reports received from `from` until just before `to`"
        }
    }
}

/// Whose figures a caller may read: the one rule of ``ReportStatistics``'s visibility, decided from
/// the caller in the Centre's service.
public enum StatisticsScope: Sendable, Hashable {
    /// Every report and referral (the Centre).
    case all
    /// One provider organisation's reports and their referrals.
    case organisation(Int64)
    /// Only referral figures, for these recipients (a police force: its Member State's), or for all
    /// recipients when nil (Europol). No report figures (providers, types, decision times).
    case referrals(Set<ReferralRecipient>?)

    /// The scope's name in answers: `all`, `organisation` or `referrals`.
    public var name: String {
        switch self {
        case .all: "all"
        case .organisation: "organisation"
        case .referrals: "referrals"
        }
    }
}

/// What the store reads for statistics: reports counted by group (SQL does the counting), the
/// durations the percentiles need one by one, and one compact row per referral.
public struct StatisticsRows: Sendable, Hashable {
    /// A count of reports sharing provider, type, state and classification.
    public struct ReportGroup: Sendable, Hashable {
        /// The provider organisation.
        public var organisationId: Int64
        /// Its name.
        public var organisationName: String
        /// The reports' type.
        public var type: ReportType
        /// Where they are.
        public var state: ReportState
        /// Whether they were classified known material on intake (forwarded without a person).
        public var classifiedAutomatically: Bool
        /// How many.
        public var count: Int

        /// A group.
        public init(organisationId: Int64, organisationName: String, type: ReportType, state: ReportState, classifiedAutomatically: Bool, count: Int)
        {
            self.organisationId = organisationId
            self.organisationName = organisationName
            self.type = type
            self.state = state
            self.classifiedAutomatically = classifiedAutomatically
            self.count = count
        }
    }

    /// What a referral's figures need.
    public struct Referral: Sendable, Hashable {
        /// Who it went to.
        public var recipient: ReferralRecipient
        /// Whether the recipient acknowledged it.
        public var acknowledged: Bool
        /// The outcome posted (the last one, when posted again).
        public var outcome: ReferralOutcome?
        /// When the outcome is due.
        public var outcomeDueAt: Date
        /// When the outcome was posted.
        public var outcomeAt: Date?
        /// The hold in place (a lifted hold is not kept; the audit chain has its history).
        public var hold: Hold?

        /// A referral's facts.
        public init(recipient: ReferralRecipient, acknowledged: Bool, outcome: ReferralOutcome?, outcomeDueAt: Date, outcomeAt: Date?, hold: Hold?) {
            self.recipient = recipient
            self.acknowledged = acknowledged
            self.outcome = outcome
            self.outcomeDueAt = outcomeDueAt
            self.outcomeAt = outcomeAt
            self.hold = hold
        }
    }

    /// One case (incident) a provider's reports of one type belong to: reports linked by a shared
    /// item, user or IP event are one incident (``ReportLinking``).
    public struct Incident: Sendable, Hashable {
        /// The provider organisation.
        public var organisationId: Int64
        /// The reports' type.
        public var type: ReportType
        /// The case.
        public var caseId: Int64

        /// An incident's appearance.
        public init(organisationId: Int64, type: ReportType, caseId: Int64) {
            self.organisationId = organisationId
            self.type = type
            self.caseId = caseId
        }
    }

    /// Reports by group.
    public var reports: [ReportGroup]
    /// The distinct (provider, type, case) of the reports: incidents are counted from them.
    public var incidents: [Incident] = []
    /// For each report decided by people (forwarded or unfounded, not classified automatically):
    /// milliseconds from receipt to its decision taking effect (the report's last state change).
    public var decisionMilliseconds: [Int64]
    /// For each forwarded report (automatic ones included): milliseconds from receipt to its referrals.
    public var referralMilliseconds: [Int64]
    /// Every referral of the reports.
    public var referrals: [Referral]

    /// Rows.
    public init(reports: [ReportGroup] = [], decisionMilliseconds: [Int64] = [], referralMilliseconds: [Int64] = [], referrals: [Referral] = []) {
        self.reports = reports
        self.decisionMilliseconds = decisionMilliseconds
        self.referralMilliseconds = referralMilliseconds
        self.referrals = referrals
    }
}

/// How many reports and incidents (cases: reports linked by a shared item, user or IP event),
/// and what became of the reports.
public struct ReportCounts: Sendable, Hashable, Codable {
    /// Reports received.
    public var reports: Int = 0
    /// Incidents: the distinct cases those reports belong to (a case spanning two providers or
    /// types counts once in each, and once in the total).
    public var incidents: Int = 0
    /// Forwarded to the police and Europol (automatically or after review).
    public var forwarded: Int = 0
    /// Found manifestly unfounded.
    public var unfounded: Int = 0
    /// Not decided yet (queued, information requested, awaiting review).
    public var undecided: Int = 0
    /// Forwarded automatically on intake (every file matched a confirmed indicator).
    public var classifiedAutomatically: Int = 0

    enum CodingKeys: String, CodingKey {
        case reports, incidents, forwarded, unfounded, undecided
        case classifiedAutomatically = "classified_automatically"
        case unfoundedShare = "unfounded_share"
    }

    /// No reports.
    public init() {}

    /// The share of decided reports (forwarded or unfounded) found manifestly unfounded, from 0
    /// to 1; nil while none is decided.
    public var unfoundedShare: Double? {
        let decided = forwarded + unfounded
        return decided == 0 ? nil : Double(unfounded) / Double(decided)
    }

    mutating func add(_ group: StatisticsRows.ReportGroup) {
        reports += group.count
        switch group.state {
        case .forwarded: forwarded += group.count
        case .unfounded: unfounded += group.count
        case .queued, .informationRequested, .awaitingReview: undecided += group.count
        }
        if group.classifiedAutomatically { classifiedAutomatically += group.count }
    }

    /// Reads the form ``encode(to:)`` writes (the share is computed, not read).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reports = try c.decode(Int.self, forKey: .reports)
        incidents = try c.decodeIfPresent(Int.self, forKey: .incidents) ?? 0
        forwarded = try c.decode(Int.self, forKey: .forwarded)
        unfounded = try c.decode(Int.self, forKey: .unfounded)
        undecided = try c.decode(Int.self, forKey: .undecided)
        classifiedAutomatically = try c.decode(Int.self, forKey: .classifiedAutomatically)
    }

    /// Writes the counts and the unfounded share (absent while none is decided).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reports, forKey: .reports)
        try c.encode(incidents, forKey: .incidents)
        try c.encode(forwarded, forKey: .forwarded)
        try c.encode(unfounded, forKey: .unfounded)
        try c.encode(undecided, forKey: .undecided)
        try c.encode(classifiedAutomatically, forKey: .classifiedAutomatically)
        try c.encodeIfPresent(unfoundedShare, forKey: .unfoundedShare)
    }
}

/// Holds placed by the recipients of referrals.
public struct HoldCounts: Sendable, Hashable, Codable {
    /// Referrals with a hold recorded (in force or expired; a lifted hold is gone).
    public var placed: Int = 0
    /// Holds in force at the time of the figures.
    public var active: Int = 0
    /// Holds in force that forbid informing the user.
    public var doNotInform: Int = 0
    /// Holds in force that forbid removing the material.
    public var doNotRemove: Int = 0

    enum CodingKeys: String, CodingKey {
        case placed, active
        case doNotInform = "do_not_inform"
        case doNotRemove = "do_not_remove"
    }

    /// No holds.
    public init() {}
}

/// What the recipients of referrals did with them.
public struct ReferralCounts: Sendable, Hashable, Codable {
    /// Referrals made (one per report and recipient: the reports referred to it).
    public var referrals: Int = 0
    /// Acknowledged by the recipient.
    public var acknowledged: Int = 0
    /// Outcomes posted, by outcome (every outcome named, zero included).
    public var outcomes: [String: Int] = Dictionary(uniqueKeysWithValues: ReferralOutcome.allCases.map { ($0.rawValue, 0) })
    /// Outcomes posted by their due time.
    public var onTime: Int = 0
    /// Outcomes posted after their due time.
    public var late: Int = 0
    /// No outcome, and the due time has passed.
    public var overdue: Int = 0
    /// No outcome yet, and not due yet.
    public var awaiting: Int = 0
    /// How late the late outcomes were (posted minus due).
    public var lateness = DurationSummary(milliseconds: [])
    /// The holds placed.
    public var holds = HoldCounts()

    enum CodingKeys: String, CodingKey {
        case referrals, acknowledged, outcomes, late, overdue, awaiting, lateness, holds
        case onTime = "on_time"
    }

    /// No referrals.
    public init() {}
}

/// The figures about reports (absent for a caller who may see only referral figures).
public struct ReportFigures: Sendable, Hashable, Codable {
    /// One provider's counts.
    public struct Provider: Sendable, Hashable, Codable {
        /// The organisation's id.
        public var organisationId: Int64
        /// Its name.
        public var organisation: String
        /// Its reports.
        public var counts: ReportCounts

        enum CodingKeys: String, CodingKey {
            case organisation, counts
            case organisationId = "organisation_id"
        }
    }

    /// One report type's counts.
    public struct TypeCounts: Sendable, Hashable, Codable {
        /// The type.
        public var type: ReportType
        /// Its reports.
        public var counts: ReportCounts
    }

    /// Every report.
    public var total: ReportCounts
    /// By provider, by organisation id (providers without reports in the window are left out).
    public var byProvider: [Provider]
    /// By type, every type named (zero included).
    public var byType: [TypeCounts]
    /// By state, every state named (zero included).
    public var byState: [String: Int]
    /// From receipt to the decision taking effect (a supervisor's approval of forward or
    /// unfounded), over the reports decided by people; automatic classifications are left out
    /// (they take no time, and are counted in `classified_automatically`).
    public var timeToDecision: DurationSummary
    /// From receipt to the referrals to police and Europol, over every forwarded report
    /// (automatic ones included: their referrals are made on intake).
    public var timeToReferral: DurationSummary

    enum CodingKeys: String, CodingKey {
        case total
        case byProvider = "by_provider"
        case byType = "by_type"
        case byState = "by_state"
        case timeToDecision = "time_to_decision"
        case timeToReferral = "time_to_referral"
    }
}

/// The figures about referrals, by recipient.
public struct ReferralFigures: Sendable, Hashable, Codable {
    /// One recipient's counts.
    public struct Recipient: Sendable, Hashable, Codable {
        /// A Member State's code, or `europol`.
        public var recipient: String
        /// Its referrals.
        public var counts: ReferralCounts
    }

    /// Every referral the caller may see.
    public var total: ReferralCounts
    /// By recipient: Member States by code, then Europol (recipients without referrals left out).
    public var byRecipient: [Recipient]

    enum CodingKeys: String, CodingKey {
        case total
        case byRecipient = "by_recipient"
    }
}

/// The Centre's statistics over a window of received reports (``StatisticsWindow``): reports per
/// provider, type and state; the unfounded share; the time from receipt to decision and to
/// referral (median and 90th percentile, nearest rank); referrals per recipient, their outcomes,
/// how late, and holds. Computed from ``StatisticsRows`` by ``aggregate(_:window:scope:now:)``, a
/// pure function.
public struct ReportStatistics: Sendable, Hashable, Codable {
    /// The window's start, RFC 3339, if any.
    public var from: String?
    /// The window's end (exclusive), RFC 3339, if any.
    public var to: String?
    /// When the figures were computed (overdue outcomes and holds in force are counted at this time).
    public var generatedAt: String
    /// Whose figures these are: `all`, `organisation` (a provider's own) or `referrals` (police, Europol).
    public var scope: String
    /// The report figures (absent in the `referrals` scope).
    public var reports: ReportFigures?
    /// The referral figures.
    public var referrals: ReferralFigures

    enum CodingKeys: String, CodingKey {
        case from, to, scope, reports, referrals
        case generatedAt = "generated_at"
    }

    /// The figures of `rows` (read for `window` and `scope`) at `now`.
    public static func aggregate(_ rows: StatisticsRows, window: StatisticsWindow, scope: StatisticsScope, now: Date) -> ReportStatistics {
        let reports: ReportFigures?
        if case .referrals = scope { reports = nil } else { reports = reportFigures(rows) }
        return ReportStatistics(
            from: window.from?.rfc3339, to: window.to?.rfc3339, generatedAt: now.rfc3339, scope: scope.name, reports: reports,
            referrals: referralFigures(rows.referrals, now: now))
    }

    static func reportFigures(_ rows: StatisticsRows) -> ReportFigures {
        var total = ReportCounts()
        var providers: [Int64: ReportFigures.Provider] = [:]
        var types = Dictionary(uniqueKeysWithValues: ReportType.allCases.map { ($0, ReportCounts()) })
        var states = Dictionary(uniqueKeysWithValues: ReportState.allCases.map { ($0.rawValue, 0) })
        for group in rows.reports {
            total.add(group)
            providers[
                group.organisationId, default: .init(organisationId: group.organisationId, organisation: group.organisationName, counts: .init())
            ]
            .counts.add(group)
            types[group.type, default: ReportCounts()].add(group)
            states[group.state.rawValue, default: 0] += group.count
        }
        total.incidents = Set(rows.incidents.map(\.caseId)).count
        var providerCases: [Int64: Set<Int64>] = [:]
        var typeCases: [ReportType: Set<Int64>] = [:]
        for incident in rows.incidents {
            providerCases[incident.organisationId, default: []].insert(incident.caseId)
            typeCases[incident.type, default: []].insert(incident.caseId)
        }
        for (id, cases) in providerCases { providers[id]?.counts.incidents = cases.count }
        for (type, cases) in typeCases { types[type, default: ReportCounts()].incidents = cases.count }
        return ReportFigures(
            total: total, byProvider: providers.keys.sorted().compactMap { providers[$0] },
            byType: ReportType.allCases.map { ReportFigures.TypeCounts(type: $0, counts: types[$0, default: ReportCounts()]) }, byState: states,
            timeToDecision: DurationSummary(milliseconds: rows.decisionMilliseconds),
            timeToReferral: DurationSummary(milliseconds: rows.referralMilliseconds))
    }

    static func referralFigures(_ referrals: [StatisticsRows.Referral], now: Date) -> ReferralFigures {
        var total = ReferralCounts()
        var totalLateness: [Int64] = []
        var recipients: [ReferralRecipient: (counts: ReferralCounts, lateness: [Int64])] = [:]
        for referral in referrals {
            var entry = recipients[referral.recipient] ?? (ReferralCounts(), [])
            let late = count(referral, into: &entry.counts, now: now)
            count(referral, into: &total, now: now)
            if let late {
                entry.lateness.append(late)
                totalLateness.append(late)
            }
            recipients[referral.recipient] = entry
        }
        total.lateness = DurationSummary(milliseconds: totalLateness)
        let byRecipient = recipients.keys.sorted().compactMap { recipient -> ReferralFigures.Recipient? in
            guard var entry = recipients[recipient] else { return nil }
            entry.counts.lateness = DurationSummary(milliseconds: entry.lateness)
            return ReferralFigures.Recipient(recipient: recipient.description, counts: entry.counts)
        }
        return ReferralFigures(total: total, byRecipient: byRecipient)
    }

    /// Counts one referral; answers how late its outcome was, in milliseconds, when it was late.
    @discardableResult
    static func count(_ referral: StatisticsRows.Referral, into counts: inout ReferralCounts, now: Date) -> Int64? {
        counts.referrals += 1
        if referral.acknowledged { counts.acknowledged += 1 }
        if let hold = referral.hold {
            counts.holds.placed += 1
            if hold.isActive(at: now) {
                counts.holds.active += 1
                if hold.doNotInform { counts.holds.doNotInform += 1 }
                if hold.doNotRemove { counts.holds.doNotRemove += 1 }
            }
        }
        guard let outcome = referral.outcome, let postedAt = referral.outcomeAt else {
            if ReferralOutcome.isLate(postedAt: now, dueAt: referral.outcomeDueAt) {
                counts.overdue += 1
            } else {
                counts.awaiting += 1
            }
            return nil
        }
        counts.outcomes[outcome.rawValue, default: 0] += 1
        guard ReferralOutcome.isLate(postedAt: postedAt, dueAt: referral.outcomeDueAt) else {
            counts.onTime += 1
            return nil
        }
        counts.late += 1
        return Int64(((postedAt.timeIntervalSince1970 - referral.outcomeDueAt.timeIntervalSince1970) * 1_000).rounded())
    }
}

extension ReferralOutcome {
    /// Whether an outcome posted (or still missing) at `postedAt` is late for `dueAt`: after it.
    /// The one rule of lateness, for the audit trail and for the statistics.
    public static func isLate(postedAt: Date, dueAt: Date) -> Bool {
        postedAt > dueAt
    }
}
