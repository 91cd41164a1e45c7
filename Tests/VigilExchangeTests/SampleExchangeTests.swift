import Testing
import VigilDomain
import VigilExchange

/// HMA's `sample` exchange: python-threatexchange's example signals of the types asked for, one
/// page, each example an item of its own (so a fetch again replaces), then nothing after its checkpoint.
@Suite("Sample exchange")
struct SampleExchangeTests {
    @Test func theFirstFetchGivesEveryExampleOfTheTypesAskedForThenNothing() async throws {
        let client = try SampleExchangeMaker().makeClient(settings: [:], credential: nil)
        let page = try await client.fetchPage(after: nil)
        #expect(!page.hasMore && page.batch.issues.isEmpty && page.batch.itemDeletions.isEmpty)
        let byType = Dictionary(grouping: page.batch.records, by: \.type)
        #expect(byType[.pdq]?.count == 16 && byType[.md5]?.count == 2 && byType[.sha256]?.count == 2)
        // The example HMA's tests look up first, of each type, as python-threatexchange lists it.
        #expect(byType[.pdq]?.first?.value == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
        #expect(byType[.md5]?.first?.value == "cab08b36195edb1a1231d2d09fa450e0")
        for record in page.batch.records {
            #expect(record.action == .add && record.provenance.sourceOrganisation == "sample")
            #expect(record.provenance.sourceItemId == "\(HMASignalNames.name(of: record.type)):\(record.value)")
        }
        #expect(Set(page.batch.records.map(\.provenance.sourceItemId)).count == 20)
        let after = try await client.fetchPage(after: page.checkpoint)
        #expect(after.batch.isEmpty && !after.hasMore && after.checkpoint == page.checkpoint)
    }

    @Test func onlyTheTypesTheNodeServesAreFetched() async throws {
        let client = try SampleExchangeMaker(types: [.pdq, .md5]).makeClient(settings: [:], credential: nil)
        let page = try await client.fetchPage(after: nil)
        #expect(Set(page.batch.records.map(\.type)) == [.pdq, .md5] && page.batch.records.count == 18)
    }

    @Test func itTakesNoCredential() {
        let maker = SampleExchangeMaker()
        #expect(!maker.takesCredential && maker.settingNames.isEmpty)
        #expect(throws: ExchangeError.self) { _ = try maker.makeClient(settings: [:], credential: "token") }
    }
}
