public import Foundation
public import VigilDomain

/// A store that can run several changes as one transaction: all of them are kept, or none.
///
/// This is how a state change and its consequences are recorded together (the architecture's
/// rule): a list change with its audit event, a match's outbox messages, a report with its
/// referral, its audit event and its outbox row.
///
/// ```swift
/// let list = try await store.write { tx throws(StoreError) in
///     let list = try tx.createList(HashList(name: "known", kind: .knownAbuseMaterial))
///     try tx.appendAudit(AuditEvent(actor: "key:7", organisation: "Example", action: "list.create",
///                                   object: "list:\(list.id)", at: tx.now.rfc3339Text))
///     return list
/// }
/// ```
///
/// A closure annotated `throws(StoreError)` calls ``write(_:)`` and keeps the typed error; a closure
/// without the annotation (Swift 6.3 infers `any Error` for it) calls the extension's untyped
/// overload, which rethrows the body's own errors as they were.
public protocol TransactionalStore: Sendable {
    /// Runs `body` in one write transaction and commits it when `body` returns; when `body` throws,
    /// everything it wrote is rolled back and the error is rethrown.
    ///
    /// `body` is synchronous on purpose: SQLite (GRDB) write transactions run their closure
    /// synchronously on the writer's queue, and a PostgreSQL store will run it on a dedicated thread
    /// over one connection, so that the transaction never suspends while it holds locks. Do the
    /// slow work (hashing, network calls) before calling `write`, and keep the body to reads and
    /// writes of the store. The transaction must not escape the body.
    ///
    /// Writers are serialised (SQLite has one writer; a PostgreSQL store takes the locks it needs),
    /// so `body` may read what it needs, decide, and write, without another writer interleaving.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T) async throws(StoreError) -> T

    /// Runs `body` in one write transaction, as ``write(_:)`` does, and hands the outcome to
    /// `completion` as soon as the transaction has ended (committed, or rolled back), without
    /// waiting for a thread of the caller's to be free.
    ///
    /// This is for a caller that chains writes and wants the writer never idle between them (a
    /// group commit): on SQLite `completion` runs on the writer's own queue right after the
    /// commit, so a write it starts there is queued at once. `completion` must be quick: resume
    /// continuations, start the next write, nothing slow. A store without such a queue takes the
    /// default, which awaits ``write(_:)`` in a task.
    func write<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void)
}

extension TransactionalStore {
    /// The default: ``write(_:)`` awaited in a task, then `completion`.
    public func write<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        Task {
            do throws(StoreError) {
                completion(.success(try await write(body)))
            } catch {
                completion(.failure(error))
            }
        }
    }

    /// Runs `body` in one write transaction, as ``write(_:)`` does, for bodies that throw errors of
    /// their own (a domain rule refusing a state change): the transaction is rolled back and the
    /// body's error is rethrown as it was; the store's failures are ``StoreError``s.
    ///
    /// This is the overload a closure without a `throws(StoreError)` annotation picks.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        do {
            return try await write { (tx: any StoreTransaction) throws(StoreError) -> T in
                do {
                    return try body(tx)
                } catch let error as StoreError {
                    throw error
                } catch {
                    throw StoreError(code: .bodyFailed, message: "the transaction's body failed", underlying: error)
                }
            }
        } catch {
            if error.code == .bodyFailed, let underlying = error.underlying { throw underlying }
            throw error
        }
    }
}

/// What one transaction of a ``TransactionalStore`` can read and change. Every method is
/// synchronous and runs inside the enclosing transaction; an error thrown out of the body rolls
/// everything back. Methods answer as their async counterparts on the store protocols do.
public protocol StoreTransaction {
    /// The time of the transaction, read once from the store's clock when it began: every row it
    /// writes carries this time.
    var now: Date { get }

    // MARK: Lists, entries and the change feed

    /// The list with this name; `listNotFound` when none has it.
    func list(named name: String) throws(StoreError) -> StoredList
    /// The list with this id (deleted lists included), or nil.
    func list(id: Int64) throws(StoreError) -> StoredList?
    /// Creates a list; `listExists` when the name is taken.
    func createList(_ list: HashList) throws(StoreError) -> StoredList
    /// Changes a list's settings (a rename keeps its id, entries, history and policy).
    func updateList(named name: String, _ update: ListUpdate) throws(StoreError) -> StoredList
    /// Deletes a list: tombstones its live entries (writing the feed) and renames it `name~deleted~id`.
    func deleteList(named name: String) throws(StoreError)
    /// Adds (and, for `.delete` records, tombstones) entries, writing the feed; returns the new ids.
    func apply(_ records: [IndicatorRecord], toList name: String) throws(StoreError) -> [Int64]
    /// Tombstones the live entries that came from `sourceOrganisation` under one of `itemIds`.
    func removeItems(sourceOrganisation: String, itemIds: [String], fromList name: String) throws(StoreError) -> Int
    /// Tombstones one live entry; `entryNotFound` when the list has no such live entry.
    func removeEntry(_ id: Int64, fromList name: String) throws(StoreError)
    /// Edits a live entry and returns it as changed.
    func editEntry(_ id: Int64, inList name: String, _ edit: EntryEdit) throws(StoreError) -> StoredEntry
    /// Entries by id (deleted ones included), as this transaction sees them.
    func entries(ids: [Int64]) throws(StoreError) -> [Int64: StoredEntry]

    // MARK: Organisations and keys

    /// Validates and stores an organisation; `organisationExists` when the name is taken.
    func createOrganisation(_ organisation: NewOrganisation) throws(StoreError) -> Organisation
    /// The organisation with this id, or nil.
    func organisation(id: Int64) throws(StoreError) -> Organisation?
    /// The organisation with this name, or nil.
    func organisation(named name: String) throws(StoreError) -> Organisation?
    /// Stores a key's hash for an organisation (checking the scopes against its kind); returns its
    /// record. `secretSHA256` is the SHA-256 of the secret, `prefix` its first characters.
    func createKey(organisationId: Int64, prefix: String, secretSHA256: [UInt8], scopes: Set<Scope>, label: String) throws(StoreError)
        -> APIKeyInfo
    /// Revokes a live key; `keyNotFound` when no live key has this id.
    func revokeKey(id: Int64) throws(StoreError)

    // MARK: Action policies and the outbox

    /// Sets (or, with nil, clears) a list's action policy.
    func setPolicy(_ policy: ActionPolicy?, forList name: String) throws(StoreError)
    /// The action policy of the list with this id, if it has one.
    func policy(listId: Int64) throws(StoreError) -> ActionPolicy?
    /// Sets (or, with nil, removes) an organisation's webhook.
    func setOrganisationWebhook(organisationId: Int64, _ webhook: OrganisationWebhook?) throws(StoreError)
    /// The webhooks of the organisations that receive referrals to `recipient` (the police of its
    /// Member State, or Europol).
    func webhooks(for recipient: ReferralRecipient) throws(StoreError) -> [OrganisationWebhook]
    /// Appends messages to the outbox; returns their ids, in order.
    func enqueue(_ messages: [OutboxMessage]) throws(StoreError) -> [Int64]
    /// Records a report for the Centre (``FilingStore/recordActions(messages:filings:)``): queued
    /// when complete, else incomplete with its problems; returns its id.
    func recordFiling(_ filing: NewFiling) throws(StoreError) -> Int64
    /// Completes an incomplete filing (``FilingStore/completeFiling(id:report:)``), in this
    /// transaction so that the change and its audit event are one.
    func completeFiling(id: Int64, report: Report) throws(StoreError) -> StoredFiling
    /// Queues a review item (``ReviewStore/queueReviews(_:)``); returns its id.
    func queueReview(_ review: NewReview) throws(StoreError) -> Int64
    /// Records the decision on an open review item; `reviewNotFound` when there is none,
    /// `reviewDecided` when it was decided already (the first decision stands).
    func decideReview(id: Int64, _ decision: ReviewDecision) throws(StoreError) -> StoredReview

    // MARK: Audit

    /// Appends an event to the audit chain (reading the chain's last hash in this transaction) and
    /// returns it as stored, with its sequence and hash.
    @discardableResult
    func appendAudit(_ event: AuditEvent) throws(StoreError) -> StoredAuditEvent

    // MARK: Reports and signing keys

    /// Stores a filed report with its files; `reportExists` when its organisation filed the same
    /// reference already.
    func fileReport(_ report: NewReport) throws(StoreError) -> StoredReport
    /// Up to `limit` file keys not wrapped by master key `masterKeyId`, after file `afterId`, by id.
    func fileKeys(notWrappedBy masterKeyId: String, afterId: Int64, limit: Int) throws(StoreError) -> [WrappedFileKey]
    /// Replaces file keys' wrapped forms (after a master-key rotation); `invalid` for a file that is gone.
    func rewrapFileKeys(_ keys: [WrappedFileKey]) throws(StoreError)
    /// The report with this id, as this transaction sees it, or nil.
    func report(id: Int64) throws(StoreError) -> StoredReport?
    /// Moves report `id` from `expected` to `state`, setting (or clearing) its pending decision;
    /// `stateChanged` when it is no longer `expected`, `reportNotFound` when there is none.
    func updateReport(id: Int64, from expected: ReportState, to state: ReportState, pendingDecision: AssessmentDecision?, decidedBy: String?)
        throws(StoreError) -> StoredReport
    /// Marks a report as classified without a person (its items were classified before), so that
    /// the statistics do not count it as a person's decision; `reportNotFound` when there is none.
    func markClassifiedAutomatically(id: Int64) throws(StoreError)
    /// Registers a signing key; `conflict` when its id is registered already, `organisationNotFound`
    /// for an unknown organisation.
    func registerSigningKey(_ key: SigningKey) throws(StoreError) -> SigningKey
    /// The signing key with this id, or nil.
    func signingKey(id: String) throws(StoreError) -> SigningKey?
    /// Revokes a live signing key; `signingKeyNotFound` when no live key has this id.
    func revokeSigningKey(id: String) throws(StoreError)
    /// Creates a report's referrals, one per recipient, with the outcome due `outcomeDueAfter`
    /// seconds from the transaction's time.
    func createReferrals(reportId: Int64, recipients: [ReferralRecipient], outcomeDueAfter: Double) throws(StoreError) -> [StoredReferral]
    /// The referral with this id, or nil.
    func referral(id: Int64) throws(StoreError) -> StoredReferral?
    /// Records the recipient's acknowledgement (the first one counts; later ones change nothing).
    func acknowledgeReferral(id: Int64) throws(StoreError) -> StoredReferral
    /// Records the recipient's outcome.
    func setReferralOutcome(id: Int64, _ outcome: ReferralOutcome, detail: String?) throws(StoreError) -> StoredReferral
    /// Places (or, with nil, lifts) the recipient's hold.
    func setReferralHold(id: Int64, _ hold: Hold?) throws(StoreError) -> StoredReferral

    // MARK: Items and cases

    /// Links a stored report: finds or creates each file's item (by SHA-256, then MD5, then PDQ
    /// within ``ReportLinking/samePDQRadius``), counts the report on it, and joins the report's
    /// case with every case sharing an item (not a viral one), a user or an IP event (`keys`).
    func linkReport(reportId: Int64, files: [LinkedFile], keys: [String]) throws(StoreError) -> ReportLinks
    /// Classifies an item that has no classification yet; `itemClassified` when it has one,
    /// `itemNotFound` when there is none.
    func classifyItem(id: Int64, verdict: ItemVerdict, by actor: String) throws(StoreError) -> StoredItem
    /// The item with this id, as this transaction sees it, or nil.
    func item(id: Int64) throws(StoreError) -> StoredItem?
    /// Records a proposal to add an item to a list.
    func proposeItem(id: Int64, toList list: String, reportId: Int64?, by actor: String) throws(StoreError) -> ItemProposal
    /// The proposal with this id, or nil.
    func itemProposal(id: Int64) throws(StoreError) -> ItemProposal?
    /// Records a proposal's review (from `proposed` only; `stateChanged` otherwise) and the entries it added.
    func reviewItemProposal(id: Int64, approved: Bool, by actor: String, entryIds: [Int64]) throws(StoreError) -> ItemProposal

    // MARK: CyberTipline submissions

    /// Opens a submission for an organisation with its `<report>` XML; returns its id.
    func openSubmission(organisationId: Int64, reportXML: [UInt8]) throws(StoreError) -> Int64
    /// The submission with this id and its files (with their sealed bytes), or nil.
    func submission(id: Int64) throws(StoreError) -> StoredSubmission?
    /// Adds an uploaded file to an open submission and marks the submission changed.
    func addSubmissionFile(submissionId: Int64, fileId: String, uploadName: String?, file: NewReportFile) throws(StoreError)
    /// Records the `<fileDetails>` XML of one of a submission's files and marks the submission changed.
    func setSubmissionFileDetails(submissionId: Int64, fileId: String, detailsXML: [UInt8]) throws(StoreError)
    /// Closes a submission (`finished` with the report it became, or `retracted`); a retracted
    /// submission's files are deleted with it.
    func closeSubmission(id: Int64, state: String, reportId: Int64?) throws(StoreError)

    // MARK: Retention

    /// Records (or renews) organisation `requestedBy`'s request to keep report `reportId` until
    /// `preservation.until`; `reportNotFound` when there is no such report.
    func setPreservation(reportId: Int64, _ preservation: Preservation, requestedBy: String) throws(StoreError) -> StoredPreservation
    /// Removes the organisation `requestedBy`'s preservation request on a report; the request
    /// removed, or nil when it had none.
    func withdrawPreservation(reportId: Int64, requestedBy: String) throws(StoreError) -> StoredPreservation?
    /// The retention facts of these reports (those that exist), as this transaction sees them.
    func retentionFacts(reportIds: [Int64]) throws(StoreError) -> [RetentionFacts]
    /// Deletes a report with everything of it: its files (sealed bytes), its referrals, its links
    /// to items (decrementing their report counts; the items stay), its case and link keys, its
    /// preservation requests, the CyberTipline submission it came from. Audit events stay.
    /// `reportNotFound` when there is no such report.
    func deleteReport(id: Int64) throws(StoreError) -> DeletedReport
    /// Deletes an open CyberTipline submission and its files if it has not changed since
    /// `lastChangedAt`; returns how many files went, or nil when it changed, closed or is gone.
    func deleteExpiredSubmission(id: Int64, lastChangedAt: String) throws(StoreError) -> Int?

    // MARK: Signal type settings

    /// Sets one signal type's ratio.
    func setSignalTypeRatio(_ ratio: Double, for name: String) throws(StoreError)

    // MARK: Exchanges (their rules: the extension in Exchanges.swift)

    /// Creates an exchange for an existing list; `exchangeExists` when the name is taken,
    /// `listNotFound` when the list is not there, `invalid` for a bad name or interval.
    func createExchange(_ exchange: NewExchange) throws(StoreError) -> StoredExchange
    /// The exchange with this name, as this transaction sees it; `exchangeNotFound` when none has it.
    func exchange(named name: String) throws(StoreError) -> StoredExchange
    /// Writes an exchange's settings, credential, enabled flag, interval and fetch state as given (by id).
    func saveExchange(_ exchange: StoredExchange) throws(StoreError)
    /// Deletes an exchange (its list and the entries it brought stay); `exchangeNotFound` when none has the name.
    func deleteExchange(named name: String) throws(StoreError)
    /// The credential set for exchange kind `kind` (HMA's per-API credential), or nil.
    func exchangeKindCredential(_ kind: String) throws(StoreError) -> SealedContent?
    /// Sets the credential of exchange kind `kind`, or removes it (nil).
    func setExchangeKindCredential(_ credential: SealedContent?, for kind: String) throws(StoreError)

    // MARK: Verdicts and feedback (their rules: the extension in Verdicts.swift)

    /// Records that exchange `exchangeId` brought entries `entryIds` (an entry keeps its first exchange).
    func linkEntries(_ entryIds: [Int64], toExchange exchangeId: Int64) throws(StoreError)
    /// The exchange that brought entry `entryId`, or nil (a file import, a person, an exchange deleted since).
    func exchangeOfEntry(_ entryId: Int64) throws(StoreError) -> StoredExchange?
    /// `reviewer`'s verdict on entry `entryId` with its latest feedback message, or nil.
    func verdict(entryId: Int64, reviewer: String) throws(StoreError) -> StoredEntryVerdict?
    /// Writes `verdict` (inserted, or replacing the same reviewer's on the same entry, which keeps
    /// its id and `createdAt`); returns its id.
    func saveVerdict(_ verdict: NewEntryVerdict, listId: Int64) throws(StoreError) -> Int64
    /// Marks the pending feedback messages of verdict `verdictId` `superseded`.
    func supersedePendingFeedback(verdictId: Int64) throws(StoreError)
    /// Writes a pending feedback message, due now; returns its id (the delivery id).
    func insertFeedback(verdictId: Int64, entryId: Int64, exchangeId: Int64, verdict: EntryVerdictKind) throws(StoreError) -> Int64
    /// One feedback message, or nil.
    func feedback(id: Int64) throws(StoreError) -> StoredFeedback?
    /// Pending messages due at `now`, oldest first.
    func dueFeedback(now: Date, limit: Int) throws(StoreError) -> [StoredFeedback]
    /// Writes a message's state, attempts, next attempt, last error and sending time as given (by id).
    func saveFeedback(_ feedback: StoredFeedback) throws(StoreError)
}

extension Date {
    /// This time as the store writes it: RFC 3339 in UTC with milliseconds (for ``AuditEvent/at``).
    public var rfc3339Text: String { rfc3339 }
}
