import Foundation
import Hummingbird
import VigilDomain
import VigilStore

/// `/v1/lists/{name}/entries/{id}/verdicts`: a reviewer's verdict on an entry (the reviewer is the
/// caller's key, never a field of the body), and the entry's verdicts with where their feedback to
/// the exchange that brought the entry stands.
struct VerdictsController: Sendable {
    let node: Node
    let authoriser: Authoriser

    var service: VerdictService { VerdictService(node: node) }

    /// `POST …/verdicts`'s body.
    struct VerdictBody: Decodable {
        let verdict: EntryVerdictKind

        enum CodingKeys: String, CodingKey, CaseIterable {
            case verdict
        }

        init(from decoder: any Decoder) throws {
            // The document allows no other member (a reviewer field is refused: the reviewer is the caller).
            try ClosedBody.refuseUnknownMembers(of: decoder, allowed: CodingKeys.self)
            verdict = try decoder.container(keyedBy: CodingKeys.self).decode(EntryVerdictKind.self, forKey: .verdict)
        }
    }

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        let routes = AuthorisedRoutes(group: v1, authoriser: authoriser)
        routes.on(.post, "lists/:name/entries/:id/verdicts", "recordEntryVerdict") { request, context in
            let name = try context.parameters.require("name")
            let id = try PlainRouteCoding.pathId(context)
            let actor = Actor(try PlainRouteCoding.principal(context))
            let body = try await PlainRouteCoding.decode(VerdictBody.self, from: request, limit: 4 << 10)
            let stored = try await storeCall { () async throws(StoreError) in try await service.record(body.verdict, entry: id, list: name, by: actor)
            }
            return try PlainRouteCoding.encode(VerdictView(stored, list: name), context: context)
        }
        routes.on(.get, "lists/:name/entries/:id/verdicts", "listEntryVerdicts") { _, context in
            let name = try context.parameters.require("name")
            let id = try PlainRouteCoding.pathId(context)
            let found = try await storeCall { () async throws(StoreError) in try await service.verdicts(entry: id, list: name) }
            return try PlainRouteCoding.encode(VerdictsView(verdicts: found.map { VerdictView($0, list: name) }), context: context)
        }
    }
}

/// `GET …/verdicts`'s answer.
struct VerdictsView: Encodable {
    let verdicts: [VerdictView]
}

/// A verdict as answered, with its feedback's status.
struct VerdictView: Encodable {
    /// Where the message sending the verdict to the entry's exchange stands.
    struct Feedback: Encodable {
        let deliveryId: Int64
        let exchange: String?
        let verdict: EntryVerdictKind
        let state: FeedbackState
        let attempts: Int
        let nextAttemptAt: String?
        let lastError: String?
        let sentAt: String?
        let createdAt: String

        enum CodingKeys: String, CodingKey {
            case exchange, verdict, state, attempts
            case deliveryId = "delivery_id"
            case nextAttemptAt = "next_attempt_at"
            case lastError = "last_error"
            case sentAt = "sent_at"
            case createdAt = "created_at"
        }

        init(_ feedback: StoredFeedback) {
            deliveryId = feedback.id
            exchange = feedback.exchangeName
            verdict = feedback.verdict
            state = feedback.state
            attempts = feedback.attempts
            // A pending message's next attempt; a claimed one's is its lease's end.
            nextAttemptAt = feedback.state == .pending ? feedback.nextAttemptAt : nil
            lastError = feedback.lastError
            sentAt = feedback.sentAt
            createdAt = feedback.createdAt
        }
    }

    let id: Int64
    let entryId: Int64
    let list: String
    let reviewer: String
    let organisation: String?
    let verdict: EntryVerdictKind
    let createdAt: String
    let updatedAt: String
    let feedback: Feedback?

    enum CodingKeys: String, CodingKey {
        case id, list, reviewer, organisation, verdict, feedback
        case entryId = "entry_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ verdict: StoredEntryVerdict, list: String) {
        id = verdict.id
        entryId = verdict.entryId
        self.list = list
        reviewer = verdict.reviewer
        organisation = verdict.organisation
        self.verdict = verdict.verdict
        createdAt = verdict.createdAt
        updatedAt = verdict.updatedAt
        feedback = verdict.feedback.map(Feedback.init)
    }
}
