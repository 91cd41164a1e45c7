public import Foundation

/// An authority's request that the Centre keep a report (and its content) past its retention
/// period, for an investigation or a proceeding: until a time, with a reason (a case number).
public struct Preservation: Sendable, Codable, Hashable {
    /// Until when, RFC 3339 (at most ``maximumDays`` after it is requested; a new request renews it).
    public var until: String
    /// Why (a case or file number, an order's reference), at most 1,000 bytes (it goes on the audit chain).
    public var reason: String

    /// A request.
    public init(until: String, reason: String) {
        self.until = until
        self.reason = reason
    }

    /// The longest single request: 18 months, counted as 548 days (a request may be renewed).
    public static let maximumDays = 548

    /// Why the request cannot be recorded at `now`, if it cannot.
    public func problem(at now: Date) -> String? {
        guard let end = RFC3339.date(from: until) else { return "until is an RFC 3339 time" }
        guard end > now else { return "until is in the future" }
        guard end <= now.addingTimeInterval(Double(Self.maximumDays) * 86_400) else {
            return "a preservation request lasts at most 18 months (548 days); renew it before it ends"
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "a preservation request needs a reason (a case or order reference)" }
        guard reason.utf8.count <= 1_000 else { return "a preservation request's reason is at most 1,000 bytes" }
        return nil
    }
}

/// What the retention rule needs to know about one report: when something last happened to it,
/// and what keeps it longer. Built from the stored rows by the store; times that do not parse are
/// left out by the caller.
public struct RetentionFacts: Sendable, Hashable {
    /// The report's id.
    public var reportId: Int64
    /// Every time something happened to the report: its receipt, its last change of state, its
    /// referrals' creation, acknowledgement, outcome and hold.
    public var actions: [Date]
    /// The ends of the referrals' holds (in force or not).
    public var holdsUntil: [Date]
    /// The ends of the authorities' preservation requests.
    public var preservedUntil: [Date]

    /// Facts.
    public init(reportId: Int64, actions: [Date], holdsUntil: [Date] = [], preservedUntil: [Date] = []) {
        self.reportId = reportId
        self.actions = actions
        self.holdsUntil = holdsUntil
        self.preservedUntil = preservedUntil
    }
}

/// The retention rule of the Centre's reports: a report, its files and its referrals are deleted a
/// retention period (by default 365 days) after the last action on it, and not while a referral's
/// hold or an authority's preservation request is in force (then when the last of them ends).
///
/// Pure: the time is an argument; ``deletionTime(_:)`` is the one place the rule is written.
public struct RetentionRule: Sendable, Hashable {
    /// How long a report is kept after the last action on it, in seconds.
    public var period: TimeInterval

    /// The default period: 12 months, counted as 365 days.
    public static let defaultDays = 365

    /// A rule keeping reports `days` days after the last action (at least one).
    public init(days: Int = RetentionRule.defaultDays) {
        period = Double(max(1, days)) * 86_400
    }

    /// When the report may be deleted: the last action plus the period, or the end of the last
    /// hold or preservation request, whichever is later.
    public func deletionTime(_ facts: RetentionFacts) -> Date {
        let lastAction = facts.actions.max() ?? Date(timeIntervalSince1970: 0)
        return ([lastAction.addingTimeInterval(period)] + facts.holdsUntil + facts.preservedUntil).max() ?? lastAction
    }

    /// Whether the report is to be deleted at `now` (its deletion time has come).
    public func isExpired(_ facts: RetentionFacts, at now: Date) -> Bool {
        now >= deletionTime(facts)
    }
}
