import Foundation
import NIOCore
import PostgresNIO
import VigilDomain

/// One write transaction of a ``PostgresStore``: the unit of work over one connection, on one of
/// the store's writer threads, holding the writer lock until it commits.
struct PostgresTransaction: StoreTransaction {
    let session: PostgresSession
    let now: Date
    /// `now` as stored.
    let stamp: String
    /// What this transaction has read and may read again without a round trip.
    let memo = Memo()
    /// The store's items' PDQ hashes in memory (linking).
    let itemPDQ: ItemPDQIndex
    /// This transaction's number in its store (never 0), for ``itemPDQ``.
    let serial: UInt64

    init(session: PostgresSession, now: Date, itemPDQ: ItemPDQIndex, serial: UInt64) {
        self.session = session
        self.now = now
        self.stamp = now.rfc3339
        self.itemPDQ = itemPDQ
        self.serial = serial
    }

    /// Rows this transaction read that it may answer again from memory: they cannot change under
    /// it, because every write holds the writer lock until it commits (no other transaction
    /// writes lists or the audit chain meanwhile), and the transaction keeps them true after its
    /// own changes. Each statement is a round trip made while the writer lock is held, so a batch
    /// of writes in one transaction (a group commit) reads its list and the chain's head once.
    /// Used by one transaction on one thread only.
    final class Memo {
        /// Lists read by name, kept true through this transaction's changes to them (a change
        /// other than an entry count forgets them all).
        var lists: [String: StoredList] = [:]
        /// The audit chain's last sequence and hash, once read (then advanced by each append).
        var auditHead: (sequence: Int64, hash: [UInt8])?
    }

    // MARK: Rows (shared with the store's reads)

    static let listColumns = "id, name, kind, match_radius, enabled_ratio, enabled, live_entries, created_at, updated_at"

    static func storedList(_ row: PostgresRow) throws(StoreError) -> StoredList {
        let (id, name, kindName, radius, ratio, enabled, live, createdAt, updatedAt) = try row.decoded(
            (Int64, String, String, Int, Double, Bool, Int, String, String).self)
        guard let kind = ListKind(rawValue: kindName) else { throw .internal("list \(id) has an unknown kind") }
        let list = HashList(name: name, kind: kind, matchRadius: radius, enabledRatio: ratio, enabled: enabled)
        return StoredList(id: id, list: list, createdAt: createdAt, updatedAt: updatedAt, entryCount: live)
    }

    static func fetchList(_ session: PostgresSession, named name: String) throws(StoreError) -> StoredList {
        guard StoreRules.isReachableListName(name) else { throw .listNotFound(name) }
        guard let row = try session.rows("SELECT \(unescaped: listColumns) FROM lists WHERE name = \(name)").first else {
            throw .listNotFound(name)
        }
        return try storedList(row)
    }

    /// The entry columns ``storedEntry(_:)`` reads, in this order.
    static let entryColumns = """
        id, list_id, signal_type, value, source_organisation, source_item_id, submitted_by, confirmed_by, \
        decision_reference, confirmed_at, note, disabled_until, created_at, deleted_at, content_id, metadata
        """

    static func storedEntry(_ row: PostgresRow) throws(StoreError) -> StoredEntry {
        let (
            id, listId, typeName, value, organisation, item, submitted, confirmed, decision, confirmedAt, note, disabledUntil, createdAt, deletedAt,
            content, metadata
        ) =
            try row.decoded(
                (
                    Int64, Int64, String, String, String?, String?, String?, String?, String?, String?, String?, String?, String, String?, Int64?,
                    String?
                ).self)
        guard let type = SignalType(rawValue: typeName) else { throw .internal("entry \(id) has an unknown signal type") }
        return StoredEntry(
            id: id, listId: listId, type: type, value: value,
            provenance: Provenance(
                sourceOrganisation: organisation, sourceItemId: item, submittedBy: submitted, confirmedBy: confirmed,
                decisionReference: decision, confirmedAt: confirmedAt, note: note, metadata: metadata),
            disabledUntil: disabledUntil, createdAt: createdAt, deletedAt: deletedAt, contentId: content)
    }

    static func fetchEntries(_ session: PostgresSession, ids: [Int64]) throws(StoreError) -> [Int64: StoredEntry] {
        guard !ids.isEmpty else { return [:] }
        var found: [Int64: StoredEntry] = [:]
        for row in try session.rows("SELECT \(unescaped: entryColumns) FROM entries WHERE id = ANY(\(ids))") {
            let entry = try storedEntry(row)
            found[entry.id] = entry
        }
        return found
    }

    static let organisationColumns = "id, name, kind, member_state, created_at"

    static func organisation(_ row: PostgresRow) throws(StoreError) -> Organisation {
        let (id, name, kindName, memberState, createdAt) = try row.decoded((Int64, String, String, String?, String).self)
        guard let kind = OrganisationKind(rawValue: kindName) else { throw .internal("organisation \(id) has an unknown kind") }
        var state: MemberState?
        if let memberState {
            guard let parsed = MemberState(rawValue: memberState) else { throw .internal("organisation \(id) has an unknown Member State") }
            state = parsed
        }
        return Organisation(id: id, name: name, kind: kind, memberState: state, createdAt: createdAt)
    }

    static let keyQuery = """
        SELECT k.id, k.prefix, k.organisation_id, o.name, k.scopes, k.label, k.created_at, k.revoked_at
        FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
        """

    static func keyInfo(_ row: PostgresRow) throws(StoreError) -> APIKeyInfo {
        let (id, prefix, organisationId, organisation, scopes, label, createdAt, revokedAt) = try row.decoded(
            (Int64, String, Int64, String, String, String, String, String?).self)
        return APIKeyInfo(
            id: id, prefix: prefix, organisationId: organisationId, organisation: organisation,
            scopes: Scopes.decode(scopes).sorted { $0.rawValue < $1.rawValue }, label: label, createdAt: createdAt, revokedAt: revokedAt)
    }

    static let policyColumns = "list_id, action, webhook_url, secret, file_report"

    static func policy(_ row: PostgresRow) throws(StoreError) -> (listId: Int64, policy: ActionPolicy) {
        let (listId, actionName, url, secret, fileReport) = try row.decoded((Int64, String, String?, String?, Bool).self)
        guard let action = ListAction(rawValue: actionName) else { throw .internal("the action policy of list \(listId) has an unknown action") }
        return (listId, ActionPolicy(action: action, webhookURL: url, secret: secret, fileReport: fileReport))
    }

    static let auditColumns = "sequence, actor, organisation, action, object, at, detail, prev_hash, hash"

    static func auditEvent(_ row: PostgresRow) throws(StoreError) -> StoredAuditEvent {
        let (sequence, actor, organisation, action, object, at, detail) = try row.decoded(
            (Int64, String, String?, String, String, String, String?).self)
        return StoredAuditEvent(
            sequence: sequence, event: AuditEvent(actor: actor, organisation: organisation, action: action, object: object, at: at, detail: detail),
            prevHash: try row.bytes(7) ?? [], hash: try row.bytes(8) ?? [])
    }

    static let filingColumns = """
        id, reference, list_id, state, report, matches, problems, created_at, updated_at, attempts, next_attempt_at, last_error, \
        centre_report_id, filed_at, centre_status, checked_at
        """

    static func fetchFilings(_ session: PostgresSession, where clause: PostgresQuery) throws(StoreError) -> [StoredFiling] {
        var query: PostgresQuery = "SELECT \(unescaped: filingColumns) FROM filings WHERE "
        query.sql += clause.sql
        query.binds = clause.binds
        return try session.rows(query).map { (row: PostgresRow) throws(StoreError) -> StoredFiling in try filing(row) }
    }

    static func filing(_ row: PostgresRow) throws(StoreError) -> StoredFiling {
        let (id, reference, listId, stateName) = try row.decoded((Int64, String, Int64?, String).self)
        guard let state = FilingState(rawValue: stateName) else { throw .internal("filing \(id) has state \(stateName)") }
        let cells = try row.decodedTail()
        let decoder = ReportCoding.decoder()
        do {
            return StoredFiling(
                id: id, reference: reference, listId: listId, state: state,
                report: try decoder.decode(Report.self, from: Data(try row.bytes(4) ?? [])),
                matches: try decoder.decode([FilingMatch].self, from: Data(try row.bytes(5) ?? [])),
                problems: try decoder.decode([ReportProblem].self, from: Data(try row.bytes(6) ?? [])),
                createdAt: cells.createdAt, updatedAt: cells.updatedAt, attempts: cells.attempts, nextAttemptAt: cells.nextAttemptAt,
                lastError: cells.lastError, centreReportId: cells.centreReportId, filedAt: cells.filedAt,
                centreStatus: try (try row.bytes(14)).map { try decoder.decode(CentreReportStatus.self, from: Data($0)) },
                checkedAt: cells.checkedAt)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .internal("filing \(id) could not be read", underlying: error)
        }
    }

    // MARK: Lists

    func list(named name: String) throws(StoreError) -> StoredList {
        if let list = memo.lists[name] { return list }
        let list = try Self.fetchList(session, named: name)
        memo.lists[name] = list
        return list
    }

    /// Adds `delta` to the remembered entry count of list `id` (after this transaction changed it).
    func countChanged(list id: Int64, by delta: Int) {
        for (name, list) in memo.lists where list.id == id {
            memo.lists[name]?.entryCount = list.entryCount + delta
        }
    }

    func list(id: Int64) throws(StoreError) -> StoredList? {
        try session.rows("SELECT \(unescaped: Self.listColumns) FROM lists WHERE id = \(id)").first.map(Self.storedList)
    }

    private func listExists(_ name: String) throws(StoreError) -> Bool {
        try session.value("SELECT 1 FROM lists WHERE name = \(name)", as: Int32.self) != nil
    }

    func createList(_ list: HashList) throws(StoreError) -> StoredList {
        try StoreRules.check(list)
        memo.lists = [:]
        if try listExists(list.name) { throw .listExists(list.name) }
        try session.execute(
            """
            INSERT INTO lists (name, kind, match_radius, enabled_ratio, enabled, created_at, updated_at)
            VALUES (\(list.name), \(list.kind.rawValue), \(list.matchRadius), \(list.enabledRatio), \(list.enabled), \(stamp), \(stamp))
            """)
        return try self.list(named: list.name)
    }

    func updateList(named name: String, _ update: ListUpdate) throws(StoreError) -> StoredList {
        let stored = try list(named: name)
        let list = try StoreRules.updated(stored.list, with: update)
        if list.name != name, try listExists(list.name) { throw .listExists(list.name) }
        memo.lists = [:]
        try session.execute(
            """
            UPDATE lists SET name = \(list.name), kind = \(list.kind.rawValue), match_radius = \(list.matchRadius),
                enabled_ratio = \(list.enabledRatio), enabled = \(list.enabled), updated_at = \(stamp) WHERE id = \(stored.id)
            """)
        return try self.list(named: list.name)
    }

    func deleteList(named name: String) throws(StoreError) {
        let list = try list(named: name)
        memo.lists = [:]
        try session.execute(
            """
            INSERT INTO changes (kind, entry_id, list_id, signal_type, value, at)
            SELECT 'remove', id, list_id, signal_type, value, \(stamp) FROM entries WHERE list_id = \(list.id) AND deleted_at IS NULL ORDER BY id
            """)
        try session.execute("UPDATE entries SET deleted_at = \(stamp) WHERE list_id = \(list.id) AND deleted_at IS NULL")
        try session.execute(
            "UPDATE lists SET live_entries = 0, name = name || '~deleted~' || id, enabled = FALSE, updated_at = \(stamp) WHERE id = \(list.id)")
    }

    // MARK: Organisations and keys

    func createOrganisation(_ organisation: NewOrganisation) throws(StoreError) -> Organisation {
        try StoreRules.check(organisation)
        if try self.organisation(named: organisation.name) != nil { throw .organisationExists(organisation.name) }
        guard
            let id = try session.value(
                """
                INSERT INTO organisations (name, kind, member_state, created_at)
                VALUES (\(organisation.name), \(organisation.kind.rawValue), \(organisation.memberState?.rawValue), \(stamp)) RETURNING id
                """, as: Int64.self)
        else { throw .internal("an organisation was written but no id came back") }
        return Organisation(id: id, name: organisation.name, kind: organisation.kind, memberState: organisation.memberState, createdAt: stamp)
    }

    func organisation(id: Int64) throws(StoreError) -> Organisation? {
        try session.rows("SELECT \(unescaped: Self.organisationColumns) FROM organisations WHERE id = \(id)").first.map(Self.organisation)
    }

    func organisation(named name: String) throws(StoreError) -> Organisation? {
        try session.rows("SELECT \(unescaped: Self.organisationColumns) FROM organisations WHERE name = \(name)").first.map(Self.organisation)
    }

    func createKey(organisationId: Int64, prefix: String, secretSHA256: [UInt8], scopes: Set<Scope>, label: String) throws(StoreError)
        -> APIKeyInfo
    {
        guard let organisation = try organisation(id: organisationId) else { throw .organisationNotFound(id: organisationId) }
        try StoreRules.checkKey(scopes: scopes, label: label, for: organisation)
        guard
            let id = try session.value(
                """
                INSERT INTO api_keys (prefix, secret_sha256, organisation_id, scopes, label, created_at)
                VALUES (\(prefix), \(ByteBuffer(bytes: secretSHA256)), \(organisationId), \(Scopes.encode(scopes)), \(label), \(stamp)) RETURNING id
                """, as: Int64.self)
        else { throw .internal("a key was written but no id came back") }
        return APIKeyInfo(
            id: id, prefix: prefix, organisationId: organisationId, organisation: organisation.name,
            scopes: scopes.sorted { $0.rawValue < $1.rawValue }, label: label, createdAt: stamp, revokedAt: nil)
    }

    func revokeKey(id: Int64) throws(StoreError) {
        if try session.execute("UPDATE api_keys SET revoked_at = \(stamp) WHERE id = \(id) AND revoked_at IS NULL") == 0 { throw .keyNotFound(id) }
    }

    // MARK: Action policies and the outbox

    func setPolicy(_ policy: ActionPolicy?, forList name: String) throws(StoreError) {
        try StoreRules.check(policy)
        let list = try list(named: name)
        try session.execute("DELETE FROM list_actions WHERE list_id = \(list.id)")
        if let policy {
            try session.execute(
                """
                INSERT INTO list_actions (list_id, action, webhook_url, secret, file_report, updated_at)
                VALUES (\(list.id), \(policy.action.rawValue), \(policy.webhookURL), \(policy.secret), \(policy.fileReport), \(stamp))
                """)
        }
    }

    func policy(listId: Int64) throws(StoreError) -> ActionPolicy? {
        try session.rows("SELECT \(unescaped: Self.policyColumns) FROM list_actions WHERE list_id = \(listId)").first.map(Self.policy)?.policy
    }

    func setOrganisationWebhook(organisationId: Int64, _ webhook: OrganisationWebhook?) throws(StoreError) {
        guard try organisation(id: organisationId) != nil else { throw .organisationNotFound(id: organisationId) }
        if let webhook {
            try session.execute(
                """
                INSERT INTO organisation_webhooks (organisation_id, url, secret, updated_at) VALUES (\(organisationId), \(webhook.url), \(webhook.secret), \(stamp))
                ON CONFLICT (organisation_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at
                """)
        } else {
            try session.execute("DELETE FROM organisation_webhooks WHERE organisation_id = \(organisationId)")
        }
    }

    func webhooks(for recipient: ReferralRecipient) throws(StoreError) -> [OrganisationWebhook] {
        var query: PostgresQuery =
            "SELECT w.organisation_id, w.url, w.secret FROM organisation_webhooks w JOIN organisations o ON o.id = w.organisation_id WHERE "
        switch recipient {
        case .police(let state):
            query.sql += "o.kind = 'police' AND o.member_state = $1"
            query.binds.append(state.rawValue)
        case .europol:
            query.sql += "o.kind = 'europol'"
        }
        query.sql += " ORDER BY w.organisation_id"
        return try session.rows(query).map { (row: PostgresRow) throws(StoreError) -> OrganisationWebhook in
            let (id, url, secret) = try row.decoded((Int64, String, String).self)
            return OrganisationWebhook(organisationId: id, url: url, secret: secret)
        }
    }

    func enqueue(_ messages: [OutboxMessage]) throws(StoreError) -> [Int64] {
        var ids: [Int64] = []
        for message in messages {
            guard
                let id = try session.value(
                    """
                    INSERT INTO outbox (list_id, organisation_id, url, body, created_at, next_attempt_at)
                    VALUES (\(message.listId), \(message.organisationId), \(message.url), \(ByteBuffer(bytes: message.body)), \(stamp), \(stamp))
                    RETURNING id
                    """, as: Int64.self)
            else { throw .internal("an outbox message was written but no id came back") }
            ids.append(id)
        }
        return ids
    }

    func recordFiling(_ filing: NewFiling) throws(StoreError) -> Int64 {
        let problems = ReportValidation.problems(filing.report)
        let state = StoreRules.filingState(problems: problems)
        let report = ByteBuffer(bytes: try StoreRules.json(filing.report))
        let matches = ByteBuffer(bytes: try StoreRules.json(filing.matches))
        let problemsJSON = ByteBuffer(bytes: try StoreRules.json(problems))
        let due: String? = state == .queued ? stamp : nil
        guard
            let id = try session.value(
                """
                INSERT INTO filings (reference, list_id, state, report, matches, problems, created_at, updated_at, next_attempt_at)
                VALUES (\(filing.reference), \(filing.listId), \(state.rawValue), \(report), \(matches), \(problemsJSON), \(stamp), \(stamp), \(due))
                RETURNING id
                """, as: Int64.self)
        else { throw .internal("a filing was written but no id came back") }
        return id
    }

    func completeFiling(id: Int64, report: Report) throws(StoreError) -> StoredFiling {
        let problems = ReportValidation.problems(report)
        let state = StoreRules.filingState(problems: problems)
        guard let filing = try Self.fetchFilings(session, where: "id = \(id) FOR UPDATE").first else { throw .filingNotFound(id) }
        guard filing.state == .incomplete else { throw StoreRules.filingNotIncomplete(id, state: filing.state) }
        let due: String? = state == .queued ? stamp : nil
        try session.execute(
            """
            UPDATE filings SET report = \(ByteBuffer(bytes: try StoreRules.json(report))), problems = \(ByteBuffer(bytes: try StoreRules.json(problems))),
                state = \(state.rawValue), next_attempt_at = \(due), updated_at = \(stamp) WHERE id = \(id)
            """)
        guard let updated = try Self.fetchFilings(session, where: "id = \(id)").first else { throw .filingNotFound(id) }
        return updated
    }

    // MARK: Audit

    @discardableResult
    func appendAudit(_ event: AuditEvent) throws(StoreError) -> StoredAuditEvent {
        try AuditChain.validate(event)
        // The writer lock is held: no other transaction appends between this read and the insert,
        // nor until this one ends, so the head read once is advanced here by each append.
        let head: (sequence: Int64, hash: [UInt8])
        if let known = memo.auditHead {
            head = known
        } else if let last = try session.rows("SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1").first {
            head = (try last.column(0), try last.bytes(1) ?? [])
        } else {
            head = (0, AuditChain.genesis)
        }
        let sequence = head.sequence + 1
        let prevHash = head.hash
        let hash = AuditChain.hash(prevHash: prevHash, sequence: sequence, event)
        try session.execute(
            """
            INSERT INTO audit_events (sequence, actor, organisation, action, object, at, detail, prev_hash, hash)
            VALUES (\(sequence), \(event.actor), \(event.organisation), \(event.action), \(event.object), \(event.at), \(event.detail),
                \(ByteBuffer(bytes: prevHash)), \(ByteBuffer(bytes: hash)))
            """)
        memo.auditHead = (sequence, hash)
        return StoredAuditEvent(sequence: sequence, event: event, prevHash: prevHash, hash: hash)
    }

    // MARK: Signal type settings

    func setSignalTypeRatio(_ ratio: Double, for name: String) throws(StoreError) {
        try StoreRules.checkSignalTypeRatio(ratio)
        try session.execute(
            """
            INSERT INTO signal_type_settings (name, enabled_ratio, updated_at) VALUES (\(name), \(ratio), \(stamp))
            ON CONFLICT (name) DO UPDATE SET enabled_ratio = excluded.enabled_ratio, updated_at = excluded.updated_at
            """)
    }
}

extension PostgresRow {
    /// The row's columns decoded as `types`, in order; an `internal` store error when they are not.
    func decoded<each Column: PostgresDecodable>(_ types: (repeat each Column).Type) throws(StoreError) -> (repeat each Column) {
        do {
            return try decode(types, context: .default)
        } catch {
            throw .internal("a stored row could not be read", underlying: error)
        }
    }

    /// A filing row's plain columns after its JSON ones (7…13, 15).
    fileprivate func decodedTail() throws(StoreError) -> (
        createdAt: String, updatedAt: String, attempts: Int, nextAttemptAt: String?, lastError: String?, centreReportId: Int64?, filedAt: String?,
        checkedAt: String?
    ) {
        (
            try column(7), try column(8), try column(9), try column(10), try column(11), try column(12), try column(13), try column(15)
        )
    }
}
