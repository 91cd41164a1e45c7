public import Foundation
import NIOCore
import PostgresNIO
public import VigilDomain

// PostgresStore's reads and the bookkeeping outside the unit of work; its changes are the shared
// ones over the unit of work (UnitOfWorkStores.swift).

extension PostgresStore: ListStore {
    public func lists() async throws(StoreError) -> [StoredList] {
        try await read { session throws(StoreError) in
            try session.rows("SELECT \(unescaped: PostgresTransaction.listColumns) FROM lists ORDER BY name").map(PostgresTransaction.storedList)
        }
    }

    public func list(named name: String) async throws(StoreError) -> StoredList {
        try await read { session throws(StoreError) in try PostgresTransaction.fetchList(session, named: name) }
    }

    public func entries(ofList name: String, afterId: Int64, limit: Int) async throws(StoreError) -> [StoredEntry] {
        let limit = max(0, min(limit, 10_000))
        return try await read { session throws(StoreError) in
            let list = try PostgresTransaction.fetchList(session, named: name)
            return try session.rows(
                """
                SELECT \(unescaped: PostgresTransaction.entryColumns) FROM entries
                WHERE list_id = \(list.id) AND id > \(afterId) AND deleted_at IS NULL ORDER BY id LIMIT \(limit)
                """
            ).map(PostgresTransaction.storedEntry)
        }
    }

    public func entries(ofContent content: Int64, inList listId: Int64) async throws(StoreError) -> [StoredEntry] {
        try await read { session throws(StoreError) in
            try session.rows(
                """
                SELECT \(unescaped: PostgresTransaction.entryColumns) FROM entries
                WHERE list_id = \(listId) AND ((id = \(content) AND content_id IS NULL) OR content_id = \(content)) AND deleted_at IS NULL
                ORDER BY id
                """
            ).map(PostgresTransaction.storedEntry)
        }
    }

    public func entries(ids: [Int64]) async throws(StoreError) -> [Int64: StoredEntry] {
        guard !ids.isEmpty else { return [:] }
        return try await read { session throws(StoreError) in try PostgresTransaction.fetchEntries(session, ids: ids) }
    }

    public func changes(after sequence: Int64, limit: Int) async throws(StoreError) -> [EntryChange] {
        let limit = max(1, limit)
        return try await read { session throws(StoreError) in
            try session.rows(
                "SELECT sequence, kind, entry_id, list_id, signal_type, value FROM changes WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)"
            ).map { (row: PostgresRow) throws(StoreError) -> EntryChange in
                let (sequence, kindName, entryId, listId, typeName, value) = try row.decoded((Int64, String, Int64, Int64, String, String).self)
                guard let kind = EntryChange.Kind(rawValue: kindName), let type = SignalType(rawValue: typeName) else {
                    throw .internal("the change feed holds an unknown change")
                }
                return EntryChange(sequence: sequence, kind: kind, entryId: entryId, listId: listId, type: type, value: value)
            }
        }
    }
}

extension PostgresStore: OrganisationStore, KeyStore {
    public func organisations() async throws(StoreError) -> [Organisation] {
        try await read { session throws(StoreError) in
            try session.rows("SELECT \(unescaped: PostgresTransaction.organisationColumns) FROM organisations ORDER BY name").map(
                PostgresTransaction.organisation)
        }
    }

    public func organisation(id: Int64) async throws(StoreError) -> Organisation? {
        try await read { session throws(StoreError) in
            try session.rows("SELECT \(unescaped: PostgresTransaction.organisationColumns) FROM organisations WHERE id = \(id)").first.map(
                PostgresTransaction.organisation)
        }
    }

    public func organisation(named name: String) async throws(StoreError) -> Organisation? {
        try await read { session throws(StoreError) in
            try session.rows("SELECT \(unescaped: PostgresTransaction.organisationColumns) FROM organisations WHERE name = \(name)").first.map(
                PostgresTransaction.organisation)
        }
    }

    public func verify(secret: String) async throws(StoreError) -> Principal? {
        guard KeySecret.hasKeyShape(secret) else { return nil }
        let digest = ByteBuffer(bytes: KeySecret.digest(secret))
        return try await read { session throws(StoreError) in
            guard
                let row = try session.rows(
                    """
                    SELECT k.id, k.scopes, o.id, o.name, o.kind, o.member_state
                    FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
                    WHERE k.secret_sha256 = \(digest) AND k.revoked_at IS NULL
                    """
                ).first
            else { return nil }
            let (keyId, scopes, organisationId, organisation, kindName, memberState) = try row.decoded(
                (Int64, String, Int64, String, String, String?).self)
            guard let kind = OrganisationKind(rawValue: kindName) else { throw .internal("organisation \(organisationId) has an unknown kind") }
            // A key never holds more than its organisation's kind allows, whatever its row says.
            return Principal(
                keyId: keyId, organisationId: organisationId, organisation: organisation, kind: kind,
                jurisdiction: memberState.flatMap(MemberState.init(rawValue:)), scopes: Scopes.decode(scopes).intersection(Scope.allowed(for: kind)))
        }
    }

    public func keys() async throws(StoreError) -> [APIKeyInfo] {
        try await read { session throws(StoreError) in
            try session.rows("\(unescaped: PostgresTransaction.keyQuery) ORDER BY k.id").map(PostgresTransaction.keyInfo)
        }
    }
}

extension PostgresStore: ActionPolicyStore, OutboxStore {
    public func policies() async throws(StoreError) -> [Int64: ActionPolicy] {
        try await read { session throws(StoreError) in
            var policies: [Int64: ActionPolicy] = [:]
            for row in try session.rows("SELECT \(unescaped: PostgresTransaction.policyColumns) FROM list_actions") {
                let (listId, policy) = try PostgresTransaction.policy(row)
                policies[listId] = policy
            }
            return policies
        }
    }

    static let deliveryQuery = """
        SELECT o.id, o.list_id, o.url, COALESCE(a.secret, w.secret), o.body, o.attempts, o.delivered_at, o.failed_at, o.last_error
        FROM outbox o LEFT JOIN list_actions a ON a.list_id = o.list_id LEFT JOIN organisation_webhooks w ON w.organisation_id = o.organisation_id
        """

    static func delivery(_ row: PostgresRow) throws(StoreError) -> OutboxDelivery {
        let (id, listId, url, secret) = try row.decoded((Int64, Int64?, String, String?).self)
        let attempts: Int = try row.column(5)
        return OutboxDelivery(
            id: id, listId: listId, url: url, secret: secret ?? "", body: try row.bytes(4) ?? [], attempts: attempts,
            deliveredAt: try row.column(6), failedAt: try row.column(7), lastError: try row.column(8))
    }

    public func dueDeliveries(now: Date, limit: Int) async throws(StoreError) -> [OutboxDelivery] {
        let cutoff = now.rfc3339
        let limit = max(0, limit)
        return try await read { session throws(StoreError) in
            // The secret is read from the policy now: messages whose policy is gone cannot be
            // signed, and fail.
            try session.execute(
                """
                UPDATE outbox SET failed_at = \(cutoff), last_error = \(StoreRules.policyGone)
                WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= \(cutoff)
                    AND NOT EXISTS (SELECT 1 FROM list_actions a WHERE a.list_id = outbox.list_id AND a.secret IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM organisation_webhooks w WHERE w.organisation_id = outbox.organisation_id)
                """)
            return try session.rows(
                """
                \(unescaped: Self.deliveryQuery)
                WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= \(cutoff) AND COALESCE(a.secret, w.secret) IS NOT NULL
                ORDER BY o.id LIMIT \(limit)
                """
            ).map(Self.delivery)
        }
    }

    public func claimDue(ids: [Int64], now: Date, leaseUntil: Date) async throws(StoreError) -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        let cutoff = now.rfc3339
        let lease = leaseUntil.rfc3339
        // One statement: the rows another worker is claiming right now are skipped, not waited
        // for, and a row claimed is not due again until the lease has passed.
        let claimed = try await read { session throws(StoreError) in
            try session.rows(
                """
                WITH due AS (
                    SELECT id FROM outbox WHERE id = ANY(\(ids)) AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= \(cutoff)
                    FOR UPDATE SKIP LOCKED)
                UPDATE outbox SET next_attempt_at = \(lease) FROM due WHERE outbox.id = due.id RETURNING outbox.id
                """
            ).map { (row: PostgresRow) throws(StoreError) -> Int64 in try row.column(0) }
        }
        return Set(claimed)
    }

    public func markDelivered(_ id: Int64, at: Date) async throws(StoreError) {
        let when = at.rfc3339
        _ = try await read { session throws(StoreError) in
            try session.execute("UPDATE outbox SET delivered_at = \(when), attempts = attempts + 1 WHERE id = \(id)")
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?) async throws(StoreError) {
        let now = clock.now().rfc3339
        let next = retryAt?.rfc3339
        _ = try await read { session throws(StoreError) in
            if let next {
                try session.execute("UPDATE outbox SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(next) WHERE id = \(id)")
            } else {
                try session.execute("UPDATE outbox SET attempts = attempts + 1, last_error = \(error), failed_at = \(now) WHERE id = \(id)")
            }
        }
    }

    public func delivery(_ id: Int64) async throws(StoreError) -> OutboxDelivery? {
        try await read { session throws(StoreError) in
            try session.rows("\(unescaped: Self.deliveryQuery) WHERE o.id = \(id)").first.map(Self.delivery)
        }
    }
}

extension PostgresStore: AuditStore {
    public func auditEvents(after sequence: Int64, limit: Int) async throws(StoreError) -> [StoredAuditEvent] {
        let limit = max(0, min(limit, 10_000))
        return try await read { session throws(StoreError) in
            try session.rows(
                "SELECT \(unescaped: PostgresTransaction.auditColumns) FROM audit_events WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)"
            ).map(PostgresTransaction.auditEvent)
        }
    }

    public func verifyAuditChain() async throws(StoreError) -> AuditChainReport {
        // One snapshot: the whole chain is checked as of one moment.
        try await snapshot { session throws(StoreError) in
            try AuditChain.verify(
                page: { (after: Int64) throws(StoreError) -> [StoredAuditEvent] in
                    try session.rows(
                        "SELECT \(unescaped: PostgresTransaction.auditColumns) FROM audit_events WHERE sequence > \(after) ORDER BY sequence LIMIT 1000"
                    ).map(PostgresTransaction.auditEvent)
                },
                around: { (range: ClosedRange<Int64>) throws(StoreError) -> [StoredAuditEvent] in
                    try session.rows(
                        """
                        SELECT \(unescaped: PostgresTransaction.auditColumns) FROM audit_events
                        WHERE sequence BETWEEN \(range.lowerBound) AND \(range.upperBound) ORDER BY sequence
                        """
                    ).map(PostgresTransaction.auditEvent)
                },
                hashExists: { (hash: [UInt8]) throws(StoreError) -> Bool in
                    try session.value("SELECT 1 FROM audit_events WHERE hash = \(ByteBuffer(bytes: hash)) LIMIT 1", as: Int32.self) != nil
                })
        }
    }
}

extension PostgresStore: SignalTypeSettingsStore {
    public func signalTypeRatios() async throws(StoreError) -> [String: Double] {
        try await read { session throws(StoreError) in
            var ratios: [String: Double] = [:]
            for row in try session.rows("SELECT name, enabled_ratio FROM signal_type_settings") {
                let (name, ratio) = try row.decoded((String, Double).self)
                ratios[name] = ratio
            }
            return ratios
        }
    }
}

extension PostgresStore: FilingStore {
    public func filing(id: Int64) async throws(StoreError) -> StoredFiling? {
        try await read { session throws(StoreError) in try PostgresTransaction.fetchFilings(session, where: "id = \(id)").first }
    }

    public func filings(state: FilingState?, after: Int64, limit: Int) async throws(StoreError) -> [StoredFiling] {
        let limit = max(0, limit)
        return try await read { session throws(StoreError) in
            if let state {
                return try PostgresTransaction.fetchFilings(
                    session, where: "state = \(state.rawValue) AND id > \(after) ORDER BY id LIMIT \(limit)")
            }
            return try PostgresTransaction.fetchFilings(session, where: "id > \(after) ORDER BY id LIMIT \(limit)")
        }
    }

    public func dueFilings(now: Date, limit: Int) async throws(StoreError) -> [StoredFiling] {
        let cutoff = now.rfc3339
        let limit = max(0, limit)
        return try await read { session throws(StoreError) in
            try PostgresTransaction.fetchFilings(
                session, where: "state = 'queued' AND next_attempt_at <= \(cutoff) ORDER BY next_attempt_at, id LIMIT \(limit)")
        }
    }

    public func recordAttempt(filingId: Int64, _ attempt: FilingAttempt) async throws(StoreError) -> StoredFiling {
        let stamp = clock.now().rfc3339
        return try await read { session throws(StoreError) in
            let changed: Int
            switch attempt {
            case .filed(let reportId):
                changed = try session.execute(
                    """
                    UPDATE filings SET state = 'filed', attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL,
                        centre_report_id = \(reportId), filed_at = \(stamp), updated_at = \(stamp) WHERE id = \(filingId)
                    """)
            case .retry(let error, let at):
                let state = at == nil ? FilingState.failed.rawValue : FilingState.queued.rawValue
                changed = try session.execute(
                    """
                    UPDATE filings SET state = \(state), attempts = attempts + 1, next_attempt_at = \(at?.rfc3339), last_error = \(error),
                        updated_at = \(stamp) WHERE id = \(filingId)
                    """)
            case .rejected(let error):
                changed = try session.execute(
                    """
                    UPDATE filings SET state = 'rejected', attempts = attempts + 1, next_attempt_at = NULL, last_error = \(error), updated_at = \(stamp)
                    WHERE id = \(filingId)
                    """)
            }
            guard changed == 1, let filing = try PostgresTransaction.fetchFilings(session, where: "id = \(filingId)").first else {
                throw .filingNotFound(filingId)
            }
            return filing
        }
    }

    public func filingsToCheck(before: Date, limit: Int) async throws(StoreError) -> [StoredFiling] {
        let cutoff = before.rfc3339
        let limit = max(0, limit)
        return try await read { session throws(StoreError) in
            try PostgresTransaction.fetchFilings(
                session,
                where: """
                    state = 'filed' AND (checked_at IS NULL OR checked_at < \(cutoff)) ORDER BY checked_at IS NOT NULL, checked_at, id LIMIT \(limit)
                    """)
        }
    }

    public func recordCentreStatus(filingId: Int64, _ status: CentreReportStatus) async throws(StoreError) {
        let json = ByteBuffer(bytes: try StoreRules.json(status))
        let stamp = clock.now().rfc3339
        let changed = try await read { session throws(StoreError) in
            try session.execute("UPDATE filings SET centre_status = \(json), checked_at = \(stamp), updated_at = \(stamp) WHERE id = \(filingId)")
        }
        guard changed == 1 else { throw .filingNotFound(filingId) }
    }
}
