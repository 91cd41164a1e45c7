public import AsyncHTTPClient
import Foundation
public import VigilDomain
public import VigilExchange

/// Reads an exchange's settings (plain strings) for a maker: each rule once, each error naming the
/// setting and what it accepts.
struct ExchangeSettings {
    let kind: String
    let values: [String: String]
    let known: [String: String]

    /// Checks that every setting given is one this kind understands.
    init(kind: String, values: [String: String], known: [String: String]) throws(ExchangeError) {
        self.kind = kind
        self.values = values
        self.known = known
        if let unknown = values.keys.sorted().first(where: { known[$0] == nil }) {
            throw .misconfigured("\(kind) has no setting \"\(unknown.prefix(60))\"; its settings are \(known.keys.sorted().joined(separator: ", "))")
        }
    }

    /// A setting's text, trimmed; nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// A required setting.
    func required(_ name: String) throws(ExchangeError) -> String {
        guard let value = text(name) else { throw .misconfigured("\(kind) needs the setting \"\(name)\": \(known[name] ?? "")") }
        return value
    }

    /// A whole number within `range`, or `defaultValue` when absent.
    func integer(_ name: String, default defaultValue: Int64, in range: ClosedRange<Int64>) throws(ExchangeError) -> Int64 {
        guard let text = text(name) else { return defaultValue }
        guard let value = Int64(text), range.contains(value) else {
            throw .misconfigured(
                "\(kind) setting \"\(name)\" is \"\(text.prefix(40))\": give a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// An http(s) base URL without query, fragment or credentials (a trailing `/` is dropped), or
    /// `defaultValue` when absent.
    func baseURL(_ name: String = "base_url", default defaultValue: String) throws(ExchangeError) -> String {
        guard let text = text(name) else { return defaultValue }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host?.isEmpty == false, url.user == nil, url.password == nil, url.query == nil, url.fragment == nil
        else {
            throw .misconfigured("\(kind) setting \"\(name)\" must be an http:// or https:// URL without credentials or query")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// The request deadline (`timeout_seconds`, default 60 s, 1 ms to 1 hour given in seconds with up to 3 decimals).
    func timeout() throws(ExchangeError) -> Duration {
        guard let text = text("timeout_seconds") else { return .seconds(60) }
        guard let seconds = Double(text), seconds >= 0.001, seconds <= 3600 else {
            throw .misconfigured("\(kind) setting \"timeout_seconds\" is \"\(text.prefix(40))\": give seconds from 0.001 to 3600")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The settings every client has, with their descriptions.
    static let common: [String: String] = [
        "base_url": "the service's base URL (to reach a test environment or an emulator)",
        "timeout_seconds": "the deadline for one request, body included, in seconds (default 60)",
        "max_page_bytes": "the largest page accepted, in bytes (default 33554432); a larger one is refused as malformed",
    ]

    /// `max_page_bytes`.
    func maxPageBytes() throws(ExchangeError) -> Int {
        Int(try integer("max_page_bytes", default: 32 << 20, in: 1024...(1 << 30)))
    }
}

/// The makers of this module's clients, one per kind.
public enum ExchangeServiceMakers {
    /// The ThreatExchange, NCMEC and StopNCII makers, sharing `client`.
    public static func all(client: HTTPClient = ExchangeTransport.sharedClient, clock: any WallClock) -> [any ExchangeClientMaker] {
        [
            ThreatExchangeClientMaker(client: client, clock: clock), NCMECClientMaker(client: client, clock: clock),
            StopNCIIClientMaker(client: client, clock: clock),
        ]
    }
}
