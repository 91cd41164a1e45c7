public import Foundation
import GRDB
public import VigilDomain

/// A message waiting in (or delivered from) the transactional outbox.
public struct OutboxDelivery: Sendable, Hashable {
    /// The delivery's id (also sent as `X-Vigil-Delivery`).
    public var id: Int64
    /// Where it goes.
    public var url: String
    /// The signing secret.
    public var secret: String
    /// The JSON body.
    public var body: [UInt8]
    /// Attempts made so far.
    public var attempts: Int
    /// When it was delivered, if it was.
    public var deliveredAt: String?
    /// The last failure, if any.
    public var lastError: String?
}

/// A message to put in the outbox.
public struct OutboxMessage: Sendable, Hashable {
    /// Where it goes.
    public var url: String
    /// The signing secret.
    public var secret: String
    /// The JSON body.
    public var body: [UInt8]

    /// Creates a message.
    public init(url: String, secret: String, body: [UInt8]) {
        self.url = url
        self.secret = secret
        self.body = body
    }
}

/// Action policies and the transactional outbox: a message is durably recorded before anything
/// is acknowledged, and delivered (with retries) afterwards, so none is lost across restarts.
public protocol ActionStore: Sendable {
    /// Sets (or, with nil, clears) a list's action policy.
    func setPolicy(_ policy: ActionPolicy?, forList name: String) async throws(StoreError)
    /// Every list's policy, by list id.
    func policies() async throws(StoreError) -> [Int64: ActionPolicy]
    /// Records messages in one transaction; returns their ids.
    func enqueue(_ messages: [OutboxMessage]) async throws(StoreError) -> [Int64]
    /// Undelivered messages whose next attempt is due at `now`, oldest first.
    func dueDeliveries(now: Date, limit: Int) async throws(StoreError) -> [OutboxDelivery]
    /// Marks a delivery done.
    func markDelivered(_ id: Int64, at: Date) async throws(StoreError)
    /// Records a failed attempt and when to try again (nil: give up).
    func markFailed(_ id: Int64, error: String, retryAt: Date?) async throws(StoreError)
    /// One delivery, for status and tests.
    func delivery(_ id: Int64) async throws(StoreError) -> OutboxDelivery?
}

extension SQLiteStore: ActionStore {
    static func registerOutboxMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-actions-outbox") { db in
            try db.execute(sql: """
                CREATE TABLE list_actions (
                    list_id INTEGER PRIMARY KEY REFERENCES lists(id),
                    action TEXT NOT NULL,
                    webhook_url TEXT,
                    secret TEXT,
                    updated_at TEXT NOT NULL
                );
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    body BLOB NOT NULL,
                    created_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at TEXT NOT NULL,
                    delivered_at TEXT,
                    failed_at TEXT,
                    last_error TEXT
                );
                CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
                """)
        }
    }

    public func setPolicy(_ policy: ActionPolicy?, forList name: String) async throws(StoreError) {
        if let policy {
            do throws(ActionPolicyError) { try policy.validate() } catch { throw .invalid(error.description) }
        }
        let now = Date().rfc3339
        try await writeTransaction { db in
            guard let listId = try Int64.fetchOne(db, sql: "SELECT id FROM lists WHERE name = ?", arguments: [name]) else {
                throw StoreError.listNotFound(name)
            }
            try db.execute(sql: "DELETE FROM list_actions WHERE list_id = ?", arguments: [listId])
            if let policy {
                try db.execute(
                    sql: "INSERT INTO list_actions (list_id, action, webhook_url, secret, updated_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [listId, policy.action.rawValue, policy.webhookURL, policy.secret, now])
            }
        }
    }

    public func policies() async throws(StoreError) -> [Int64: ActionPolicy] {
        try await readTransaction { db in
            var policies: [Int64: ActionPolicy] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM list_actions") {
                guard let action = ListAction(rawValue: row["action"]) else { continue }
                policies[row["list_id"]] = ActionPolicy(action: action, webhookURL: row["webhook_url"], secret: row["secret"])
            }
            return policies
        }
    }

    public func enqueue(_ messages: [OutboxMessage]) async throws(StoreError) -> [Int64] {
        guard !messages.isEmpty else { return [] }
        let now = Date().rfc3339
        return try await writeTransaction { db in
            var ids: [Int64] = []
            for message in messages {
                try db.execute(
                    sql: "INSERT INTO outbox (url, secret, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [message.url, message.secret, Data(message.body), now, now])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    private static func delivery(_ row: Row) -> OutboxDelivery {
        OutboxDelivery(
            id: row["id"], url: row["url"], secret: row["secret"], body: [UInt8](row["body"] as Data), attempts: row["attempts"],
            deliveredAt: row["delivered_at"], lastError: row["last_error"])
    }

    public func dueDeliveries(now: Date, limit: Int) async throws(StoreError) -> [OutboxDelivery] {
        let cutoff = now.rfc3339
        return try await readTransaction { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
                    ORDER BY id LIMIT ?
                    """,
                arguments: [cutoff, limit]
            ).map(Self.delivery)
        }
    }

    public func markDelivered(_ id: Int64, at: Date) async throws(StoreError) {
        let when = at.rfc3339
        try await writeTransaction { db in
            try db.execute(sql: "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?", arguments: [when, id])
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?) async throws(StoreError) {
        let now = Date().rfc3339
        let next = retryAt?.rfc3339
        try await writeTransaction { db in
            if let next {
                try db.execute(
                    sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                    arguments: [error, next, id])
            } else {
                try db.execute(
                    sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE id = ?",
                    arguments: [error, now, id])
            }
        }
    }

    public func delivery(_ id: Int64) async throws(StoreError) -> OutboxDelivery? {
        try await readTransaction { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE id = ?", arguments: [id]).map(Self.delivery)
        }
    }
}
