import Foundation
public import VigilDomain
public import VigilStore

/// Registering a provider's signing key at the Centre: the one place for the Centre's API and
/// `vigil reports register-key`.
public enum SigningKeys {
    /// Registers the raw 32-byte Ed25519 `publicKey` with organisation `organisationId`, with its
    /// audit event, in one transaction; returns the key as stored.
    public static func register(publicKey: [UInt8], organisationId: Int64, by actor: Actor, in store: any CentreStore) async throws(StoreError)
        -> SigningKey
    {
        try await store.write { tx throws(StoreError) in
            let key = try tx.registerSigningKey(
                SigningKey(keyId: SigningKeyID.make(publicKey: publicKey), organisationId: organisationId, publicKey: publicKey, createdAt: ""))
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation, action: "signing_key.register", object: "organisation:\(organisationId)",
                    at: tx.now.rfc3339Text, detail: key.keyId))
            return key
        }
    }
}

/// Organisations' webhooks for the Centre's notices (new referrals to police and Europol): set and
/// removed by the Centre's administrators, each change an audit event (the secret never is).
public enum OrganisationWebhooks {
    /// What is wrong with a webhook, or nil: an http(s) address with a host and without
    /// credentials (``OutboundURL``), a secret of at least 16 characters.
    public static func problem(url: String, secret: String) -> String? {
        do throws(OutboundURLError) {
            _ = try OutboundURL(url)
        } catch {
            return "url is an http or https address with a host: \(error.description)"
        }
        guard secret.count >= 16 else { return "secret has at least 16 characters (it signs every notice)" }
        return nil
    }

    /// Sets (or, with nil, removes) organisation `organisationId`'s webhook, by `actor`.
    public static func set(_ webhook: OrganisationWebhook?, organisationId: Int64, by actor: Actor, in store: any CentreStore) async throws {
        if let webhook, let problem = problem(url: webhook.url, secret: webhook.secret) {
            throw CentreError(code: .invalidDecision, message: problem)
        }
        try await store.write { tx throws(StoreError) -> Void in
            try tx.setOrganisationWebhook(organisationId: organisationId, webhook)
            try tx.appendAudit(
                AuditEvent(
                    actor: actor.name, organisation: actor.organisation,
                    action: webhook == nil ? "organisation.webhook_remove" : "organisation.webhook_set",
                    object: "organisation:\(organisationId)", at: tx.now.rfc3339Text, detail: webhook?.url))
        }
    }
}
