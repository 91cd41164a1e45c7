public import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization
public import VigilDomain

/// The store for several nodes on one database: PostgreSQL through postgres-nio's `PostgresClient`
/// (its connection pool).
///
/// Every change goes through the unit of work (``write(_:)``): one transaction on one pooled
/// connection whose synchronous body runs on one of the store's own threads (never an event loop),
/// each statement awaited there. A write transaction first takes the **writer lock**, a
/// transaction-level advisory lock (``writerLock``) that every node's writers share, and holds it
/// until it commits: writers never interleave, across nodes as on SQLite's single writer, so a
/// body may read, decide and write. It also orders the change feed by commit: a feed sequence is
/// allocated only while the lock is held, so no reader can see sequence n before everything below
/// it has committed (see ``PostgresSchema``).
///
/// Every store protocol is implemented, the provider node's and the Centre's: the same contract
/// suites run on it and on ``SQLiteStore``.
public final class PostgresStore: TransactionalStore {
    /// The transaction-level advisory lock every write transaction holds until it ends.
    public static let writerLock: Int64 = 0x5649_4749_4C57_5254  // "VIGILWRT"

    let client: PostgresClient
    let clock: any WallClock
    let logger: Logger
    /// Runs the client's connection pool until the store is shut down.
    private let runner: Task<Void, Never>
    /// The threads write transactions' bodies run on (blocking on their connection's answers).
    private let writers: NIOThreadPool
    /// The threads reads run on.
    private let readers: NIOThreadPool
    /// Where the store is, for logs: the URL without its password.
    public let location: String
    /// The items' PDQ hashes in memory, caught up by each write transaction that links (this
    /// node's own: see ``ItemPDQIndex`` for why that is right with several nodes).
    let itemPDQ = ItemPDQIndex()
    /// Numbers the write transactions, for ``itemPDQ``.
    private let transactions = Atomic<UInt64>(0)

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`, with
    /// `?sslmode=disable|prefer|require` and `?pool=N` connections, 20 by default) and migrates it to
    /// the current schema (one node at a time, under an advisory lock). Stored times come from `clock`.
    public init(url: String, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "vigil.store.postgres")) async throws(StoreError) {
        let parsed = try PostgresURL(url)
        self.location = parsed.location
        self.clock = clock
        self.logger = logger
        let client = PostgresClient(configuration: parsed.configuration, backgroundLogger: logger)
        self.client = client
        self.runner = Task { await client.run() }
        writers = NIOThreadPool(numberOfThreads: 2)
        writers.start()
        readers = NIOThreadPool(numberOfThreads: 4)
        readers.start()
        try await migrate()
    }

    deinit {
        runner.cancel()
        writers.shutdownGracefully { _ in }
        readers.shutdownGracefully { _ in }
    }

    /// Closes the pool's connections and stops the store's threads; the store answers nothing after.
    public func shutdown() async {
        runner.cancel()
        // The pool closes its connections and its run returns. Should it not within
        // `shutdownWait` (a test run was once seen waiting here without end, no connection left),
        // the store stops its threads anyway and says so.
        if await !Self.ends(runner, within: Self.shutdownWait) {
            logger.warning("the connection pool did not stop in time; the store stops without it", metadata: ["waited": "\(Self.shutdownWait)"])
        }
        for threads in [writers, readers] {
            do {
                try await threads.shutdownGracefully()
            } catch {
                logger.warning("the store's threads did not shut down cleanly", metadata: ["error": "\(error)"])
            }
        }
    }

    /// How long ``shutdown()`` waits for the connection pool to stop.
    static let shutdownWait: Duration = .seconds(10)

    /// Whether `task` ends within `limit` (it is not cancelled either way). The timer stops as soon
    /// as `task` ends, so a store that shut down cleanly leaves no sleeping task behind.
    static func ends(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
        let outcome = FirstOutcome()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            outcome.waiting.withLock { $0 = continuation }
            let timer = Task {
                do {
                    try await Task.sleep(for: limit)
                } catch {
                    // Cancelled: `task` ended first and has answered already, so this answer is dropped.
                }
                outcome.resume(false)
            }
            Task {
                await task.value
                outcome.resume(true)
                timer.cancel()
            }
        }
    }

    /// A continuation resumed once, by whichever comes first.
    private final class FirstOutcome: Sendable {
        let waiting = Mutex<CheckedContinuation<Bool, Never>?>(nil)

        func resume(_ value: Bool) {
            waiting.withLock { $0.take() }?.resume(returning: value)
        }
    }

    // MARK: The unit of work

    /// Runs `body` in one transaction holding the writer lock, with the clock read once when the
    /// lock is taken; see ``TransactionalStore/write(_:)``.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws(StoreError) -> T) async throws(StoreError) -> T {
        let clock = self.clock
        let itemPDQ = self.itemPDQ
        let serial = transactions.add(1, ordering: .relaxed).newValue
        return try await onConnection(writers) { session throws(StoreError) in
            try Self.transaction(session, lock: Self.writerLock) { () throws(StoreError) -> T in
                try body(PostgresTransaction(session: session, now: clock.now(), itemPDQ: itemPDQ, serial: serial))
            }
        }
    }

    /// Runs `body` in `BEGIN … COMMIT` after taking advisory lock `lock`; rolls back when it throws.
    static func transaction<T>(_ session: PostgresSession, lock: Int64, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try session.execute("BEGIN")
        do throws(StoreError) {
            try session.execute("SELECT pg_advisory_xact_lock(\(lock))")
            let value = try body()
            try session.commit()
            return value
        } catch {
            do {
                try session.execute("ROLLBACK")
            } catch let rollback {
                // The connection is gone or broken; the server rolls the transaction back when it
                // notices, and the pool replaces the connection. The body's error is what the caller gets.
                session.logger.warning("a rollback failed after an error", metadata: ["error": "\(String(reflecting: rollback))"])
            }
            throw error
        }
    }

    /// How long an operation waits for a pooled connection before it is refused as `unavailable`:
    /// while the database is down the pool keeps reconnecting in the background, and callers get a
    /// 503 (and the follower a failed round, which `/ready` reports) instead of waiting without end.
    /// Long enough that a busy node's queue for connections is not taken for an outage (a 3 s
    /// deadline refused writes of a loaded CI machine whose database was up).
    static let leaseTimeout: Duration = .seconds(10)

    /// How long an operation waits for a pooled connection while the database is known to be
    /// unreachable (the last operation failed for that reason, and none has succeeded since):
    /// callers are refused within a second instead of queueing for ``leaseTimeout``, and the first
    /// success ends it.
    static let outageLeaseTimeout: Duration = .seconds(1)

    /// Whether the last operation found the database unreachable (see ``outageLeaseTimeout``).
    private let outage = Atomic<Bool>(false)

    /// Runs `body` with a pooled connection on one of `threads`; `unavailable` when no connection
    /// is granted within ``leaseTimeout``. Once granted, the body runs to its end (a transaction is
    /// never cut off by the deadline).
    func onConnection<T: Sendable>(_ threads: NIOThreadPool, _ body: @escaping @Sendable (PostgresSession) throws(StoreError) -> T)
        async throws(StoreError) -> T
    {
        let timeout = outage.load(ordering: .relaxed) ? Self.outageLeaseTimeout : Self.leaseTimeout
        do {
            let value = try await Self.withLease(client, logger: logger, timeout: timeout) { connection, logger in
                try await threads.runIfActive { () throws -> T in
                    try body(PostgresSession(connection: connection, logger: logger))
                }
            }
            outage.store(false, ordering: .relaxed)
            return value
        } catch {
            let failure = StoreError.from(error)
            if failure.code == .unavailable { outage.store(true, ordering: .relaxed) }
            throw failure
        }
    }

    /// Whether a lease was granted (set once, read by the deadline).
    private final class LeaseFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// The outcome of the race between a lease and its deadline.
    private enum LeaseRace<T: Sendable>: Sendable {
        case done(T)
        case deadline
    }

    /// `client.withConnection(work)`, refused with `unavailable` if the connection is not granted
    /// within `timeout`.
    private static func withLease<T: Sendable>(
        _ client: PostgresClient, logger: Logger, timeout: Duration,
        _ work: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let granted = LeaseFlag()
        return try await withThrowingTaskGroup(of: LeaseRace<T>.self) { group in
            group.addTask {
                .done(
                    try await client.withConnection { connection in
                        granted.value.store(true, ordering: .releasing)
                        return try await work(connection, logger)
                    })
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .deadline
            }
            while let outcome = try await group.next() {
                switch outcome {
                case .done(let value):
                    group.cancelAll()
                    return value
                case .deadline:
                    // Past the deadline with a connection granted: the work finishes; without one, refused.
                    if !granted.value.load(ordering: .acquiring) {
                        group.cancelAll()
                        throw StoreError(
                            code: .unavailable,
                            message: "the database is not reachable (no connection within \(timeout)); the node retries by itself")
                    }
                }
            }
            throw StoreError.internal("a store operation ended without an outcome")
        }
    }

    /// A read: statements on one pooled connection (each its own snapshot, as PostgreSQL's
    /// autocommit gives), on one of the reader threads.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws(StoreError) -> T) async throws(StoreError) -> T {
        try await onConnection(readers, body)
    }

    /// A read of one snapshot: `body` in a `REPEATABLE READ, READ ONLY` transaction.
    func snapshot<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws(StoreError) -> T) async throws(StoreError) -> T {
        try await onConnection(readers) { session throws(StoreError) in
            try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            do throws(StoreError) {
                let value = try body(session)
                try session.execute("COMMIT")
                return value
            } catch {
                do throws(StoreError) { try session.execute("ROLLBACK") } catch let rollback {
                    session.logger.warning("a rollback failed after an error", metadata: ["error": "\(String(reflecting: rollback))"])
                }
                throw error
            }
        }
    }

    /// `url` with its password (if any) replaced by `***`, for logs.
    public static func redacted(_ url: String) -> String {
        PostgresURL.redacted(url)
    }

    /// Whether the database answers now (for `/ready`).
    public func ping() async throws(StoreError) {
        _ = try await read { session throws(StoreError) in try session.value("SELECT 1", as: Int32.self) }
    }

    // MARK: Migrations

    private func migrate() async throws(StoreError) {
        let logger = self.logger
        let clock = self.clock
        try await onConnection(writers) { session throws(StoreError) in
            try Self.transaction(session, lock: PostgresSchema.migrationLock) { () throws(StoreError) in
                try session.execute("CREATE TABLE IF NOT EXISTS vigil_migrations (identifier TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
                let done = Set(
                    try session.rows("SELECT identifier FROM vigil_migrations").map { (row: PostgresRow) throws(StoreError) -> String in
                        try row.column(0)
                    })
                for migration in PostgresSchema.migrations where !done.contains(migration.identifier) {
                    for statement in migration.sql { try session.execute(PostgresQuery(unsafeSQL: statement)) }
                    try session.execute(
                        "INSERT INTO vigil_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(clock.now().rfc3339))")
                    logger.info("migrated the PostgreSQL store", metadata: ["migration": "\(migration.identifier)"])
                }
            }
        }
    }
}

/// A `postgres://` store URL, read into postgres-nio's configuration.
struct PostgresURL {
    var configuration: PostgresClient.Configuration
    /// The URL without its password, for logs.
    var location: String

    init(_ text: String) throws(StoreError) {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql", let host = url.host, !host.isEmpty
        else {
            throw .invalid("the store URL must look like postgres://user[:password]@host[:port]/database (got \"\(Self.redacted(text))\")")
        }
        let user = url.user ?? "postgres"
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty else { throw .invalid("the store URL names no database: postgres://user@host:port/DATABASE") }
        var tls = PostgresClient.Configuration.TLS.disable
        var pool = 20
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable": tls = .disable
                case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
                case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
                default: throw .invalid("sslmode must be disable, prefer or require (got \"\(item.value ?? "")\")")
                }
            case "pool":
                guard let value = item.value.flatMap(Int.init), (1...500).contains(value) else {
                    throw .invalid("pool must be a number of connections from 1 to 500 (got \"\(item.value ?? "")\")")
                }
                pool = value
            default:
                throw .invalid("the store URL's option \"\(item.name)\" is unknown; known: sslmode, pool")
            }
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: url.password, database: database, tls: tls)
        configuration.options.maximumConnections = pool
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        self.location = "postgres://\(user)@\(host):\(url.port ?? 5432)/\(database)"
    }

    /// `text` with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "(unreadable)"
    }
}
