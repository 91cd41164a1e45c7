import VigilDomain
import VigilAPI
import VigilStore

/// What a `/v1` operation requires before its input is decoded, and how to explain a request that
/// does not fit the OpenAPI document.
struct OperationPolicy: Sendable {
    /// How an operation's request body is read.
    enum Body: Sendable, Equatable {
        /// No body.
        case none
        /// A JSON document: buffered (at most ``OperationGuard/maxJSONBytes``), then decoded by the
        /// generated code.
        case json
        /// An uploaded file, raw or multipart, collected by the handler up to the node's upload limit.
        case upload
        /// A file streamed through the handler without buffering (imports).
        case stream
    }

    /// The key scopes that may call the operation (any one of them; `admin` passes every check).
    let scopes: Set<Scope>
    /// How the request body is read.
    let body: Body
    /// Query parameters with a fixed set of values, so that a value outside it is answered as
    /// `unknown_<name>`, naming the accepted ones.
    var choices: [(name: String, values: [String])] = []
    /// The answer to a path or query parameter that does not decode (`invalid_parameter` when nil).
    var parameterError: APIError?
}

extension OperationPolicy {
    /// Every `/v1` operation's policy, by operation id (the `security` scopes of `openapi.yaml`,
    /// which a test keeps in step). An operation missing here is refused to every key.
    static let v1: [String: OperationPolicy] = {
        let read: Set<Scope> = [.match, .curate]
        let signalTypes = Components.Schemas.SignalType.allCases.map(\.rawValue)
        let dihedral = APIError.badRequest("invalid_parameter", "dihedral is true or false")
        return [
            Operations.ListLists.id: OperationPolicy(scopes: read, body: .none),
            Operations.CreateList.id: OperationPolicy(scopes: [.curate], body: .json),
            Operations.GetList.id: OperationPolicy(scopes: read, body: .none),
            Operations.UpdateList.id: OperationPolicy(scopes: [.curate], body: .json),
            Operations.DeleteList.id: OperationPolicy(scopes: [.curate], body: .none),
            Operations.ListEntries.id: OperationPolicy(
                scopes: [.curate], body: .none, parameterError: .badRequest("invalid_parameter", "after and limit are integers")),
            Operations.AddEntries.id: OperationPolicy(scopes: [.curate], body: .json),
            Operations.UpdateEntry.id: OperationPolicy(
                scopes: [.curate], body: .json, parameterError: .badRequest("invalid_id", "entry ids are integers")),
            Operations.SetEntryNote.id: OperationPolicy(
                scopes: [.curate], body: .json, parameterError: .badRequest("invalid_id", "entry ids are integers")),
            Operations.DeleteEntry.id: OperationPolicy(
                scopes: [.curate], body: .none, parameterError: .badRequest("invalid_id", "entry ids are integers")),
            Operations.ImportList.id: OperationPolicy(
                scopes: [.curate], body: .stream,
                choices: [("format", Components.Schemas.ImportFormat.allCases.map(\.rawValue)), ("type", signalTypes)]),
            Operations.ExportList.id: OperationPolicy(
                scopes: [.curate], body: .none,
                choices: [("format", Components.Schemas.ExportFormat.allCases.map(\.rawValue)), ("type", signalTypes)]),
            Operations.GetListAction.id: OperationPolicy(scopes: [.curate], body: .none),
            Operations.SetListAction.id: OperationPolicy(scopes: [.curate], body: .json),
            Operations.DeleteListAction.id: OperationPolicy(scopes: [.curate], body: .none),
            Operations.MatchHash.id: OperationPolicy(scopes: [.match], body: .json),
            Operations.MatchFile.id: OperationPolicy(scopes: [.match], body: .upload, parameterError: dihedral),
            Operations.MatchURL.id: OperationPolicy(scopes: [.match], body: .json),
            Operations.CompareHashes.id: OperationPolicy(scopes: [.match], body: .json),
            Operations.IndexStatus.id: OperationPolicy(scopes: [.match], body: .none),
            Operations.HashFile.id: OperationPolicy(scopes: [.hash], body: .upload, parameterError: dihedral),
            Operations.HashURL.id: OperationPolicy(scopes: [.hash], body: .json),
        ]
    }()
}
