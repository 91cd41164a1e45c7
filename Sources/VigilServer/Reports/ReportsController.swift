import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilCentre
import VigilDomain
import VigilMatching
import VigilStore

/// The Centre's routes (served when the node's role is `centre` or `all`): providers file reports
/// and follow them; analysts assess and supervisors review; police and Europol receive referrals;
/// the Centre's administrators register providers' signing keys.
///
/// Every route is authorised by its operation id (``AccessPolicy/node``) before any input is read;
/// routes on one report or referral ask again with the row's attributes, and a refused row is
/// answered 404, as an absent one. Every read of a report's content and every change is an audit
/// event.
struct ReportsController: Sendable {
    let node: Node
    let authoriser: Authoriser
    /// The node's one intake (its callers share its group commits).
    let intake: ReportIntake

    init(node: Node, authoriser: Authoriser, intake: ReportIntake) {
        self.node = node
        self.authoriser = authoriser
        self.intake = intake
    }

    var store: any NodeStore { node.store }
    var assessment: AssessmentService { AssessmentService(store: node.store) }
    var referrals: ReferralService { ReferralService(store: node.store, clock: node.clock) }
    var content: ContentService { ContentService(store: node.store, vault: node.vault) }

    /// The largest report body accepted (JSON): 8 MiB, or the node's body limit if lower.
    var maxReportBytes: Int { min(node.settings.maxBodyBytes, 8 << 20) }

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        let routes = AuthorisedRoutes(group: v1, authoriser: authoriser)

        routes.on(.post, "reports", "fileReport") { request, context in
            let (signed, files) = try await filing(request, context: context)
            let stored = try await intake.file(signed, files: files, by: try principal(context))
            // Referrals exist at once only for a report classified known material on intake.
            var linked: [StoredReferral] = []
            if stored.state == .forwarded {
                linked = try await storeCall { () async throws(StoreError) in try await store.referrals(reportId: stored.id) }
            }
            let answer = FiledReport(stored, referrals: linked, storedFiles: files.count)
            guard let json = answer.directJSON else { return try encode(answer, status: .created, context: context) }
            return jsonResponse(json, status: .created)
        }
        routes.on(.post, "reports/validate", "validateReport") { request, context in
            let report = try await decode(Report.self, from: request, context: context, limit: maxReportBytes)
            let problems = intake.check(report)
            return try encode(ValidationAnswer(complete: problems.isEmpty, problems: problems), context: context)
        }
        routes.on(.get, "reports", "listReports") { request, context in
            let caller = try principal(context)
            let query = try reportQuery(request, organisation: caller.kind == .centre ? nil : caller.organisationId)
            let found = try await storeCall { () async throws(StoreError) in try await store.reports(query) }
            let next = found.count == query.limit ? found.last?.id : nil
            return try encode(ReportPage(reports: found.map(ReportSummary.init), next: next), context: context)
        }
        routes.on(.get, "reports/:id", "getReport") { request, context in
            let caller = try principal(context)
            let stored = try await visibleReport(request, context, operation: "getReport")
            try await audit(caller, "report.read", "report:\(stored.id)")
            return try await detail(stored, forCentre: caller.kind == .centre, context: context)
        }
        routes.on(.get, "reports/:id/files", "listReportFiles") { request, context in
            let stored = try await visibleReport(request, context, operation: "listReportFiles")
            let files = try await storeCall { () async throws(StoreError) in try await content.files(of: stored.id) }
            return try encode(StoredFilePage(files: files.map(StoredFileView.init)), context: context)
        }
        routes.on(.get, "reports/:id/files/:reference", "getReportFileContent") { request, context in
            let stored = try await visibleReport(request, context, operation: "getReportFileContent")
            return try await fileContent(of: stored.id, context: context, via: nil)
        }
        routes.on(.get, "reports/:id/items", "listReportItems") { request, context in
            let stored = try await visibleReport(request, context, operation: "listReportItems")
            let items = try await storeCall { () async throws(StoreError) in try await store.items(reportId: stored.id) }
            let linked = try await storeCall { () async throws(StoreError) in try await store.reportCase(of: stored.id) }
            return try encode(
                ReportItemsView(
                    items: stored.report.files.compactMap { file in items[file.reference].map { ReportItemView(reference: file.reference, $0) } },
                    caseId: linked?.caseId, caseReports: linked?.reports ?? []), context: context)
        }
        routes.on(.post, "items/:id/classification", "classifyItem") { request, context in
            let id = try pathId(context)
            let verdict = try await decode(ItemVerdict.self, from: request, context: context, limit: 64 << 10)
            let item = try await assessment.classify(item: id, as: verdict, by: Actor(try principal(context)))
            return try encode(ItemView(item), context: context)
        }
        routes.on(.post, "items/:id/proposals", "proposeItem") { request, context in
            let id = try pathId(context)
            let body = try await decode(ProposalRequest.self, from: request, context: context, limit: 64 << 10)
            let proposal = try await assessment.propose(item: id, toList: body.list, reportId: body.reportId, by: Actor(try principal(context)))
            return try encode(ProposalView(proposal), status: .created, context: context)
        }
        routes.on(.post, "proposals/:id/review", "reviewItemProposal") { request, context in
            let id = try pathId(context)
            let review = try await decode(ReviewRequest.self, from: request, context: context, limit: 64 << 10)
            let proposal = try await assessment.reviewProposal(id, approve: review.approve, by: Actor(try principal(context)))
            return try encode(ProposalView(proposal), context: context)
        }
        routes.on(.get, "assessment/queue", "assessmentQueue") { request, context in
            let states = try stateFilter(request) ?? [.queued]
            let limit = try intParameter(request, "limit", default: 100, range: 1...1_000)
            let queue = try await storeCall { () async throws(StoreError) in try await assessment.queue(states: states, limit: limit) }
            return try encode(ReportPage(reports: queue.map(ReportSummary.init), next: nil), context: context)
        }
        routes.on(.post, "reports/:id/decision", "decideReport") { request, context in
            let id = try pathId(context)
            let decision = try await decode(AssessmentDecision.self, from: request, context: context, limit: 64 << 10)
            let updated = try await assessment.decide(decision, on: id, by: Actor(try principal(context)))
            return try await detail(updated, forCentre: true, context: context)
        }
        routes.on(.post, "reports/:id/review", "reviewReport") { request, context in
            let id = try pathId(context)
            let review = try await decode(ReviewRequest.self, from: request, context: context, limit: 64 << 10)
            let updated = try await assessment.review(id, approve: review.approve, by: Actor(try principal(context)))
            return try await detail(updated, forCentre: true, context: context)
        }

        routes.on(.get, "referrals", "listReferrals") { request, context in
            let caller = try principal(context)
            let after = Int64(try intParameter(request, "after", default: 0, range: 0...Int.max))
            let limit = try intParameter(request, "limit", default: 100, range: 1...1_000)
            let pending = try boolParameter(request, "unacknowledged", default: false)
            let found = try await storeCall { () async throws(StoreError) in
                try await referrals.list(for: caller, unacknowledgedOnly: pending, afterId: after, limit: limit)
            }
            let next = found.count == limit ? found.last?.id : nil
            return try encode(ReferralPage(referrals: found.map { ReferralView($0, withDetail: true) }, next: next), context: context)
        }
        routes.on(.get, "referrals/:id", "getReferral") { request, context in
            let referral = try await visibleReferral(context, operation: "getReferral")
            let actor = Actor(try principal(context))
            let stored = try await storeCall { () async throws(StoreError) in try await referrals.open(referral, by: actor) }
            return try encode(
                ReferralDetail(
                    referral: ReferralView(referral, withDetail: true), report: ReportSummary(stored), content: stored.report,
                    signature: stored.signature, channel: stored.channel), context: context)
        }
        routes.on(.get, "referrals/:id/files/:reference", "getReferralFileContent") { request, context in
            let referral = try await visibleReferral(context, operation: "getReferralFileContent")
            return try await fileContent(of: referral.reportId, context: context, via: "referral:\(referral.id)")
        }
        routes.on(.post, "referrals/:id/acknowledge", "acknowledgeReferral") { request, context in
            let referral = try await visibleReferral(context, operation: "acknowledgeReferral")
            let actor = Actor(try principal(context))
            let updated = try await storeCall { () async throws(StoreError) in try await referrals.acknowledge(referral.id, by: actor) }
            return try encode(ReferralView(updated, withDetail: true), context: context)
        }
        routes.on(.post, "referrals/:id/outcome", "postReferralOutcome") { request, context in
            let referral = try await visibleReferral(context, operation: "postReferralOutcome")
            let body = try await decode(OutcomeRequest.self, from: request, context: context, limit: 64 << 10)
            let updated = try await referrals.postOutcome(body.outcome, detail: body.detail, on: referral.id, by: Actor(try principal(context)))
            return try encode(ReferralView(updated, withDetail: true), context: context)
        }
        routes.on(.put, "referrals/:id/hold", "setReferralHold") { request, context in
            let referral = try await visibleReferral(context, operation: "setReferralHold")
            let hold = try await decode(Hold.self, from: request, context: context, limit: 64 << 10)
            let updated = try await referrals.setHold(hold, on: referral.id, by: Actor(try principal(context)))
            return try encode(ReferralView(updated, withDetail: true), context: context)
        }
        routes.on(.delete, "referrals/:id/hold", "liftReferralHold") { request, context in
            let referral = try await visibleReferral(context, operation: "liftReferralHold")
            let updated = try await referrals.setHold(nil, on: referral.id, by: Actor(try principal(context)))
            return try encode(ReferralView(updated, withDetail: true), context: context)
        }

        routes.on(.post, "organisations/:id/signing-keys", "registerSigningKey") { request, context in
            let id = try pathId(context)
            let body = try await decode(SigningKeyRequest.self, from: request, context: context, limit: 64 << 10)
            guard let publicKey = Data(base64Encoded: body.publicKey), publicKey.count == 32 else {
                throw APIError.badRequest("invalid_request", "public_key is a 32-byte Ed25519 public key, base64")
            }
            let bytes = Array(publicKey)
            let actor = Actor(try principal(context))
            let key = try await storeCall { () async throws(StoreError) in
                try await SigningKeys.register(publicKey: bytes, organisationId: id, by: actor, in: store)
            }
            return try encode(SigningKeyView(key), status: .created, context: context)
        }
        routes.on(.put, "organisations/:id/webhook", "setOrganisationWebhook") { request, context in
            let id = try pathId(context)
            let body = try await decode(WebhookRequest.self, from: request, context: context, limit: 64 << 10)
            let webhook = OrganisationWebhook(organisationId: id, url: body.url, secret: body.secret)
            if let refusal = node.settings.webhookAddresses.refusal(ofWebhook: body.url) {
                // 422 as the route answers every other refused webhook (OrganisationWebhooks.problem).
                throw APIError(.unprocessableContent, code: "webhook_address_not_allowed", "url is refused: \(refusal)")
            }
            try await OrganisationWebhooks.set(webhook, organisationId: id, by: Actor(try principal(context)), in: store)
            return Response(status: .noContent)
        }
        routes.on(.delete, "organisations/:id/webhook", "deleteOrganisationWebhook") { request, context in
            let id = try pathId(context)
            try await OrganisationWebhooks.set(nil, organisationId: id, by: Actor(try principal(context)), in: store)
            return Response(status: .noContent)
        }
        routes.on(.get, "organisations/:id/signing-keys", "listSigningKeys") { request, context in
            let id = try pathId(context)
            try authoriser.require(context.principal, "listSigningKeys", resource: ResourceAttributes(owner: id))
            let keys = try await storeCall { () async throws(StoreError) in try await store.signingKeys(organisationId: id) }
            return try encode(keys.map(SigningKeyView.init), context: context)
        }
    }

    // MARK: Helpers

    /// The signed report and its files from a filing: a JSON body (the report alone), or a
    /// `multipart/form-data` body with a part named `report` (the signed report's JSON) and a part
    /// named `file` per file whose bytes come along, its `filename` the file's reference.
    func filing(_ request: Request, context: VigilRequestContext) async throws -> (SignedReport, [ReceivedFile]) {
        guard let contentType = request.headers[.contentType], let boundary = MultipartForm.boundary(contentType: contentType) else {
            return (try await decode(SignedReport.self, from: request, context: context, limit: maxReportBytes), [])
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: node.settings.maxBodyBytes)
        } catch {
            throw APIError.uploadTooLarge(limit: node.settings.maxBodyBytes)
        }
        guard let parts = MultipartForm.parse(Array(body.readableBytesView), boundary: boundary) else {
            throw APIError.badRequest("invalid_multipart", "the multipart/form-data body is not well formed")
        }
        let reports = parts.filter { $0.name == "report" }
        guard reports.count == 1, let reportPart = reports.first else {
            throw APIError.badRequest(
                "invalid_multipart", "a filing has one part named report (the signed report's JSON); this one has \(reports.count)")
        }
        guard reportPart.body.count <= maxReportBytes else { throw APIError.jsonTooLarge(limit: maxReportBytes) }
        let signed: SignedReport
        do {
            signed = try ReportCoding.decoder().decode(SignedReport.self, from: Data(reportPart.body))
        } catch let error as DecodingError {
            throw OpenAPIErrors.invalidJSON(error)
        }
        var files: [ReceivedFile] = []
        for part in parts where part.name != "report" {
            guard part.name == "file", let reference = part.filename, !reference.isEmpty else {
                throw APIError.badRequest(
                    "invalid_multipart", "a part is named report or file (with its filename the file's reference); \"\(part.name)\" is neither")
            }
            files.append(ReceivedFile(reference: reference, bytes: part.body))
        }
        return (signed, files)
    }

    /// The bytes of the file named by the path's `reference` of report `reportId`, as
    /// `application/octet-stream`, after the read is on the audit chain.
    func fileContent(of reportId: Int64, context: VigilRequestContext, via: String?) async throws -> Response {
        guard let reference = context.parameters.get("reference"), !reference.isEmpty else {
            throw APIError.notFound("not_found", "the path names a file reference")
        }
        let (info, bytes) = try await content.read(reportId: reportId, reference: reference, by: Actor(try principal(context)), via: via)
        var headers: HTTPFields = [.contentType: "application/octet-stream", .cacheControl: "no-store"]
        if let name = HTTPField.Name("X-Content-SHA256") { headers[name] = info.hashes.sha256 }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func principal(_ context: VigilRequestContext) throws -> Principal { try PlainRouteCoding.principal(context) }

    func pathId(_ context: VigilRequestContext) throws -> Int64 { try PlainRouteCoding.pathId(context) }

    /// The report in the path, if the caller may see it (else 404, as for an absent one).
    func visibleReport(_ request: Request, _ context: VigilRequestContext, operation: String) async throws -> StoredReport {
        let id = try pathId(context)
        guard let stored = try await storeCall({ () async throws(StoreError) in try await store.report(id: id) }) else {
            throw ErrorMap.answer(StoreError.reportNotFound(id))
        }
        do {
            try authoriser.require(context.principal, operation, resource: ResourceAttributes(owner: stored.organisationId))
        } catch {
            throw ErrorMap.answer(StoreError.reportNotFound(id))
        }
        return stored
    }

    /// The referral in the path, if the caller may see it (else 404, as for an absent one).
    func visibleReferral(_ context: VigilRequestContext, operation: String) async throws -> StoredReferral {
        let id = try pathId(context)
        guard let referral = try await storeCall({ () async throws(StoreError) in try await store.referral(id: id) }) else {
            throw ErrorMap.answer(StoreError.referralNotFound(id))
        }
        do {
            try authoriser.require(context.principal, operation, resource: ReferralService.attributes(of: referral))
        } catch {
            throw ErrorMap.answer(StoreError.referralNotFound(id))
        }
        return referral
    }

    func detail(_ stored: StoredReport, forCentre: Bool, context: VigilRequestContext) async throws -> Response {
        let linked = try await storeCall { () async throws(StoreError) in try await store.referrals(reportId: stored.id) }
        let kept = forCentre ? try await storeCall { () async throws(StoreError) in try await store.preservations(reportId: stored.id) } : []
        return try encode(
            ReportDetail(stored, referrals: linked, preservations: kept, forCentre: forCentre, now: node.clock.now()), context: context)
    }

    func audit(_ principal: Principal, _ action: String, _ object: String) async throws {
        let actor = Actor(principal)
        try await storeCall { () async throws(StoreError) in
            try await store.write { tx throws(StoreError) -> Void in
                try tx.appendAudit(
                    AuditEvent(actor: actor.name, organisation: actor.organisation, action: action, object: object, at: tx.now.rfc3339Text))
            }
        }
    }

    /// Reads a JSON body of at most `limit` bytes as `T` (``PlainRouteCoding/decode(_:from:limit:)``).
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: VigilRequestContext, limit: Int) async throws -> T {
        try await PlainRouteCoding.decode(type, from: request, limit: limit)
    }

    func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok, context: VigilRequestContext) throws -> Response {
        try PlainRouteCoding.encode(value, status: status, context: context)
    }

    /// An answer of JSON `bytes`.
    func jsonResponse(_ bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        PlainRouteCoding.jsonResponse(bytes, status: status)
    }

    func reportQuery(_ request: Request, organisation: Int64?) throws -> ReportQuery {
        ReportQuery(
            organisationId: organisation, states: try stateFilter(request),
            afterId: Int64(try intParameter(request, "after", default: 0, range: 0...Int.max)),
            limit: try intParameter(request, "limit", default: 100, range: 1...1_000))
    }

    func stateFilter(_ request: Request) throws -> Set<ReportState>? {
        guard let text = request.uri.queryParameters.get("state"), !text.isEmpty else { return nil }
        var states = Set<ReportState>()
        for name in text.split(separator: ",") {
            guard let state = ReportState(rawValue: String(name)) else {
                throw APIError.badRequest(
                    "invalid_request", "state is one or more of \(ReportState.allCases.map(\.rawValue).joined(separator: ", ")), comma-separated")
            }
            states.insert(state)
        }
        return states
    }

    func intParameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        try PlainRouteCoding.intParameter(request, name, default: value, range: range)
    }

    func boolParameter(_ request: Request, _ name: String, default value: Bool) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badRequest("invalid_request", "\(name) is true or false")
        }
    }
}

/// `POST /v1/reports/{id}/review`'s body.
struct ReviewRequest: Decodable {
    let approve: Bool
}

/// `POST /v1/items/{id}/proposals`' body.
struct ProposalRequest: Decodable {
    let list: String
    let reportId: Int64?

    enum CodingKeys: String, CodingKey {
        case list
        case reportId = "report_id"
    }
}

/// `POST /v1/referrals/{id}/outcome`'s body.
struct OutcomeRequest: Decodable {
    let outcome: ReferralOutcome
    let detail: String?
}

/// `PUT /v1/organisations/{id}/webhook`'s body.
struct WebhookRequest: Decodable {
    let url: String
    let secret: String
}

/// `POST /v1/organisations/{id}/signing-keys`'s body.
struct SigningKeyRequest: Decodable {
    let publicKey: String

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
    }
}

/// Turns the services' errors (store, Centre) into the `/v1` error answers for plain routes.
struct ServiceErrorMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as StoreError {
            throw ErrorMap.answer(error)
        } catch let error as CentreError {
            throw ErrorMap.answer(error)
        }
    }
}
