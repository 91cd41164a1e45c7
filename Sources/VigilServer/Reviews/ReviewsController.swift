import Foundation
import Hummingbird
import VigilDomain
import VigilStore

/// The provider node's review queue (`/v1/reviews`): what the match service queued (quarantine
/// lists, the classifier), open items first, and a person's decision on each, recorded once with
/// its audit event before the answer.
struct ReviewsController: Sendable {
    let node: Node
    let authoriser: Authoriser

    var store: any NodeStore { node.store }

    /// The body of `POST /v1/reviews/{id}/decision`.
    struct DecisionBody: Decodable {
        let outcome: ReviewOutcome
        let note: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case outcome, note
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // The document allows no other member: a misspelt one is refused, not ignored.
            try ClosedBody.refuseUnknownMembers(of: decoder, allowed: CodingKeys.self)
            outcome = try c.decode(ReviewOutcome.self, forKey: .outcome)
            note = try c.decodeIfPresent(String.self, forKey: .note)
        }
    }

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let v1 = router.group("v1").add(middleware: authentication).add(middleware: ServiceErrorMiddleware())
        let routes = AuthorisedRoutes(group: v1, authoriser: authoriser)
        routes.on(.get, "reviews", "listReviews") { request, context in
            var state: ReviewState?
            if let text = request.uri.queryParameters.get("state") {
                guard let parsed = ReviewState(rawValue: String(text)) else {
                    throw APIError.badRequest("invalid_request", "state is one of \(ReviewState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            var after: ReviewCursor?
            if let text = request.uri.queryParameters.get("after") {
                guard let cursor = ReviewCursor(text: String(text)) else {
                    throw APIError.badRequest("invalid_request", "after is the previous page's next, e.g. open.12")
                }
                after = cursor
            }
            let limit = try PlainRouteCoding.intParameter(request, "limit", default: 100, range: 1...1_000)
            let found = try await storeCall { () async throws(StoreError) in try await store.reviews(state: state, after: after, limit: limit) }
            let next = found.count == limit ? found.last.map { ReviewCursor(state: $0.state, id: $0.id).text } : nil
            return try PlainRouteCoding.encode(ReviewPage(reviews: found.map(ReviewView.init), next: next), context: context)
        }
        routes.on(.get, "reviews/:id", "getReview") { _, context in
            let id = try PlainRouteCoding.pathId(context)
            guard let review = try await storeCall({ () async throws(StoreError) in try await store.review(id: id) }) else {
                throw ErrorMap.answer(StoreError.reviewNotFound(id))
            }
            return try PlainRouteCoding.encode(ReviewView(review), context: context)
        }
        routes.on(.post, "reviews/:id/decision", "decideReview") { request, context in
            let id = try PlainRouteCoding.pathId(context)
            let actor = Actor(try PlainRouteCoding.principal(context))
            let body = try await PlainRouteCoding.decode(DecisionBody.self, from: request, limit: 64 << 10)
            let decision = ReviewDecision(
                outcome: body.outcome, by: actor.name, organisation: actor.organisation, at: node.clock.now().rfc3339, note: body.note)
            // The decision and its audit event in one transaction; an item decided already is a 409.
            let decided = try await storeCall { () async throws(StoreError) in try await store.decideReview(id: id, decision) }
            return try PlainRouteCoding.encode(ReviewView(decided), context: context)
        }
    }
}

/// A page of the review queue.
struct ReviewPage: Encodable {
    let reviews: [ReviewView]
    let next: String?
}

/// A review item as answered.
struct ReviewView: Encodable {
    let id: Int64
    let state: ReviewState
    let reasons: [ReviewReason]
    let hashes: [FileHash]
    let mediaType: String?
    let createdAt: String
    let decision: ReviewDecision?

    init(_ review: StoredReview) {
        id = review.id
        state = review.state
        reasons = review.reasons
        hashes = review.hashes
        mediaType = review.mediaType
        createdAt = review.createdAt
        decision = review.decision
    }
}
