import Foundation
import Testing
import VigilDomain

@Suite("The retention rule")
struct RetentionRuleTests {
    let t0 = Date(timeIntervalSince1970: 1_767_225_600)
    let day: TimeInterval = 86_400

    @Test func aReportExpiresTheRetentionPeriodAfterItsLastAction() {
        let rule = RetentionRule()
        let facts = RetentionFacts(reportId: 1, actions: [t0, t0.addingTimeInterval(3 * day), t0.addingTimeInterval(day)])
        #expect(rule.deletionTime(facts) == t0.addingTimeInterval(368 * day))
        #expect(!rule.isExpired(facts, at: t0.addingTimeInterval(368 * day - 0.001)))
        #expect(rule.isExpired(facts, at: t0.addingTimeInterval(368 * day)))
        #expect(RetentionRule(days: 30).deletionTime(facts) == t0.addingTimeInterval(33 * day))
    }

    @Test func holdsAndPreservationRequestsKeepItUntilTheLastEnds() {
        let rule = RetentionRule()
        var facts = RetentionFacts(reportId: 1, actions: [t0], holdsUntil: [t0.addingTimeInterval(400 * day)])
        #expect(rule.deletionTime(facts) == t0.addingTimeInterval(400 * day))
        facts.preservedUntil = [t0.addingTimeInterval(500 * day), t0.addingTimeInterval(450 * day)]
        #expect(rule.deletionTime(facts) == t0.addingTimeInterval(500 * day))
        // A hold that ended before the period is over changes nothing.
        facts = RetentionFacts(reportId: 1, actions: [t0], holdsUntil: [t0.addingTimeInterval(10 * day)])
        #expect(rule.deletionTime(facts) == t0.addingTimeInterval(365 * day))
    }

    @Test func aPreservationRequestIsCheckedBeforeItIsRecorded() {
        let until = t0.addingTimeInterval(100 * day).rfc3339
        #expect(Preservation(until: until, reason: "case 1").problem(at: t0) == nil)
        #expect(Preservation(until: "soon", reason: "case 1").problem(at: t0) != nil)
        #expect(Preservation(until: t0.addingTimeInterval(-1).rfc3339, reason: "case 1").problem(at: t0) != nil)
        #expect(Preservation(until: t0.addingTimeInterval(549 * day).rfc3339, reason: "case 1").problem(at: t0) != nil)
        #expect(Preservation(until: until, reason: "  ").problem(at: t0) != nil)
        #expect(Preservation(until: until, reason: String(repeating: "x", count: 1_001)).problem(at: t0) != nil)
    }
}
