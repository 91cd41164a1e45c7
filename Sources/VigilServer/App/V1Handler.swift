import VigilAPI
import VigilClassifier
import VigilDomain
import VigilMatching

/// The `/v1` operations generated from `openapi.yaml`, forwarded to the areas that implement them.
/// Nothing else happens here: authorisation and body limits are checked before (``OperationGuard``),
/// errors are answered after (``OpenAPIBridgeMiddleware``).
struct V1Handler: APIProtocol {
    let lists: ListsController
    let actions: ActionsController
    let exchange: ExchangeController
    let matching: MatchingController
    let hashing: HashingController

    /// The handler of `node`'s areas.
    init(node: Node, fetcher: URLFetcher, hashing: MediaHashing) {
        let uploads = UploadReader(limit: node.settings.maxBodyBytes)
        let service = ListService(node: node)
        lists = ListsController(store: node.store, service: service, clock: node.clock)
        actions = ActionsController(
            store: node.store, engine: node.engine, service: service, filesReports: node.settings.filing != nil,
            webhookAddresses: node.settings.webhookAddresses)
        exchange = ExchangeController(store: node.store, service: service)
        matching = MatchingController(
            matching: node.matching, hashing: hashing, uploads: uploads, fetcher: fetcher,
            conversations: ConversationMatching(indicators: node.textIndicators, matching: node.matching, settings: node.settings.conversations),
            classification: UploadClassification(
                classifier: node.classifier, thresholds: node.settings.classifier?.reviewThresholds ?? ReviewThresholds()))
        self.hashing = HashingController(hashing: hashing, uploads: uploads, fetcher: fetcher)
    }

    func listLists(_ input: Operations.ListLists.Input) async throws -> Operations.ListLists.Output { try await lists.listLists(input) }
    func createList(_ input: Operations.CreateList.Input) async throws -> Operations.CreateList.Output { try await lists.createList(input) }
    func getList(_ input: Operations.GetList.Input) async throws -> Operations.GetList.Output { try await lists.getList(input) }
    func updateList(_ input: Operations.UpdateList.Input) async throws -> Operations.UpdateList.Output { try await lists.updateList(input) }
    func deleteList(_ input: Operations.DeleteList.Input) async throws -> Operations.DeleteList.Output { try await lists.deleteList(input) }
    func listEntries(_ input: Operations.ListEntries.Input) async throws -> Operations.ListEntries.Output { try await lists.listEntries(input) }
    func addEntries(_ input: Operations.AddEntries.Input) async throws -> Operations.AddEntries.Output { try await lists.addEntries(input) }
    func updateEntry(_ input: Operations.UpdateEntry.Input) async throws -> Operations.UpdateEntry.Output { try await lists.updateEntry(input) }
    func setEntryNote(_ input: Operations.SetEntryNote.Input) async throws -> Operations.SetEntryNote.Output { try await lists.setEntryNote(input) }
    func deleteEntry(_ input: Operations.DeleteEntry.Input) async throws -> Operations.DeleteEntry.Output { try await lists.deleteEntry(input) }
    func importList(_ input: Operations.ImportList.Input) async throws -> Operations.ImportList.Output { try await exchange.importList(input) }
    func exportList(_ input: Operations.ExportList.Input) async throws -> Operations.ExportList.Output { try await exchange.exportList(input) }
    func getListAction(_ input: Operations.GetListAction.Input) async throws -> Operations.GetListAction.Output {
        try await actions.getListAction(input)
    }
    func setListAction(_ input: Operations.SetListAction.Input) async throws -> Operations.SetListAction.Output {
        try await actions.setListAction(input)
    }
    func deleteListAction(_ input: Operations.DeleteListAction.Input) async throws -> Operations.DeleteListAction.Output {
        try await actions.deleteListAction(input)
    }
    func matchHash(_ input: Operations.MatchHash.Input) async throws -> Operations.MatchHash.Output { try await matching.matchHash(input) }
    func matchFile(_ input: Operations.MatchFile.Input) async throws -> Operations.MatchFile.Output { try await matching.matchFile(input) }
    func matchURL(_ input: Operations.MatchURL.Input) async throws -> Operations.MatchURL.Output { try await matching.matchURL(input) }
    func matchConversation(_ input: Operations.MatchConversation.Input) async throws -> Operations.MatchConversation.Output {
        try await matching.matchConversation(input)
    }
    func compareHashes(_ input: Operations.CompareHashes.Input) async throws -> Operations.CompareHashes.Output {
        try await matching.compareHashes(input)
    }
    func indexStatus(_ input: Operations.IndexStatus.Input) async throws -> Operations.IndexStatus.Output {
        try await matching.indexStatus(input)
    }
    func hashFile(_ input: Operations.HashFile.Input) async throws -> Operations.HashFile.Output { try await hashing.hashFile(input) }
    func hashURL(_ input: Operations.HashURL.Input) async throws -> Operations.HashURL.Output { try await hashing.hashURL(input) }
}
