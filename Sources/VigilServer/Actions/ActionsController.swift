import VigilAPI
import VigilDomain
import VigilMatching
import VigilStore

/// `/v1/lists/{name}/action`: a list's action policy and webhook.
struct ActionsController: Sendable {
    let store: any NodeStore
    let engine: MatchEngine
    let service: ListService
    /// Whether the node is set up to file reports with a Centre (`filing.*`).
    let filesReports: Bool
    /// Which addresses webhooks may go to (`webhooks.allow-private`).
    let webhookAddresses: AddressPolicy

    func getListAction(_ input: Operations.GetListAction.Input) async throws -> Operations.GetListAction.Output {
        let name = input.path.name
        let list = try await storeCall { () async throws(StoreError) in try await store.list(named: name) }
        guard let policy = engine.policies[list.id] else {
            throw APIError.notFound("no_action", "the list \"\(name)\" has no action policy; set one with PUT")
        }
        return .ok(.init(body: .json(.init(policy))))
    }

    func setListAction(_ input: Operations.SetListAction.Input) async throws -> Operations.SetListAction.Output {
        let body =
            switch input.body {
            case .json(let body): body
            }
        let name = input.path.name
        let policy = ActionPolicy(
            action: ListAction(body.action), webhookURL: body.webhookUrl, secret: body.secret, fileReport: body.fileReport ?? false)
        guard !policy.fileReport || filesReports else {
            throw APIError.badRequest(
                "filing_not_configured",
                "file_report needs the node to know its Centre: set filing.centre-url, filing.api-key, filing.signing-key-file, filing.provider-name, filing.provider-contact and filing.legal-basis"
            )
        }
        if let text = policy.webhookURL, let refusal = webhookAddresses.refusal(ofWebhook: text) {
            throw APIError.badRequest("webhook_address_not_allowed", "webhook_url is refused: \(refusal)")
        }
        try await storeCall { () async throws(StoreError) in try await service.setPolicy(policy, forList: name, by: .current) }
        return .ok(.init(body: .json(.init(policy))))
    }

    func deleteListAction(_ input: Operations.DeleteListAction.Input) async throws -> Operations.DeleteListAction.Output {
        let name = input.path.name
        try await storeCall { () async throws(StoreError) in try await service.setPolicy(nil, forList: name, by: .current) }
        return .noContent(.init())
    }
}
