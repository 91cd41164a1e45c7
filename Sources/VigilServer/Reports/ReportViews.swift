import Foundation
import VigilCentre
import VigilDomain
import VigilStore

// The JSON answers of the Centre's routes (encoded with snake_case keys by the request context's
// encoder, as every /v1 answer).

/// A report in a list: no content.
struct ReportSummary: Encodable {
    let id: Int64
    let organisationId: Int64
    let providerReference: String
    let type: ReportType?
    let urgent: Bool
    let state: ReportState
    let classifiedAutomatically: Bool
    let files: Int
    let messages: Int
    let receivedAt: String
    let updatedAt: String

    init(_ stored: StoredReport) {
        id = stored.id
        organisationId = stored.organisationId
        providerReference = stored.report.providerReference
        type = stored.report.type
        urgent = stored.report.urgent
        state = stored.state
        classifiedAutomatically = stored.classifiedAutomatically
        files = stored.report.files.count
        messages = stored.report.conversation.count
        receivedAt = stored.receivedAt
        updatedAt = stored.updatedAt
    }
}

/// The answer to a filing: the report's id and where it is (not the report, which the provider has).
struct FiledReport: Encodable {
    let id: Int64
    let providerReference: String
    let state: ReportState
    let classifiedAutomatically: Bool
    let centreMatches: [String: [String]]
    let receivedAt: String
    let referrals: [ReferralView]
    /// How many of the report's files came with their bytes (now stored, encrypted).
    let storedFiles: Int

    init(_ stored: StoredReport, referrals: [StoredReferral], storedFiles: Int) {
        self.storedFiles = storedFiles
        id = stored.id
        providerReference = stored.report.providerReference
        state = stored.state
        classifiedAutomatically = stored.classifiedAutomatically
        centreMatches = stored.centreMatches
        receivedAt = stored.receivedAt
        self.referrals = referrals.map { ReferralView($0, withDetail: false) }
    }

    /// The answer's JSON exactly as the response encoder writes it (snake_case keys, sorted), written
    /// directly for the usual answer: no matches, no referrals, and texts of letters, digits and
    /// `. _ : -` only (nothing to escape). Nil otherwise, for the encoder to write.
    ///
    /// Every report is answered with this; the encoder's key conversion and sorting cost more than
    /// the answer's dozen fields.
    var directJSON: [UInt8]? {
        guard centreMatches.isEmpty, referrals.isEmpty else { return nil }
        let texts = [providerReference, receivedAt, state.rawValue]
        guard texts.allSatisfy({ $0.utf8.allSatisfy(Self.isPlain) }) else { return nil }
        var json: [UInt8] = []
        json.reserveCapacity(160 + providerReference.utf8.count)
        json += #"{"centre_matches":{},"classified_automatically":"#.utf8
        json += (classifiedAutomatically ? "true" : "false").utf8
        json += #","id":"#.utf8
        json += String(id).utf8
        json += #","provider_reference":""#.utf8
        json += providerReference.utf8
        json += #"","received_at":""#.utf8
        json += receivedAt.utf8
        json += #"","referrals":[],"state":""#.utf8
        json += state.rawValue.utf8
        json += #"","stored_files":"#.utf8
        json += String(storedFiles).utf8
        json += "}".utf8
        return json
    }

    /// A byte JSON writes as it is inside a string.
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "+"):
            return true
        default:
            return false
        }
    }
}

/// A stored file of a report: what the Centre computed from its bytes (not the bytes).
struct StoredFileView: Encodable {
    let reference: String
    let mediaType: String?
    let size: Int
    let md5: String
    let sha256: String
    let pdq: String?
    let pdqQuality: Int?
    let receivedAt: String

    init(_ info: ReportFileInfo) {
        reference = info.reference
        mediaType = info.mediaType
        size = info.size
        md5 = info.hashes.md5
        sha256 = info.hashes.sha256
        pdq = info.hashes.pdq
        pdqQuality = info.hashes.pdqQuality
        receivedAt = info.receivedAt
    }
}

/// An item as the Centre's staff see it.
struct ItemView: Encodable {
    let id: Int64
    let sha256: String?
    let md5: String?
    let pdq: String?
    let classification: ItemClassification?
    let memberStates: [String]
    let classifiedBy: String?
    let classifiedAt: String?
    /// How many reports carried it (the re-report count).
    let reportCount: Int
    let viral: Bool
    let firstSeenAt: String

    init(_ item: StoredItem) {
        id = item.id
        sha256 = item.sha256
        md5 = item.md5
        pdq = item.pdq
        classification = item.verdict?.classification
        memberStates = item.verdict?.memberStates.map(\.rawValue) ?? []
        classifiedBy = item.classifiedBy
        classifiedAt = item.classifiedAt
        reportCount = item.reportCount
        viral = item.viral
        firstSeenAt = item.firstSeenAt
    }
}

/// A proposal to put an item on a list.
struct ProposalView: Encodable {
    let id: Int64
    let itemId: Int64
    let list: String
    let reportId: Int64?
    let proposedBy: String
    let proposedAt: String
    let state: String
    let reviewedBy: String?
    let reviewedAt: String?
    let entryIds: [Int64]

    init(_ proposal: ItemProposal) {
        id = proposal.id
        itemId = proposal.itemId
        list = proposal.list
        reportId = proposal.reportId
        proposedBy = proposal.proposedBy
        proposedAt = proposal.proposedAt
        state = proposal.state.rawValue
        reviewedBy = proposal.reviewedBy
        reviewedAt = proposal.reviewedAt
        entryIds = proposal.entryIds
    }
}

/// One file of a report as an item.
struct ReportItemView: Encodable {
    let reference: String
    let item: ItemView

    init(reference: String, _ item: StoredItem) {
        self.reference = reference
        self.item = ItemView(item)
    }
}

/// A report's items and its case (the reports linked with it).
struct ReportItemsView: Encodable {
    let items: [ReportItemView]
    /// The case: the smallest id of the reports linked with this one.
    let caseId: Int64?
    /// Every report in the case (this one included).
    let caseReports: [Int64]
}

/// A report's stored files.
struct StoredFilePage: Encodable {
    let files: [StoredFileView]
}

/// A page of report summaries.
struct ReportPage: Encodable {
    let reports: [ReportSummary]
    /// The `after` for the next page (the last id), when the page was full.
    let next: Int64?
}

/// What a referral's recipient did, as the provider and the Centre see it.
struct ReferralView: Encodable {
    let id: Int64
    let reportId: Int64
    let recipient: String
    let createdAt: String
    let outcomeDueAt: String
    let acknowledgedAt: String?
    let outcome: ReferralOutcome?
    /// The outcome's free text: for the Centre and the recipient, not the provider.
    let outcomeDetail: String?
    let outcomeAt: String?
    let hold: Hold?
    let holdSetAt: String?

    init(_ referral: StoredReferral, withDetail: Bool) {
        id = referral.id
        reportId = referral.reportId
        recipient = referral.recipient.description
        createdAt = referral.createdAt
        outcomeDueAt = referral.outcomeDueAt
        acknowledgedAt = referral.acknowledgedAt
        outcome = referral.outcome
        outcomeDetail = withDetail ? referral.outcomeDetail : nil
        outcomeAt = referral.outcomeAt
        hold = referral.hold
        holdSetAt = referral.holdSetAt
    }
}

/// When the provider may inform its user (``UserNotificationRule``).
struct UserNotificationView: Encodable {
    /// `may_inform`, `wait` or `held`.
    let status: String
    /// Until when (for `wait` and `held`).
    let until: String?
    let reason: String

    init(_ status: UserNotificationRule.Status) {
        switch status {
        case .mayInform(let reason):
            self.status = "may_inform"
            until = nil
            self.reason = reason
        case .waitUntil(let date, let reason):
            self.status = "wait"
            until = date.rfc3339
            self.reason = reason
        case .held(let date):
            self.status = "held"
            until = date.rfc3339
            reason = "a police force asked that the user not be informed yet"
        }
    }
}

/// A report in full: the report as signed, where it is, the decision the provider may see, the
/// referrals and what they became, and the user-notification rule's answer.
struct ReportDetail: Encodable {
    let id: Int64
    let organisationId: Int64
    let state: ReportState
    let classifiedAutomatically: Bool
    let centreMatches: [String: [String]]
    let receivedAt: String
    let updatedAt: String
    /// The decision: for the provider, only an unfounded decision or a request for information;
    /// for the Centre, also a decision awaiting review (with who took it).
    let decision: AssessmentDecision?
    let decidedBy: String?
    let referrals: [ReferralView]
    let userNotification: UserNotificationView
    let report: Report
    /// The provider's signature (absent for a report that came by NCMEC's protocol, which has none).
    let signature: SignedReport.Signature?
    /// How the report reached the Centre (`signed` or `cybertipline`).
    let channel: ReportChannel
    /// The authorities' requests to keep it past its retention (for the Centre only; nil for a provider).
    let preservations: [PreservationView]?

    init(_ stored: StoredReport, referrals: [StoredReferral], preservations: [StoredPreservation], forCentre: Bool, now: Date) {
        self.preservations = forCentre ? preservations.map(PreservationView.init) : nil
        id = stored.id
        organisationId = stored.organisationId
        state = stored.state
        classifiedAutomatically = stored.classifiedAutomatically
        centreMatches = stored.centreMatches
        receivedAt = stored.receivedAt
        updatedAt = stored.updatedAt
        let visible = forCentre || stored.state == .unfounded || stored.state == .informationRequested
        decision = visible ? stored.pendingDecision : nil
        decidedBy = forCentre ? stored.decidedBy : nil
        self.referrals = referrals.map { ReferralView($0, withDetail: forCentre) }
        userNotification = UserNotificationView(
            UserNotificationRule.status(
                state: stored.state, receivedAt: RFC3339.date(from: stored.receivedAt) ?? now, holds: referrals.compactMap(\.hold), now: now))
        report = stored.report
        signature = stored.signature
        channel = stored.channel
    }
}

/// A referral with its report, as its recipient reads it.
struct ReferralDetail: Encodable {
    let referral: ReferralView
    let report: ReportSummary
    let content: Report
    /// The provider's signature (absent for a report that came by NCMEC's protocol, which has none).
    let signature: SignedReport.Signature?
    /// How the report reached the Centre (`signed` or `cybertipline`).
    let channel: ReportChannel
}

/// A page of referrals.
struct ReferralPage: Encodable {
    let referrals: [ReferralView]
    let next: Int64?
}

/// The result of `POST /v1/reports/validate`.
struct ValidationAnswer: Encodable {
    let complete: Bool
    let problems: [ReportProblem]
}

/// A signing key as answered (the public key in base64).
struct SigningKeyView: Encodable {
    let keyId: String
    let organisationId: Int64
    let publicKey: String
    let createdAt: String
    let revokedAt: String?

    init(_ key: SigningKey) {
        keyId = key.keyId
        organisationId = key.organisationId
        publicKey = Data(key.publicKey).base64EncodedString()
        createdAt = key.createdAt
        revokedAt = key.revokedAt
    }
}
