/// One thing that happened, for the audit trail: who (the actor and its organisation) did what to
/// which object, and when. The store appends events to a hash chain in the same transaction as the
/// change they record.
public struct AuditEvent: Sendable, Codable, Hashable {
    /// Who acted: `key:<id>` for an API key, `cli:<user>` for the command line, `system` for the node itself.
    public var actor: String
    /// The actor's organisation, if any.
    public var organisation: String?
    /// What was done, dotted and stable (`list.create`, `entries.add`, `key.revoke`…).
    public var action: String
    /// What it was done to (`list:12`, `entry:3456`, `key:7`…).
    public var object: String
    /// When, RFC 3339 in UTC with milliseconds (from the injected clock).
    public var at: String
    /// Details for people (at most 4,096 bytes), never content.
    public var detail: String?

    /// Creates an event.
    public init(actor: String, organisation: String?, action: String, object: String, at: String, detail: String? = nil) {
        self.actor = actor
        self.organisation = organisation
        self.action = action
        self.object = object
        self.at = at
        self.detail = detail
    }
}

/// Who is acting, as the audit trail names it.
public struct Actor: Sendable, Hashable {
    /// The actor's name in the trail (see ``AuditEvent/actor``).
    public var name: String
    /// Its organisation's name, if any.
    public var organisation: String?

    /// Creates an actor.
    public init(name: String, organisation: String?) {
        self.name = name
        self.organisation = organisation
    }

    /// The node itself (background work, start-up).
    public static let system = Actor(name: "system", organisation: nil)

    /// The caller behind an API key.
    public init(_ principal: Principal) {
        self.init(name: "key:\(principal.keyId)", organisation: principal.organisation)
    }
}
