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
