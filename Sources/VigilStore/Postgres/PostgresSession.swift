import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection used synchronously: each query is sent and its rows awaited on the
/// calling thread, which must not be an event loop (``PostgresStore`` runs bodies on its own
/// threads). This is how a ``StoreTransaction``'s synchronous body runs over postgres-nio: the
/// transaction never suspends while it holds locks, as on SQLite.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a query and returns its rows.
    func rows(_ query: PostgresQuery) throws(StoreError) -> [PostgresRow] {
        do {
            return try connection.query(query, logger: logger).wait().rows
        } catch {
            throw StoreError.from(error)
        }
    }

    /// Runs a statement and returns how many rows it changed (0 for statements that say nothing).
    @discardableResult
    func execute(_ query: PostgresQuery) throws(StoreError) -> Int {
        do {
            return try connection.query(query, logger: logger).wait().metadata.rows ?? 0
        } catch {
            throw StoreError.from(error)
        }
    }

    /// Commits the open transaction. PostgreSQL answers `COMMIT` on a transaction that a failed
    /// statement aborted by rolling it back, without an error: that answer is an error here, so
    /// nothing the transaction did is acknowledged (a body that caught a statement's error and
    /// carried on would otherwise be told it committed).
    func commit() throws(StoreError) {
        let command: String
        do {
            command = try connection.query("COMMIT", logger: logger).wait().metadata.command
        } catch {
            throw StoreError.from(error)
        }
        guard command == "COMMIT" else {
            throw StoreError.internal(
                "the database rolled the transaction back at its commit (\(command)): a statement in it had failed; nothing of it was written")
        }
    }

    /// The first column of the first row as `T`, or nil when there is no row.
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) throws(StoreError) -> T? {
        guard let row = try rows(query).first else { return nil }
        return try row.column(0, as: T.self)
    }
}

extension PostgresRow {
    /// Column `index` decoded as `T`; an `internal` store error when the row does not hold one.
    func column<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws(StoreError) -> T {
        let cells = makeRandomAccess()
        guard index < cells.count else { throw .internal("a row has \(cells.count) columns; column \(index) was read") }
        do {
            return try cells[index].decode(T.self, context: .default)
        } catch {
            throw .internal("a stored value could not be read (column \(index) as \(T.self))", underlying: error)
        }
    }

    /// Column `index` as bytes (`bytea`), or nil for NULL.
    func bytes(_ index: Int) throws(StoreError) -> [UInt8]? {
        try column(index, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
}

extension StoreError {
    /// A PostgreSQL failure as a store error: connection trouble and a server shutting down are
    /// `unavailable` (the node says it is not ready and retries), a full disk too; a constraint
    /// is a `conflict`; a serialisation failure or deadlock is `busy` (retryable).
    static func from(postgres error: PSQLError) -> StoreError {
        if let state = error.serverInfo?[.sqlState] {
            switch state {
            case _ where state.hasPrefix("23"):
                return StoreError(
                    code: .conflict, message: "the change conflicts with data already stored (a duplicate or a missing reference)", underlying: error)
            case "40001", "40P01", "55P03":
                return StoreError(code: .busy, message: "the database is busy; try again in a moment", underlying: error)
            case "53100":
                return StoreError(
                    code: .diskFull,
                    message:
                        "the disk holding the PostgreSQL database is full, so nothing was written; the operator must free space on it (reads still work, and writes resume without a restart)",
                    underlying: error)
            case _ where state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53"):
                return StoreError(
                    code: .unavailable, message: "the database is not reachable or is shutting down; the node retries by itself", underlying: error)
            default:
                return StoreError(code: .internal, message: "the database refused a statement; the node's log has the details", underlying: error)
            }
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .queryCancelled:
            return StoreError(
                code: .unavailable, message: "the database is not reachable or is shutting down; the node retries by itself", underlying: error)
        default:
            return StoreError(code: .internal, message: "the database failed unexpectedly; the node's log has the details", underlying: error)
        }
    }
}
