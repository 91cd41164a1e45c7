public import Foundation

/// An address the node may connect out to (content to fetch, a webhook to post to): an absolute
/// `http` or `https` URL with a host, without credentials, whitespace or control characters.
///
/// This is the syntax only; the addresses its host resolves to are checked against an
/// ``AddressPolicy`` when the connection is made (names can change what they resolve to).
public struct OutboundURL: Sendable, Hashable, CustomStringConvertible {
    /// The URL as parsed.
    public let url: URL
    /// `http` or `https`.
    public let scheme: String
    /// The host in lower case, without the brackets of an IPv6 literal.
    public let host: String
    /// The port given, or the scheme's (80, 443).
    public let port: Int

    /// The longest URL accepted, in bytes.
    public static let maxLength = 8192

    /// Checks `text`.
    ///
    /// - Throws: ``OutboundURLError`` saying what is wrong.
    public init(_ text: String) throws(OutboundURLError) {
        guard text.utf8.count <= Self.maxLength else { throw .tooLong(Self.maxLength) }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) else {
            throw .malformed
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { throw .malformed }
        guard scheme == "http" || scheme == "https" else { throw .scheme(scheme) }
        guard url.user == nil, url.password == nil, !(Self.authority(of: text)?.contains("@") ?? false) else { throw .credentials }
        guard var host = url.host, !host.isEmpty else { throw .noHost }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let port = url.port { guard (1...65_535).contains(port) else { throw .malformed } }
        self.url = url
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    /// Where connections go, for per-origin limits: `scheme://host:port`.
    public var origin: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// The URL's text.
    public var description: String { url.absoluteString }

    /// The authority part of an absolute URL's text (between `//` and the next `/`, `?` or `#`).
    private static func authority(of text: String) -> Substring? {
        guard let start = text.range(of: "//") else { return nil }
        let rest = text[start.upperBound...]
        return rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    }
}

/// Why a URL cannot be connected out to.
public enum OutboundURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a URL (or one with whitespace, control characters or a bad port).
    case malformed
    /// A scheme other than http and https (`file`, `gopher`, `ftp`…).
    case scheme(String)
    /// A user name or password in the URL.
    case credentials
    /// No host.
    case noHost
    /// Longer than the limit (bytes).
    case tooLong(Int)

    /// What is wrong and what is accepted.
    public var description: String {
        switch self {
        case .malformed: "the URL is not an absolute http:// or https:// URL"
        case .scheme(let scheme): "\(scheme): URLs are refused: only http:// and https:// are fetched"
        case .credentials: "URLs with a user name or password are refused"
        case .noHost: "the URL has no host"
        case .tooLong(let limit): "the URL is over \(limit) bytes"
        }
    }
}

extension AddressPolicy {
    /// Why `url` is refused when its host is an address literal that this policy refuses
    /// (`http://169.254.169.254/…`), or nil: what can be said of a webhook when it is set, before
    /// any name is resolved. Names are checked when a connection is made.
    public func refusal(ofLiteralHostIn url: OutboundURL) -> String? {
        IPAddress(url.host).flatMap { refusal(of: $0) }
    }

    /// Why the webhook address `text` is refused when it is set, or nil: the one check every route that
    /// sets a webhook (a list's action policy, an organisation's webhook) makes of its host. Text that is not
    /// an outbound URL at all is nil here: its form is checked with the rest of the webhook
    /// (``ActionPolicy/validate()``, the organisation webhook's own check), which says what is wrong with it.
    public func refusal(ofWebhook text: String) -> String? {
        guard let url = try? OutboundURL(text) else { return nil }
        return refusal(ofLiteralHostIn: url)
    }
}
