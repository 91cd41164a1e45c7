/// Where a fetch from an exchange stopped, kept durably with the exchange after every page applied.
///
/// The state is the client's own (a cursor, a time window, a page token), opaque to everything else;
/// `timestamp` is the upstream time the fetch has reached, shown as HMA's `checkpoint_ts`.
public struct ExchangeCheckpoint: Sendable, Codable, Hashable {
    /// The client's resume state, as it wrote it (JSON or a plain token); at most 64 KiB.
    public var state: String
    /// The upstream time (seconds since 1970) that every item up to has been fetched, if the source
    /// has such a time.
    public var timestamp: Int64?

    /// Creates a checkpoint.
    public init(state: String, timestamp: Int64? = nil) {
        self.state = state
        self.timestamp = timestamp
    }
}

/// One page fetched from an exchange: what changed, and where to resume after applying it.
///
/// The batch is applied through the same path as a file import (provenance names the exchange's
/// organisation and each item's upstream id); the page's checkpoint is stored in the same transaction,
/// so a crash between pages resumes without loss or duplicates.
public struct ExchangePage: Sendable {
    /// The indicators added, updated (sent again under the same upstream id) or deleted.
    public var batch: ImportBatch
    /// Where to resume after this page.
    public var checkpoint: ExchangeCheckpoint
    /// Whether the source has more to give right now (false: the fetch is up to date).
    public var hasMore: Bool

    /// Creates a page.
    public init(batch: ImportBatch, checkpoint: ExchangeCheckpoint, hasMore: Bool) {
        self.batch = batch
        self.checkpoint = checkpoint
        self.hasMore = hasMore
    }
}

/// Why a fetch from an exchange failed, in words an operator can act on.
public enum ExchangeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source refused the credential (HTTP 401/403): set a new one.
    case unauthorized(String)
    /// The source asked to slow down (HTTP 429, or its own rate-limit answer); retry after the delay
    /// in seconds when it gave one.
    case rateLimited(retryAfter: Int?)
    /// The source answered something that is not a page of its protocol; nothing of it was applied.
    case malformed(String)
    /// The source could not be reached or failed (connection, deadline, HTTP 5xx); retry later.
    case unavailable(String)
    /// The exchange's settings are wrong (a missing field, a bad URL): fix the configuration.
    case misconfigured(String)

    /// The problem, for the exchange's status and the log.
    public var description: String {
        switch self {
        case .unauthorized(let detail): "the source refused the credential: \(detail)"
        case .rateLimited(let retryAfter):
            retryAfter.map { "the source is rate-limiting; retry after \($0) s" } ?? "the source is rate-limiting"
        case .malformed(let detail): "the source's answer is not a valid page: \(detail)"
        case .unavailable(let detail): "the source is unavailable: \(detail)"
        case .misconfigured(let detail): "the exchange is misconfigured: \(detail)"
        }
    }
}

/// A client of one exchange (Meta ThreatExchange, NCMEC hash sharing, StopNCII, a local folder, another
/// Vigil node): fetches the next page of changes after a checkpoint.
///
/// A client keeps no state between calls but what the checkpoint carries, so any node can resume
/// another node's fetch. Fetching the same checkpoint twice gives pages that, applied twice, leave the
/// list as applying them once does (updates replace by upstream id).
public protocol ExchangeClient: Sendable {
    /// The exchange's kind, as configured (`fb_threatexchange`, `ncmec`, `stopncii`, `file`, `vigil`).
    var kind: String { get }

    /// Fetches the page after `checkpoint`, or the first page when it is nil.
    func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage
}

/// Makes the clients of one kind of exchange from an exchange's stored settings and credential.
///
/// The node keeps one maker per kind; an exchange's settings are plain strings (a base URL, a privacy
/// group, a folder), and its credential is decrypted only to make the client.
public protocol ExchangeClientMaker: Sendable {
    /// The kind this maker serves (the value of ``ExchangeClient/kind``).
    var kind: String { get }

    /// The settings this kind understands, with a line on each, for errors and the API's description.
    var settingNames: [String: String] { get }

    /// Whether exchanges of this kind take a credential (HMA's `supports_authentification`).
    var takesCredential: Bool { get }

    /// Makes a client, or says which setting or credential is missing or wrong.
    func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient
}

extension ExchangeClientMaker {
    /// Most kinds take one (a token, a key, another node's API key).
    public var takesCredential: Bool { true }
}
