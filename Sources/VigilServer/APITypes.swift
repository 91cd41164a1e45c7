import VigilDomain

// The match answer as the matching code builds it, shared by the `/v1` routes (which answer it as
// the generated `Components.Schemas.MatchAnswer`), the HMA routes and the webhook events. The
// `/v1` request and response types themselves are generated from `openapi.yaml` (module VigilAPI).

/// One matched entry, with its list and provenance.
struct MatchItem: Codable, Sendable {
    var list: String
    var entryId: Int64
    var type: String
    var value: String
    var distance: Int
    var variant: String
    var provenance: Provenance
}

/// What a match request looked up, what it matched, and the actions taken.
struct MatchResponse: Sendable {
    var query: [String: String]
    var matches: [MatchItem]
    var actions: [ActionItem] = []
}

/// An action a matched list's policy asks for.
struct ActionItem: Codable, Sendable {
    var list: String
    var action: String
    /// The outbox message that carries the webhook, when the list has one.
    var deliveryId: Int64?
}

/// The body posted to a list's webhook.
struct WebhookEvent: Codable {
    var event: String
    var list: String
    var action: String
    var query: [String: String]
    var matches: [MatchItem]
    var at: String
}
