public import Foundation
public import Hummingbird
public import VigilDomain
import VigilStore

/// The per-request context: Hummingbird's core storage plus the authenticated principal.
public struct VigilRequestContext: RequestContext {
    /// Hummingbird's storage.
    public var coreContext: CoreRequestContextStorage
    /// The caller, once the authentication middleware has verified its key.
    public var principal: Principal?
    /// The address the connection came from, as text (nil when unknown).
    public var remoteAddress: String?

    /// Creates an empty context for a request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Request bodies decoded as JSON with snake_case keys.
    public var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Responses encoded as JSON with snake_case keys and sorted keys.
    public var responseEncoder: JSONEncoder { Self.makeResponseEncoder() }

    /// The encoder of every JSON answer (``responseEncoder``).
    static func makeResponseEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
