public import VigilDomain
public import VigilStore

/// The Centre's statistics (`GET /v1/stats`, `vigil stats`): the rows the store reads for a
/// window, narrowed to what the caller may see, and the figures computed from them
/// (``ReportStatistics``).
public struct StatisticsService: Sendable {
    /// The store.
    public let store: any ReportStatisticsStore
    /// Where the time of the figures comes from (overdue outcomes, holds in force).
    public let clock: any WallClock

    /// The service over `store`.
    public init(store: any ReportStatisticsStore, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    /// Whose figures `principal` may read: the Centre all; a provider its own organisation's
    /// reports and their referrals; police and Europol only referral figures, for the referrals
    /// they may see (``ReferralService/visibleRecipients(for:)``: their Member State's, all for
    /// Europol); nobody else anything (nil).
    public static func scope(for principal: Principal) -> StatisticsScope? {
        switch principal.kind {
        case .centre: .all
        case .provider: .organisation(principal.organisationId)
        case .police, .europol: .referrals(ReferralService.visibleRecipients(for: principal))
        case .coordinatingAuthority, .auditor, .peerCentre: nil
        }
    }

    /// The figures of the reports received in `window`, in `scope`, at the clock's time.
    public func statistics(window: StatisticsWindow, scope: StatisticsScope) async throws(StoreError) -> ReportStatistics {
        let rows = try await store.statisticsRows(StatisticsQuery(window: window, scope: scope))
        return ReportStatistics.aggregate(rows, window: window, scope: scope, now: clock.now())
    }
}
