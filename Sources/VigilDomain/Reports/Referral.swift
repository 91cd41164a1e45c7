public import Foundation

/// Who a forwarded report goes to: the police of one Member State, or Europol.
public enum ReferralRecipient: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The competent police of a Member State.
    case police(MemberState)
    /// Europol (every forwarded report goes to Europol).
    case europol

    /// `europol` or the Member State's code.
    public var description: String {
        switch self {
        case .police(let state): state.rawValue
        case .europol: "europol"
        }
    }

    /// Reads ``description``'s form.
    public init?(_ text: String) {
        if text == "europol" {
            self = .europol
        } else if let state = MemberState(rawValue: text), state.rawValue == text {
            self = .police(state)
        } else {
            return nil
        }
    }

    /// Europol last, Member States by code.
    public static func < (lhs: ReferralRecipient, rhs: ReferralRecipient) -> Bool {
        switch (lhs, rhs) {
        case (.police(let a), .police(let b)): a < b
        case (.police, .europol): true
        case (.europol, _): false
        }
    }
}

/// Why a Member State is competent for a report.
public enum CompetenceGround: String, Sendable, Codable, CaseIterable, Hashable {
    /// The suspected offender seems to be there (the estimated offender country, or a suspect's account country).
    case offenderLocation = "offender_location"
    /// The child seems to be there (the estimated victim country, or a victim's account country).
    case victimLocation = "victim_location"
    /// The provider's main establishment (or legal representative) is there.
    case providerEstablishment = "provider_establishment"
}

/// Where a forwarded report goes, and why.
public struct Routing: Sendable, Hashable {
    /// The recipients: the competent Member States' police (by code) and Europol, always.
    public var recipients: [ReferralRecipient]
    /// Why each Member State is competent.
    public var grounds: [MemberState: Set<CompetenceGround>]

    /// Whether no Member State was found competent (Europol alone).
    public var jurisdictionUnclear: Bool { grounds.isEmpty }
}

/// The routing rule: the competent Member States are those where the suspected offender or the
/// child seems to be, and the Member State of the provider's establishment; Europol always
/// receives the report, and alone when no Member State can be named. Countries outside the Union
/// name no Member State (Europol passes those on through its own channels).
public enum ReferralRouting {
    /// The routing of `report`.
    public static func route(_ report: Report) -> Routing {
        var grounds: [MemberState: Set<CompetenceGround>] = [:]
        func add(_ code: String?, _ ground: CompetenceGround) {
            guard let code, let state = MemberState(rawValue: code), state.rawValue == code else { return }
            grounds[state, default: []].insert(ground)
        }
        add(report.geographic.offenderCountry, .offenderLocation)
        add(report.geographic.victimCountry, .victimLocation)
        for user in report.users {
            switch user.role {
            case .suspect: add(user.accountCountry, .offenderLocation)
            case .victim: add(user.accountCountry, .victimLocation)
            case .recipient: break
            }
        }
        add(report.provider.establishment, .providerEstablishment)
        let recipients = grounds.keys.sorted().map(ReferralRecipient.police) + [.europol]
        return Routing(recipients: recipients, grounds: grounds)
    }
}

/// A police force's request that the provider not act yet, so as not to disturb an investigation
/// (at most 18 months).
public struct Hold: Sendable, Codable, Hashable {
    /// The provider must not inform the user.
    public var doNotInform: Bool
    /// The provider must not remove (or disable) the material.
    public var doNotRemove: Bool
    /// Until when, RFC 3339 (at most 18 months after it is placed).
    public var until: String

    enum CodingKeys: String, CodingKey {
        case doNotInform = "do_not_inform"
        case doNotRemove = "do_not_remove"
        case until
    }

    /// A hold.
    public init(doNotInform: Bool, doNotRemove: Bool, until: String) {
        self.doNotInform = doNotInform
        self.doNotRemove = doNotRemove
        self.until = until
    }

    /// The longest hold: 18 months, counted as 548 days.
    public static let maximumDays = 548

    /// Why the hold cannot be placed at `now`, if it cannot.
    public func problem(at now: Date) -> String? {
        guard doNotInform || doNotRemove else { return "a hold asks for do_not_inform, do_not_remove or both" }
        guard let end = RFC3339.date(from: until) else { return "until is an RFC 3339 time" }
        guard end > now else { return "until is in the future" }
        guard end <= now.addingTimeInterval(Double(Self.maximumDays) * 86_400) else { return "a hold lasts at most 18 months (548 days)" }
        return nil
    }

    /// Whether the hold is in force at `now`.
    public func isActive(at now: Date) -> Bool {
        guard let end = RFC3339.date(from: until) else { return false }
        return now < end
    }
}

/// What the police report back about a referral (Article 36(2): within one month).
public enum ReferralOutcome: String, Sendable, Codable, CaseIterable, Hashable {
    /// An investigation was opened.
    case investigationOpened = "investigation_opened"
    /// Passed to another authority (named in the detail).
    case passedOn = "passed_on"
    /// Not pursued (the detail says why).
    case notPursued = "not_pursued"
    /// A child was identified or safeguarded.
    case childSafeguarded = "child_safeguarded"
    /// A suspect was identified or arrested.
    case suspectIdentified = "suspect_identified"

    /// The time the police have to post an outcome after the referral: one month, counted as 30 days.
    public static let dueAfter: TimeInterval = 30 * 86_400
}

/// When the provider may (or must) inform its user, computed from the report's state, never
/// written per case: after an unfounded decision at once; otherwise three months after the report
/// was made, unless a hold that forbids informing is in force.
public enum UserNotificationRule {
    /// The answer for one report.
    public enum Status: Sendable, Hashable {
        /// The provider may inform the user now.
        case mayInform(reason: String)
        /// Not yet: wait until this time (then ask again).
        case waitUntil(Date, reason: String)
        /// A hold forbids it until this time.
        case held(until: Date)
    }

    /// Three months, counted as 91 days.
    public static let waitingPeriod: TimeInterval = 91 * 86_400

    /// The status for a report received at `receivedAt`, in `state`, with these holds, at `now`.
    public static func status(state: ReportState, receivedAt: Date, holds: [Hold], now: Date) -> Status {
        let active = holds.filter { $0.doNotInform && $0.isActive(at: now) }
        if let latest = active.compactMap({ RFC3339.date(from: $0.until) }).max() { return .held(until: latest) }
        if state == .unfounded { return .mayInform(reason: "the Centre found the report manifestly unfounded") }
        let end = receivedAt.addingTimeInterval(waitingPeriod)
        if now >= end { return .mayInform(reason: "three months have passed since the report, and no hold forbids it") }
        return .waitUntil(end, reason: "three months after the report, unless a hold forbids it")
    }
}
