import Foundation
import GRDB

/// Node-wide settings per signal type: HMA's signal type configuration (`enabled_ratio`), kept
/// so that HMA clients can read back what they set.
///
/// HMA 2.0 stores the ratio and treats a signal type as enabled while it is not negative (its
/// sampling is a to-do there); Vigil's HMA routes do the same. Vigil's own staged rollout is per
/// list (``HashList/enabledRatio``).
public protocol SignalTypeSettingsStore: Sendable {
    /// The ratios set so far, by signal type name (types never set are absent: ratio 1).
    func signalTypeRatios() async throws(StoreError) -> [String: Double]
    /// Sets one signal type's ratio.
    func setSignalTypeRatio(_ ratio: Double, for name: String) async throws(StoreError)
}

extension SQLiteStore: SignalTypeSettingsStore {
    static func registerSignalTypeSettingsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-signal-type-settings") { db in
            try db.execute(sql: """
                CREATE TABLE signal_type_settings (
                    name TEXT PRIMARY KEY,
                    enabled_ratio REAL NOT NULL,
                    updated_at TEXT NOT NULL
                );
                """)
        }
    }

    public func signalTypeRatios() async throws(StoreError) -> [String: Double] {
        try await readTransaction { db in
            var ratios: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, enabled_ratio FROM signal_type_settings") {
                ratios[row["name"]] = row["enabled_ratio"]
            }
            return ratios
        }
    }

    public func setSignalTypeRatio(_ ratio: Double, for name: String) async throws(StoreError) {
        guard ratio.isFinite else { throw .invalid("enabled_ratio must be a finite number") }
        let now = Date().rfc3339
        try await writeTransaction { db in
            try db.execute(
                sql: """
                    INSERT INTO signal_type_settings (name, enabled_ratio, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET enabled_ratio = excluded.enabled_ratio, updated_at = excluded.updated_at
                    """,
                arguments: [name, ratio, now])
        }
    }
}
