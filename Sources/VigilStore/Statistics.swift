public import VigilDomain

/// What to read for statistics: the reports received in a window, narrowed to what the caller may
/// see (``StatisticsScope``).
public struct StatisticsQuery: Sendable, Hashable {
    /// The reports received in this window.
    public var window: StatisticsWindow
    /// Whose rows.
    public var scope: StatisticsScope

    /// A query.
    public init(window: StatisticsWindow = .always, scope: StatisticsScope = .all) {
        self.window = window
        self.scope = scope
    }
}

/// The rows the Centre's statistics are computed from (``ReportStatistics/aggregate(_:window:scope:now:)``).
///
/// The decision time of a report is read from its last state change (`updated_at`): a report's
/// row changes only when its state does, and a forwarded or unfounded report takes no more
/// transitions, so for a decided report it is the moment the decision took effect (the
/// supervisor's approval, in the transaction that also made its referrals). The referral time is
/// its referrals' creation (the first, when there are several: they are made together).
public protocol ReportStatisticsStore: Sendable {
    /// The rows for `query`: reports counted by group, the decision and referral durations of
    /// each report, and one row per referral. In the ``StatisticsScope/referrals(_:)`` scope only
    /// the referral rows are read.
    func statisticsRows(_ query: StatisticsQuery) async throws(StoreError) -> StatisticsRows
}
