import GRDB
import NIOCore
import PostgresNIO

/// Why a store operation failed: a stable ``code`` for programs, a ``message`` that is safe to show
/// a client, and the ``underlying`` cause for logs.
///
/// The message never holds SQL text or a database driver's description (those can carry
/// statements, values and file paths); the cause is kept in ``underlying`` and shown only by
/// ``debugDescription``. New codes can be added without breaking callers: switch over ``code``
/// with a `default`, or match one code with `case .listNotFound = error` (see ``~=(_:_:)``).
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is: stable, for programs (an HTTP status, a retry decision).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable snake_case name (`list_not_found`, `busy`…).
        public let name: String

        private init(_ name: String) { self.name = name }

        /// No list has the given name.
        public static let listNotFound = Code("list_not_found")
        /// A list with the given name exists already.
        public static let listExists = Code("list_exists")
        /// No live entry has the given id (in the given list).
        public static let entryNotFound = Code("entry_not_found")
        /// No organisation has the given id or name.
        public static let organisationNotFound = Code("organisation_not_found")
        /// An organisation with the given name exists already.
        public static let organisationExists = Code("organisation_exists")
        /// No (live) API key has the given id.
        public static let keyNotFound = Code("key_not_found")
        /// No report has the given id (or the provider's reference).
        public static let reportNotFound = Code("report_not_found")
        /// The provider filed a report with the same reference already.
        public static let reportExists = Code("report_exists")
        /// No referral has the given id.
        public static let referralNotFound = Code("referral_not_found")
        /// No item has the given id.
        public static let itemNotFound = Code("item_not_found")
        /// The item is classified already (a person never classifies the same item twice).
        public static let itemClassified = Code("item_classified")
        /// No signing key has the given id.
        public static let signingKeyNotFound = Code("signing_key_not_found")
        /// The report changed since it was read (another person acted first); read it again.
        public static let stateChanged = Code("state_changed")
        /// No filing has the given id (on a provider node).
        public static let filingNotFound = Code("filing_not_found")
        /// No review item has the given id (on a provider node).
        public static let reviewNotFound = Code("review_not_found")
        /// The review item was decided already (the first decision stands).
        public static let reviewDecided = Code("review_decided")
        /// No exchange has the given name.
        public static let exchangeNotFound = Code("exchange_not_found")
        /// An exchange with the given name exists already.
        public static let exchangeExists = Code("exchange_exists")
        /// The organisation has no preservation request on the report.
        public static let preservationNotFound = Code("preservation_not_found")
        /// The request's data is invalid; the message says what is accepted.
        public static let invalid = Code("invalid")
        /// A constraint of the database refused the change (a duplicate, a missing reference).
        public static let conflict = Code("conflict")
        /// The disk holding the database is full: nothing of the change was written. Reads still
        /// work; writes succeed again, without a restart, once the operator frees space.
        public static let diskFull = Code("disk_full")
        /// The database is busy (locked by another writer); the same call may succeed if retried.
        public static let busy = Code("busy")
        /// The database cannot be reached or written: it cannot be opened, an I/O error, the disk
        /// is full, or it is read-only. An operator must act; retrying later may succeed.
        public static let unavailable = Code("unavailable")
        /// Something that should not happen: a corrupt database, an unexpected row, a bug.
        public static let `internal` = Code("internal")

        /// A unit of work's body threw an error of its own (carried out of the transaction and
        /// rethrown as it was; never seen by callers).
        static let bodyFailed = Code("body_failed")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and what to do, safe to show a client: never SQL or a driver's description.
    public var message: String
    /// The cause, for logs only (a `DatabaseError`, an I/O error…), if there is one.
    public var underlying: (any Error & Sendable)?
    /// The id of the object already there, for a conflict that names one (`report_exists`: the
    /// report filed earlier under the same reference).
    public var existingId: Int64?

    /// Creates an error.
    public init(code: Code, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Whether the same call may succeed if it is simply tried again (the database was busy).
    public var isRetryable: Bool { code == .busy }

    /// The safe message (what clients may see).
    public var description: String { message }

    /// The code, the message and the underlying cause: for logs, never for clients.
    public var debugDescription: String {
        var text = "StoreError(\(code.name)): \(message)"
        if let underlying { text += " [underlying: \(String(reflecting: underlying))]" }
        return text
    }

    /// Two errors are equal when their codes and messages are (the underlying cause is not compared).
    public static func == (lhs: StoreError, rhs: StoreError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// Matches an error by its code, so that `case .listNotFound = error` and
    /// `switch error { case .busy: … }` read as they would over an enum.
    public static func ~= (pattern: Code, value: StoreError) -> Bool { pattern == value.code }

    // MARK: Constructors

    /// No list is named `name`.
    public static func listNotFound(_ name: String) -> StoreError {
        StoreError(code: .listNotFound, message: "no list is named \"\(name)\"; list them with GET /v1/lists")
    }

    /// A list named `name` exists already.
    public static func listExists(_ name: String) -> StoreError {
        StoreError(code: .listExists, message: "a list named \"\(name)\" exists already; choose another name or update it")
    }

    /// No live entry has id `id` (in the list asked for).
    public static func entryNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .entryNotFound, message: "no live entry has id \(id) in this list")
    }

    /// No organisation has id `id`.
    public static func organisationNotFound(id: Int64) -> StoreError {
        StoreError(code: .organisationNotFound, message: "no organisation has id \(id); list them with `vigil organisations list`")
    }

    /// No organisation is named `name`.
    public static func organisationNotFound(_ name: String) -> StoreError {
        StoreError(code: .organisationNotFound, message: "no organisation is named \"\(name)\"; list them with `vigil organisations list`")
    }

    /// An organisation named `name` exists already.
    public static func organisationExists(_ name: String) -> StoreError {
        StoreError(code: .organisationExists, message: "an organisation named \"\(name)\" exists already; choose another name or use it")
    }

    /// No live key has id `id`.
    public static func keyNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .keyNotFound, message: "no live key has id \(id); list them with `vigil keys list`")
    }

    /// No report has id `id`.
    public static func reportNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .reportNotFound, message: "no report has id \(id)")
    }

    /// The organisation filed a report with this reference already (report `existing`).
    public static func reportExists(reference: String, existing: Int64) -> StoreError {
        var error = StoreError(
            code: .reportExists,
            message: "a report with provider_reference \"\(reference)\" was filed already (report \(existing)); use a new reference for a new report")
        error.existingId = existing
        return error
    }

    /// No referral has id `id`.
    public static func referralNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .referralNotFound, message: "no referral has id \(id)")
    }

    /// No item has id `id`.
    public static func itemNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .itemNotFound, message: "no item has id \(id)")
    }

    /// Item `id` was classified already.
    public static func itemClassified(_ id: Int64, as verdict: String, by actor: String) -> StoreError {
        StoreError(
            code: .itemClassified,
            message: "item \(id) was classified \(verdict) already (by \(actor)): an item keeps its classification; nobody needs to view it again")
    }

    /// No signing key has id `keyId`.
    public static func signingKeyNotFound(_ keyId: String) -> StoreError {
        StoreError(code: .signingKeyNotFound, message: "no signing key has id \"\(keyId)\"")
    }

    /// Report `id` is no longer `expected`.
    public static func stateChanged(report id: Int64, expected: String, found: String) -> StoreError {
        StoreError(
            code: .stateChanged, message: "report \(id) is \(found) now, no longer \(expected): someone acted on it first; read it again")
    }

    /// No exchange is named `name`.
    public static func exchangeNotFound(_ name: String) -> StoreError {
        StoreError(code: .exchangeNotFound, message: "no exchange is named \"\(name)\"; list them with GET /v1/exchanges")
    }

    /// An exchange named `name` exists already.
    public static func exchangeExists(_ name: String) -> StoreError {
        StoreError(code: .exchangeExists, message: "an exchange named \"\(name)\" exists already; choose another name or change that one")
    }

    /// No filing has id `id`.
    public static func filingNotFound(_ id: Int64) -> StoreError {
        StoreError(code: .filingNotFound, message: "no filing has id \(id); list them with GET /v1/filings")
    }

    /// The request's data is invalid: `message` says what is accepted.
    public static func invalid(_ message: String) -> StoreError {
        StoreError(code: .invalid, message: message)
    }

    /// Something that should not happen (a row the store cannot read, a bug): `message` says what,
    /// without SQL.
    public static func `internal`(_ message: String, underlying: (any Error & Sendable)? = nil) -> StoreError {
        StoreError(code: .internal, message: message, underlying: underlying)
    }

    // MARK: From the database

    /// Maps any error thrown while talking to the database: a ``StoreError`` stays as it is, a
    /// GRDB `DatabaseError` is classified by its result code, anything else is ``Code/internal``.
    public static func from(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError { return from(database: error) }
        if let error = error as? PSQLError { return from(postgres: error) }
        if error is ChannelError || error is IOError {
            return StoreError(
                code: .unavailable, message: "the database is not reachable; the node retries by itself", underlying: error)
        }
        return StoreError(code: .internal, message: "the store failed unexpectedly; the node's log has the details", underlying: error)
    }

    /// Classifies a GRDB `DatabaseError` by its primary result code, with a message that holds no SQL.
    static func from(database error: DatabaseError) -> StoreError {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            StoreError(code: .busy, message: "the database is busy; try again in a moment", underlying: error)
        case .SQLITE_CONSTRAINT:
            StoreError(
                code: .conflict, message: "the change conflicts with data already stored (a duplicate or a missing reference)", underlying: error)
        case .SQLITE_FULL:
            StoreError(
                code: .diskFull,
                message:
                    "the disk holding the node's database is full, so nothing was written; the operator must free space on it (reads still work, and writes resume without a restart)",
                underlying: error)
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_NOLFS:
            StoreError(
                code: .unavailable, message: "the database cannot be read or written; the operator must check its file and disk", underlying: error)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            StoreError(code: .internal, message: "the database file is damaged; the operator must restore it", underlying: error)
        default:
            StoreError(code: .internal, message: "the database failed unexpectedly; the node's log has the details", underlying: error)
        }
    }
}
