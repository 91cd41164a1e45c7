import Crypto
import Foundation
public import VigilDomain

/// An audit event as stored: its place in the chain and its hashes.
public struct StoredAuditEvent: Sendable, Hashable {
    /// Its position in the chain: 1, 2, 3… without gaps.
    public var sequence: Int64
    /// The event.
    public var event: AuditEvent
    /// The previous event's hash (32 zero bytes for the first event).
    public var prevHash: [UInt8]
    /// `SHA-256(prevHash || canonical encoding)`, see ``AuditChain``.
    public var hash: [UInt8]

    /// Creates a stored event.
    public init(sequence: Int64, event: AuditEvent, prevHash: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.event = event
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// What ``AuditStore/verifyAuditChain()`` found.
public struct AuditChainReport: Sendable, Hashable, Codable {
    /// How the chain is broken.
    public enum Problem: String, Sendable, Hashable, Codable {
        /// An event's fields (or its stored hashes) were changed after it was written.
        case altered
        /// An event is missing: the sequence has a gap (or does not start at 1).
        case deleted
        /// Events are out of order: an event holds another position's link or content.
        case reordered
    }

    /// How many events were checked (up to the first bad one).
    public var eventsChecked: Int
    /// The last good event's sequence (0 when there is none).
    public var lastGoodSequence: Int64
    /// The first sequence where the chain breaks, if it does.
    public var firstBadSequence: Int64?
    /// How it breaks, if it does.
    public var problem: Problem?
    /// What was found, for people.
    public var explanation: String?

    /// Whether the whole chain verified.
    public var isValid: Bool { problem == nil }

    /// Creates a report.
    public init(eventsChecked: Int, lastGoodSequence: Int64, firstBadSequence: Int64? = nil, problem: Problem? = nil, explanation: String? = nil) {
        self.eventsChecked = eventsChecked
        self.lastGoodSequence = lastGoodSequence
        self.firstBadSequence = firstBadSequence
        self.problem = problem
        self.explanation = explanation
    }
}

/// The hash-chained audit trail. Events are appended inside the unit of work
/// (``StoreTransaction/appendAudit(_:)``), in the same transaction as the change they record.
///
/// Sequences are 1, 2, 3… without gaps, and each event links to the one before, so appends must
/// be serialised: SQLite's single writer does it; a PostgreSQL store must take a lock (e.g.
/// `pg_advisory_xact_lock` or `SELECT … FOR UPDATE` on the chain's head row) before reading the
/// last hash, and number events itself (a database sequence leaves gaps on rollback).
public protocol AuditStore: Sendable {
    /// Events after `sequence`, oldest first, at most `limit`.
    func auditEvents(after sequence: Int64, limit: Int) async throws(StoreError) -> [StoredAuditEvent]
    /// Recomputes the whole chain and reports the first event that does not verify.
    ///
    /// A deletion of the newest events cannot be seen from the chain alone: compare the last
    /// sequence and hash with a copy kept elsewhere (an anchor) to detect it.
    func verifyAuditChain() async throws(StoreError) -> AuditChainReport
}

/// The audit chain's hashing, shared by every store implementation.
///
/// `hash = SHA-256(prev_hash || encoding)`, where `prev_hash` is the previous event's hash (32 zero
/// bytes for sequence 1) and `encoding` is, byte by byte:
///
/// 1. the ASCII domain tag `vigil-audit-v1` followed by one zero byte;
/// 2. the sequence as a signed 64-bit big-endian integer;
/// 3. then, in this order, `actor`, `organisation`, `action`, `object`, `at`, `detail`, each as a
///    presence byte (`0x00` absent, with nothing after it; `0x01` present) followed by the UTF-8
///    byte count as an unsigned 32-bit big-endian integer and the UTF-8 bytes.
///
/// Every field carries its own length, so no two different events encode to the same bytes.
public enum AuditChain {
    /// The first event's `prev_hash`: 32 zero bytes.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The canonical encoding of an event at `sequence` (see ``AuditChain``).
    public static func encoding(sequence: Int64, _ event: AuditEvent) -> [UInt8] {
        var bytes = Array("vigil-audit-v1".utf8)
        bytes.append(0)
        withUnsafeBytes(of: sequence.bigEndian) { bytes.append(contentsOf: $0) }
        for field in [event.actor, event.organisation, event.action, event.object, event.at, event.detail] {
            guard let field else {
                bytes.append(0)
                continue
            }
            bytes.append(1)
            let utf8 = Array(field.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
        return bytes
    }

    /// `SHA-256(prevHash || encoding(sequence, event))`.
    public static func hash(prevHash: [UInt8], sequence: Int64, _ event: AuditEvent) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: prevHash)
        hasher.update(data: encoding(sequence: sequence, event))
        return Array(hasher.finalize())
    }

    /// The largest `detail` accepted, in UTF-8 bytes.
    public static let maximumDetailBytes = 4096

    /// Checks an event before it is appended.
    public static func validate(_ event: AuditEvent) throws(StoreError) {
        guard !event.actor.isEmpty, !event.action.isEmpty, !event.object.isEmpty, !event.at.isEmpty else {
            throw .invalid("an audit event needs an actor, an action, an object and a time")
        }
        if let detail = event.detail, detail.utf8.count > maximumDetailBytes {
            throw .invalid("an audit event's detail is at most \(maximumDetailBytes) bytes")
        }
    }

    /// Walks a chain in sequence order and reports where it first breaks.
    ///
    /// `page` returns a few stored events after a sequence, by ascending sequence (empty at the
    /// end); `around` returns the stored events with sequences in a closed range (used only once a
    /// break is found, to tell a reordering from an alteration); `hashExists` says whether some
    /// stored event has this hash.
    public static func verify(
        page: (_ after: Int64) throws(StoreError) -> [StoredAuditEvent],
        around: (ClosedRange<Int64>) throws(StoreError) -> [StoredAuditEvent],
        hashExists: ([UInt8]) throws(StoreError) -> Bool
    ) throws(StoreError) -> AuditChainReport {
        var expectedSequence: Int64 = 1
        var previousHash = genesis
        var checked = 0
        var after: Int64 = 0
        while true {
            let rows = try page(after)
            guard let last = rows.last else { break }
            after = last.sequence
            for row in rows {
                let good = expectedSequence - 1
                if row.sequence != expectedSequence {
                    return AuditChainReport(
                        eventsChecked: checked, lastGoodSequence: good, firstBadSequence: expectedSequence, problem: .deleted,
                        explanation: "event \(expectedSequence) is missing (the next stored event is \(row.sequence))")
                }
                if row.prevHash != previousHash {
                    // Its link points elsewhere: to another stored event (moved) or to nothing (altered).
                    if try hashExists(row.prevHash) {
                        return AuditChainReport(
                            eventsChecked: checked, lastGoodSequence: good, firstBadSequence: row.sequence, problem: .reordered,
                            explanation: "event \(row.sequence) links to another position's event: events were moved")
                    }
                    return AuditChainReport(
                        eventsChecked: checked, lastGoodSequence: good, firstBadSequence: row.sequence, problem: .altered,
                        explanation: "event \(row.sequence)'s link to the previous event was changed")
                }
                if hash(prevHash: row.prevHash, sequence: row.sequence, row.event) != row.hash {
                    // Does its content belong at a nearby position? Then rows' contents were swapped.
                    let window = max(1, row.sequence - 16)...(row.sequence + 16)
                    for other in try around(window) where other.sequence != row.sequence {
                        if hash(prevHash: other.prevHash, sequence: other.sequence, row.event) == other.hash {
                            return AuditChainReport(
                                eventsChecked: checked, lastGoodSequence: good, firstBadSequence: row.sequence, problem: .reordered,
                                explanation: "event \(row.sequence) holds the content of event \(other.sequence): events were moved")
                        }
                    }
                    return AuditChainReport(
                        eventsChecked: checked, lastGoodSequence: good, firstBadSequence: row.sequence, problem: .altered,
                        explanation: "event \(row.sequence)'s fields do not match its hash: it was changed after it was written")
                }
                previousHash = row.hash
                expectedSequence += 1
                checked += 1
            }
        }
        return AuditChainReport(eventsChecked: checked, lastGoodSequence: expectedSequence - 1)
    }
}
