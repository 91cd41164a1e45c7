import VigilAPI

/// How a `/v1` operation's input is read, and how to explain a request that does not fit the
/// OpenAPI document. (Who may call it is ``AccessPolicy/node``'s business.)
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

    /// How the request body is read.
    let body: Body
    /// Query parameters with a fixed set of values, so that a value outside it is answered as
    /// `unknown_<name>`, naming the accepted ones.
    var choices: [(name: String, values: [String])] = []
    /// The answer to a path or query parameter that does not decode (`invalid_parameter` when nil).
    var parameterError: APIError?
    /// Keys a JSON body must have even where their value may be null (the generated decoder reads
    /// a missing nullable key as null, which for `disabled_until` would silently re-enable an entry).
    var requiredKeys: [String] = []
}

extension OperationPolicy {
    /// Every `/v1` operation's input policy, by operation id (a test keeps it equal to the
    /// document's operations). An operation missing here is refused to every key.
    static let v1: [String: OperationPolicy] = {
        let signalTypes = Components.Schemas.SignalType.allCases.map(\.rawValue)
        let dihedral = APIError.badRequest("invalid_parameter", "dihedral is true or false")
        return [
            Operations.ListLists.id: OperationPolicy(body: .none),
            Operations.CreateList.id: OperationPolicy(body: .json),
            Operations.GetList.id: OperationPolicy(body: .none),
            Operations.UpdateList.id: OperationPolicy(body: .json),
            Operations.DeleteList.id: OperationPolicy(body: .none),
            Operations.ListEntries.id: OperationPolicy(body: .none, parameterError: .badRequest("invalid_parameter", "after and limit are integers")),
            Operations.AddEntries.id: OperationPolicy(body: .json),
            Operations.UpdateEntry.id: OperationPolicy(
                body: .json, parameterError: .badRequest("invalid_id", "entry ids are integers"), requiredKeys: ["disabled_until"]),
            Operations.SetEntryNote.id: OperationPolicy(body: .json, parameterError: .badRequest("invalid_id", "entry ids are integers")),
            Operations.DeleteEntry.id: OperationPolicy(body: .none, parameterError: .badRequest("invalid_id", "entry ids are integers")),
            Operations.ImportList.id: OperationPolicy(
                body: .stream,
                choices: [("format", Components.Schemas.ImportFormat.allCases.map(\.rawValue)), ("type", signalTypes)]),
            Operations.ExportList.id: OperationPolicy(
                body: .none,
                choices: [("format", Components.Schemas.ExportFormat.allCases.map(\.rawValue)), ("type", signalTypes)]),
            Operations.GetListAction.id: OperationPolicy(body: .none),
            Operations.SetListAction.id: OperationPolicy(body: .json),
            Operations.DeleteListAction.id: OperationPolicy(body: .none),
            Operations.MatchHash.id: OperationPolicy(body: .json),
            Operations.MatchFile.id: OperationPolicy(body: .upload, parameterError: dihedral),
            Operations.MatchURL.id: OperationPolicy(body: .json),
            Operations.MatchConversation.id: OperationPolicy(body: .json),
            Operations.CompareHashes.id: OperationPolicy(body: .json),
            Operations.IndexStatus.id: OperationPolicy(body: .none),
            Operations.HashFile.id: OperationPolicy(body: .upload, parameterError: dihedral),
            Operations.HashURL.id: OperationPolicy(body: .json),
        ]
    }()
}
