/// The kinds of exchange a node can fetch: one ``ExchangeClientMaker`` per kind.
///
/// The node builds one registry at start (the folder and Vigil-to-Vigil kinds, and the service
/// clients' makers where they are built in) and makes every exchange's client through it, so an
/// exchange of a kind the node does not know is refused when it is created, with the kinds it knows.
public struct ExchangeRegistry: Sendable {
    /// The makers by kind.
    public private(set) var makers: [String: any ExchangeClientMaker]

    /// A registry of `makers` (a later maker of the same kind replaces an earlier one).
    public init(_ makers: [any ExchangeClientMaker] = []) {
        self.makers = [:]
        for maker in makers { self.makers[maker.kind] = maker }
    }

    /// Adds (or replaces) the maker of its kind.
    public mutating func register(_ maker: any ExchangeClientMaker) {
        makers[maker.kind] = maker
    }

    /// The kinds known, sorted.
    public var kinds: [String] { makers.keys.sorted() }

    /// The maker of `kind`, or `misconfigured` naming the kinds known.
    public func maker(for kind: String) throws(ExchangeError) -> any ExchangeClientMaker {
        guard let maker = makers[kind] else {
            throw .misconfigured("no exchange kind \"\(kind)\"; this node knows \(kinds.joined(separator: ", "))")
        }
        return maker
    }

    /// Checks `settings` against the kind's setting names (an unknown name is a typo to report),
    /// then makes the client.
    public func makeClient(kind: String, settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        let maker = try maker(for: kind)
        for name in settings.keys.sorted() where maker.settingNames[name] == nil {
            throw .misconfigured(
                "\(kind) exchanges have no setting \"\(name)\"; their settings are \(maker.settingNames.keys.sorted().joined(separator: ", "))")
        }
        return try maker.makeClient(settings: settings, credential: credential)
    }
}
