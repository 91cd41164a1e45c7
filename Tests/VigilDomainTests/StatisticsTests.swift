import Foundation
import Testing
import VigilDomain

/// The statistics' pure parts: nearest-rank percentiles, the window, and the aggregation of rows.
@Suite("Statistics")
struct StatisticsTests {
    static let ranks: [([Int64], Int, Int64?)] = [
        ([], 50, nil),
        ([7], 50, 7),
        ([7], 90, 7),
        ([1, 2], 50, 1),
        ([1, 2], 90, 2),
        ([3, 1, 2], 50, 2),
        ([10, 20, 30, 40], 50, 20),
        ([10, 20, 30, 40], 90, 40),
        (Array(1...10), 90, 9),
        (Array(1...10), 50, 5),
        (Array(1...11), 90, 10),
        (Array(1...100), 90, 90),
        (Array(1...101), 90, 91),
        (Array(1...20), 100, 20),
    ]

    /// Rank ⌈p·n/100⌉ of the sorted values: always one of them, the lower middle one for an even count.
    @Test(arguments: ranks)
    func nearestRank(values: [Int64], percent: Int, expected: Int64?) {
        #expect(NearestRank.percentile(percent, of: values.reversed()) == expected)
    }

    @Test func durationsAreSummarisedInSeconds() {
        let summary = DurationSummary(milliseconds: [3_600_000, 1_600_000, 7_200_500, 10_000_000])
        #expect(summary.count == 4)
        #expect(summary.medianSeconds == 3_600)
        #expect(summary.p90Seconds == 10_000)
        let none = DurationSummary(milliseconds: [])
        #expect(none.count == 0 && none.medianSeconds == nil && none.p90Seconds == nil)
    }

    @Test func theWindowIsCheckedAndNamesWhatIsWrong() throws {
        let window = try StatisticsWindow(from: "2026-01-01T00:00:00Z", to: "2026-02-01T01:00:00+01:00")
        #expect(window.from?.rfc3339 == "2026-01-01T00:00:00.000Z")
        #expect(window.to?.rfc3339 == "2026-02-01T00:00:00.000Z")
        #expect(throws: StatisticsWindowError.notRFC3339(name: "to", value: "yesterday")) {
            try StatisticsWindow(from: nil, to: "yesterday")
        }
        #expect(throws: StatisticsWindowError.self) { try StatisticsWindow(from: "2026-02-01T00:00:00Z", to: "2026-02-01T00:00:00Z") }
        let open = try StatisticsWindow()
        #expect(open == .always)
    }

    @Test func rowsAreCountedWithTheRulesOfLatenessAndHolds() throws {
        let now = Date(timeIntervalSince1970: 1_767_225_600 + 45 * 86_400)
        let de = try #require(MemberState(rawValue: "DE"))
        func at(_ days: Double) -> Date { now.addingTimeInterval((days - 45) * 86_400) }
        let rows = StatisticsRows(
            reports: [
                .init(organisationId: 2, organisationName: "B", type: .newMaterial, state: .queued, classifiedAutomatically: false, count: 1),
                .init(organisationId: 1, organisationName: "A", type: .newMaterial, state: .unfounded, classifiedAutomatically: false, count: 1),
                .init(organisationId: 1, organisationName: "A", type: .knownMaterial, state: .forwarded, classifiedAutomatically: true, count: 2),
                .init(organisationId: 1, organisationName: "A", type: .knownMaterial, state: .forwarded, classifiedAutomatically: false, count: 1),
            ],
            decisionMilliseconds: [4_000, 1_000], referralMilliseconds: [0, 0, 1_000],
            referrals: [
                // On time (exactly at the due time), late by one day, overdue, awaiting.
                .init(recipient: .police(de), acknowledged: true, outcome: .passedOn, outcomeDueAt: at(30), outcomeAt: at(30), hold: nil),
                .init(recipient: .police(de), acknowledged: true, outcome: .notPursued, outcomeDueAt: at(30), outcomeAt: at(31), hold: nil),
                .init(
                    recipient: .europol, acknowledged: false, outcome: nil, outcomeDueAt: at(44), outcomeAt: nil,
                    hold: Hold(doNotInform: true, doNotRemove: true, until: at(50).rfc3339)),
                .init(
                    recipient: .europol, acknowledged: false, outcome: nil, outcomeDueAt: at(46), outcomeAt: nil,
                    hold: Hold(doNotInform: false, doNotRemove: true, until: at(45).rfc3339)),
            ])
        let figures = ReportStatistics.aggregate(rows, window: .always, scope: .all, now: now)
        let reports = try #require(figures.reports)
        #expect(reports.total.reports == 5 && reports.total.forwarded == 3 && reports.total.unfounded == 1 && reports.total.undecided == 1)
        #expect(reports.total.classifiedAutomatically == 2)
        #expect(reports.total.unfoundedShare == 0.25)
        #expect(reports.byProvider.map(\.organisation) == ["A", "B"])
        #expect(reports.byProvider.last?.counts.unfoundedShare == nil, "nothing of B's is decided")
        #expect(reports.byType.map(\.type) == ReportType.allCases)
        #expect(reports.byType.map(\.counts.reports) == [3, 2, 0])
        #expect(reports.byState == ["queued": 1, "information_requested": 0, "awaiting_review": 0, "forwarded": 3, "unfounded": 1])
        #expect(reports.timeToDecision == DurationSummary(milliseconds: [1_000, 4_000]))
        #expect(reports.timeToDecision.medianSeconds == 1 && reports.timeToDecision.p90Seconds == 4)
        #expect(reports.timeToReferral.medianSeconds == 0 && reports.timeToReferral.p90Seconds == 1)

        let total = figures.referrals.total
        #expect(total.referrals == 4 && total.acknowledged == 2)
        #expect(total.onTime == 1 && total.late == 1 && total.overdue == 1 && total.awaiting == 1)
        #expect(total.outcomes == ["investigation_opened": 0, "passed_on": 1, "not_pursued": 1, "child_safeguarded": 0, "suspect_identified": 0])
        #expect(total.lateness.count == 1 && total.lateness.medianSeconds == 86_400)
        // A hold until exactly now has ended.
        #expect(total.holds.placed == 2 && total.holds.active == 1 && total.holds.doNotInform == 1 && total.holds.doNotRemove == 1)
        #expect(figures.referrals.byRecipient.map(\.recipient) == ["DE", "europol"])

        // Police and Europol get no report figures.
        let police = ReportStatistics.aggregate(rows, window: .always, scope: .referrals([.police(de)]), now: now)
        #expect(police.reports == nil && police.scope == "referrals")
        let json = String(decoding: try JSONEncoder().encode(police), as: UTF8.self)
        #expect(!json.contains("\"reports\":{"))
    }

    @Test func theLatenessRuleIsStrict() {
        let due = Date(timeIntervalSince1970: 1_767_225_600)
        #expect(!ReferralOutcome.isLate(postedAt: due, dueAt: due))
        #expect(ReferralOutcome.isLate(postedAt: due.addingTimeInterval(0.001), dueAt: due))
    }
}
