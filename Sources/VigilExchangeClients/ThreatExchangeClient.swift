public import AsyncHTTPClient
import Foundation
import NIOHTTP1
public import VigilDomain
public import VigilExchange

/// A client of Meta ThreatExchange's Graph API: the `threat_updates` of one privacy group (see
/// ``ThreatExchangeUpdates`` for the protocol and the checkpoint). The app access token
/// (`<app id>|<secret>`) is sent as the `access_token` query parameter, as the Graph API documents,
/// and never stored in a checkpoint or shown in an error.
public struct ThreatExchangeClient: ExchangeClient {
    /// The Graph API's address (python-threatexchange's version).
    public static let defaultBaseURL = "https://graph.facebook.com/v21.0"

    /// Always `fb_threatexchange`.
    public var kind: String { ThreatExchangeUpdates.kind }
    /// The protocol (privacy group, page size).
    public let updates: ThreatExchangeUpdates
    /// The base URL.
    public let baseURL: String
    let token: String
    let transport: ExchangeTransport

    /// Creates a client.
    public init(updates: ThreatExchangeUpdates, baseURL: String = Self.defaultBaseURL, token: String, transport: ExchangeTransport) {
        self.updates = updates
        self.baseURL = baseURL
        self.token = token
        self.transport = transport
    }

    /// Fetches the page of updates after `checkpoint`.
    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        var request = try updates.request(after: checkpoint)
        request.query.append(.init("access_token", token))
        let answer = try await transport.exchange(
            service: "ThreatExchange", url: request.url(base: baseURL), headers: [("Accept", "application/json")])
        if !(200..<300).contains(answer.status), let error = ThreatExchangeUpdates.graphError(answer.body) { throw error }
        try transport.check(answer, service: "ThreatExchange")
        return try updates.page(answer.body, after: checkpoint)
    }

    /// Sends a reviewer's verdict as a reaction on a descriptor (see ``ExchangeFeedback/threatExchange(descriptorId:verdict:)``;
    /// the descriptor ids are the records' `decisionReference`).
    public func sendFeedback(descriptorId: String, verdict: ExchangeVerdict) async throws(ExchangeError) {
        var (request, body) = try ExchangeFeedback.threatExchange(descriptorId: descriptorId, verdict: verdict)
        request.query.append(.init("access_token", token))
        let answer = try await transport.exchange(
            service: "ThreatExchange", method: .POST, url: request.url(base: baseURL),
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body: body)
        if !(200..<300).contains(answer.status), let error = ThreatExchangeUpdates.graphError(answer.body) { throw error }
        try transport.check(answer, service: "ThreatExchange")
    }

    /// Whether `token` looks like an app access token (python-threatexchange's check: 8 or more
    /// digits, `|` or `%7C`, then 20 or more letters, digits, `_` or `-`).
    public static func isAppToken(_ token: String) -> Bool {
        let parts: [Substring]
        if token.contains("|") {
            parts = token.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        } else if let range = token.range(of: "%7C") {
            parts = [token[..<range.lowerBound], token[range.upperBound...]]
        } else {
            return false
        }
        guard parts.count == 2 else { return false }
        let appId = parts[0]
        let secret = parts[1]
        return appId.count >= 8 && appId.allSatisfy(\.isASCII) && appId.allSatisfy(\.isNumber) && secret.count >= 20
            && secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}

/// Makes ``ThreatExchangeClient``s (kind `fb_threatexchange`).
///
/// Settings: `privacy_group` (required: the ThreatPrivacyGroup id, digits; one group per exchange,
/// as HMA's collaboration config has: a deletion in one group must not remove another group's
/// item), `page_size` (1-1000, default 100), `base_url`, `timeout_seconds`, `max_page_bytes`.
/// Credential: the app access token `<app id>|<app secret>`.
public struct ThreatExchangeClientMaker: ExchangeClientMaker {
    let client: HTTPClient
    let clock: any WallClock

    /// Creates a maker whose clients share `client`.
    public init(client: HTTPClient = ExchangeTransport.sharedClient, clock: any WallClock) {
        self.client = client
        self.clock = clock
    }

    /// Always `fb_threatexchange`.
    public var kind: String { ThreatExchangeUpdates.kind }

    /// The settings, with a line on each.
    public var settingNames: [String: String] {
        ExchangeSettings.common.merging(
            [
                "privacy_group": "the ThreatExchange privacy group id (digits); required",
                "page_size": "updates per page, 1-1000 (default 100)",
            ], uniquingKeysWith: { $1 })
    }

    /// Makes a client, or says which setting or credential is wrong.
    public func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        let reader = try ExchangeSettings(kind: kind, values: settings, known: settingNames)
        let group = try reader.required("privacy_group")
        guard group.utf8.count <= 30, group.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .misconfigured("fb_threatexchange setting \"privacy_group\" must be the group's numeric id")
        }
        let pageSize = try reader.integer("page_size", default: 100, in: 1...1000)
        let baseURL = try reader.baseURL(default: ThreatExchangeClient.defaultBaseURL)
        guard let token = credential?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw .misconfigured("fb_threatexchange needs a credential: the app access token <app id>|<app secret>")
        }
        guard ThreatExchangeClient.isAppToken(token) else {
            throw .misconfigured(
                "the fb_threatexchange credential is not an app access token (<app id>|<app secret>: 8+ digits, |, 20+ letters or digits)")
        }
        let transport = ExchangeTransport(client: client, timeout: try reader.timeout(), maxBodyBytes: try reader.maxPageBytes(), clock: clock)
        return ThreatExchangeClient(
            updates: ThreatExchangeUpdates(privacyGroup: group, pageSize: Int(pageSize)), baseURL: baseURL, token: token, transport: transport)
    }
}
