import Foundation
import Hummingbird
import VigilDomain
import VigilStore

/// A provider node's reports to the Centre (`/v1/filings`): what its action policies filed, where
/// each is (``FilingState``), what the Centre decided, any police hold, and when the user may be
/// informed, computed from that state by the one rule (``UserNotificationRule``). A filing that a
/// match alone could not make complete is completed here with what the provider knows.
struct FilingsController: Sendable {
    let node: Node
    let authoriser: Authoriser

    var store: any NodeStore { node.store }

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        let routes = AuthorisedRoutes(group: v1, authoriser: authoriser)
        routes.on(.get, "filings", "listFilings") { request, context in
            var state: FilingState?
            if let text = request.uri.queryParameters.get("state") {
                guard let parsed = FilingState(rawValue: String(text)) else {
                    throw APIError.badRequest(
                        "invalid_request", "state is one of \(FilingState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            let after = Int64(try PlainRouteCoding.intParameter(request, "after", default: 0, range: 0...Int.max))
            let limit = try PlainRouteCoding.intParameter(request, "limit", default: 100, range: 1...1_000)
            let found = try await storeCall { () async throws(StoreError) in try await store.filings(state: state, after: after, limit: limit) }
            let now = node.clock.now()
            return try PlainRouteCoding.encode(
                FilingPage(filings: found.map { FilingView($0, now: now, withReport: false) }, next: found.count == limit ? found.last?.id : nil),
                context: context)
        }
        routes.on(.get, "filings/:id", "getFiling") { _, context in
            let id = try PlainRouteCoding.pathId(context)
            guard let filing = try await storeCall({ () async throws(StoreError) in try await store.filing(id: id) }) else {
                throw ErrorMap.answer(StoreError.filingNotFound(id))
            }
            return try PlainRouteCoding.encode(FilingView(filing, now: node.clock.now(), withReport: true), context: context)
        }
        routes.on(.post, "filings/:id/complete", "completeFiling") { request, context in
            let id = try PlainRouteCoding.pathId(context)
            let principal = try PlainRouteCoding.principal(context)
            let added = try await PlainRouteCoding.decode(FilingContext.self, from: request, limit: 1 << 20)
            guard let filing = try await storeCall({ () async throws(StoreError) in try await store.filing(id: id) }) else {
                throw ErrorMap.answer(StoreError.filingNotFound(id))
            }
            let report = FilingDraft.completing(filing.report, with: added)
            let problems = ReportValidation.problems(report)
            guard problems.isEmpty else {
                throw APIError(
                    .unprocessableContent, code: "incomplete_report",
                    "the report would still be incomplete or invalid; nothing was changed: send everything the problems list", problems: problems)
            }
            let actor = Actor(principal)
            // The change and its audit event in one transaction; a filing no longer incomplete is a 409 (state_changed).
            let completed = try await storeCall { () async throws(StoreError) in
                try await store.write { tx throws(StoreError) -> StoredFiling in
                    let completed = try tx.completeFiling(id: id, report: report)
                    try tx.appendAudit(
                        AuditEvent(
                            actor: actor.name, organisation: actor.organisation, action: "filing.complete", object: "filing:\(id)",
                            at: tx.now.rfc3339Text))
                    return completed
                }
            }
            return try PlainRouteCoding.encode(FilingView(completed, now: node.clock.now(), withReport: true), context: context)
        }
    }
}

/// A page of filings.
struct FilingPage: Encodable {
    let filings: [FilingView]
    let next: Int64?
}

/// A filing as answered.
struct FilingView: Encodable {
    let id: Int64
    let reference: String
    let listId: Int64?
    let state: FilingState
    let problems: [ReportProblem]
    let matches: [FilingMatch]
    let createdAt: String
    let updatedAt: String
    let attempts: Int
    let nextAttemptAt: String?
    let lastError: String?
    let centreReportId: Int64?
    let filedAt: String?
    /// What the Centre last said: its state, the decision the provider may see, the referrals with
    /// outcomes and holds.
    let centre: CentreReportStatus?
    let checkedAt: String?
    /// Whether a police hold forbids removing the material now.
    let mustNotRemove: Bool
    /// When the user may be informed (only once the Centre holds the report).
    let userNotification: UserNotificationView?
    /// The report as sent (in a single filing's answer).
    let report: Report?

    init(_ filing: StoredFiling, now: Date, withReport: Bool) {
        id = filing.id
        reference = filing.reference
        listId = filing.listId
        state = filing.state
        problems = filing.problems
        matches = filing.matches
        createdAt = filing.createdAt
        updatedAt = filing.updatedAt
        attempts = filing.attempts
        nextAttemptAt = filing.nextAttemptAt
        lastError = filing.lastError
        centreReportId = filing.centreReportId
        filedAt = filing.filedAt
        centre = filing.centreStatus
        checkedAt = filing.checkedAt
        mustNotRemove = filing.centreStatus?.mustNotRemove(at: now) ?? false
        userNotification = filing.centreStatus.map { UserNotificationView($0.userNotification(now: now)) }
        report = withReport ? filing.report : nil
    }
}
