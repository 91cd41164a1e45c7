import Foundation
import PostgresNIO
import VigilDomain

// The Centre's referrals on PostgreSQL (not yet: each throws ``StoreError/notOnPostgres(_:)``).

extension PostgresTransaction {
    func createReferrals(reportId: Int64, recipients: [ReferralRecipient], outcomeDueAfter: Double) throws(StoreError) -> [StoredReferral] {
        throw .notOnPostgres("referrals")
    }
    func referral(id: Int64) throws(StoreError) -> StoredReferral? { throw .notOnPostgres("referrals") }
    func acknowledgeReferral(id: Int64) throws(StoreError) -> StoredReferral { throw .notOnPostgres("referrals") }
    func setReferralOutcome(id: Int64, _ outcome: ReferralOutcome, detail: String?) throws(StoreError) -> StoredReferral {
        throw .notOnPostgres("referrals")
    }
    func setReferralHold(id: Int64, _ hold: Hold?) throws(StoreError) -> StoredReferral { throw .notOnPostgres("referrals") }
}

extension PostgresStore: ReferralStore {
    public func referral(id: Int64) async throws(StoreError) -> StoredReferral? { throw .notOnPostgres("referrals") }
    public func referrals(reportId: Int64) async throws(StoreError) -> [StoredReferral] { throw .notOnPostgres("referrals") }
    public func referrals(_ query: ReferralQuery) async throws(StoreError) -> [StoredReferral] { throw .notOnPostgres("referrals") }
}
