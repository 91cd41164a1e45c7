public import AsyncHTTPClient
import Foundation
import NIOHTTP1
public import VigilDomain
public import VigilExchange

/// A client of NCMEC's hash-sharing API v2: entries by time window with their `next` pages (see
/// ``NCMECHashSharing`` for the windows, the overlap that keeps late or out-of-order entries, and the
/// checkpoint). Credentials are HTTP Basic (`user:password`).
public struct NCMECClient: ExchangeClient {
    /// NCMEC's environments by python-threatexchange's names (`NCMECEnvironment`).
    public static let environments: [String: String] = [
        "Industry": "https://report.cybertip.org/hashsharing",
        "Industry_Exploitative": "https://report.cybertip.org/exploitative-hashsharing",
        "LawEnforcement": "https://lesp.ncmec.org/csam-hashsharing",
        "NGO": "https://hashsharing.ncmec.org/npo",
        "Exploitative": "https://hashsharing.ncmec.org/exploitative",
        "NGO_Generative_AI": "https://hashsharing.ncmec.org/generative-ai-csam",
        "NGO_Generative_AI_Exploitative": "https://hashsharing.ncmec.org/generative-ai-exploitative",
        "test_Industry": "https://exttest.cybertip.org/hashsharing",
        "test_Industry_Exploitative": "https://exttest.cybertip.org/exploitative-hashsharing",
        "test_LawEnforcement": "https://betalesp.ncmec.org/csam-hashsharing",
        "test_NGO": "https://hashsharing-test.ncmec.org/npo",
        "test_Exploitative": "https://hashsharing-test.ncmec.org/exploitative",
        "test_NGO_Generative_AI": "https://hashsharing-test.ncmec.org/generative-ai-csam",
        "test_NGO_Generative_AI_Exploitative": "https://hashsharing-test.ncmec.org/generative-ai-exploitative",
    ]

    /// Always `ncmec`.
    public var kind: String { NCMECHashSharing.kind }
    /// The protocol's settings.
    public let sharing: NCMECHashSharing
    /// The environment's base URL.
    public let baseURL: String
    let authorization: String
    let transport: ExchangeTransport

    /// Creates a client.
    public init(sharing: NCMECHashSharing, baseURL: String, user: String, password: String, transport: ExchangeTransport) {
        self.sharing = sharing
        self.baseURL = baseURL
        self.authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        self.transport = transport
    }

    /// Fetches the page after `checkpoint`: the next page of the window in progress, or the first
    /// page of the next window.
    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        let now = Int64(transport.clock.now().timeIntervalSince1970.rounded(.down))
        let plan = try sharing.plan(after: checkpoint, now: now)
        guard let request = plan.request else { return sharing.upToDate(plan.cursor) }
        let body = try await transport.send(
            service: "NCMEC", url: request.url(base: baseURL), headers: [("Authorization", authorization), ("Accept", "application/xml")])
        return try sharing.page(body, plan: plan)
    }

    /// Sends a reviewer's verdict on one fingerprint of an entry (see ``ExchangeFeedback/ncmec(memberId:entryId:type:verdict:reasonGuid:)``).
    /// A false positive needs a reason: without `reasonGuid` the type's reasons are fetched and the
    /// only one is used, or the choice is asked for. Returns false for a verdict NCMEC does not take (seen).
    @discardableResult
    public func sendFeedback(memberId: String, entryId: String, type: SignalType, verdict: ExchangeVerdict, reasonGuid: String? = nil)
        async throws(ExchangeError) -> Bool
    {
        var guid = reasonGuid
        if verdict == .falsePositive, guid == nil {
            let reasons = try await feedbackReasons(type: type)
            guard reasons.count == 1, let only = reasons.keys.first else {
                let names = reasons.map { "\($0.value) (\($0.key))" }.sorted().joined(separator: ", ")
                throw .misconfigured("choose the reason for NCMEC's negative feedback: \(names.isEmpty ? "NCMEC lists none" : names)")
            }
            guid = only
        }
        guard let (request, body) = try ExchangeFeedback.ncmec(memberId: memberId, entryId: entryId, type: type, verdict: verdict, reasonGuid: guid)
        else { return false }
        _ = try await transport.send(
            service: "NCMEC", method: .PUT, url: request.url(base: baseURL),
            headers: [("Authorization", authorization), ("Content-Type", "application/xml; charset=utf-8")], body: body)
        return true
    }

    /// The negative-feedback reasons NCMEC offers for a fingerprint type, guid → name.
    public func feedbackReasons(type: SignalType) async throws(ExchangeError) -> [String: String] {
        let path = "/v2/feedback/\(try ExchangeFeedback.ncmecFingerprint(type))/reasons"
        let body = try await transport.send(
            service: "NCMEC", url: ExchangeRequest(path: path).url(base: baseURL),
            headers: [("Authorization", authorization), ("Accept", "application/xml")])
        return try ExchangeFeedback.ncmecReasons(body)
    }
}

/// Makes ``NCMECClient``s (kind `ncmec`).
///
/// Settings: `environment` (python-threatexchange's names: `Industry`, `NGO`, `test_Industry`, ...;
/// required unless `base_url` is given), `start` (Unix seconds of the first window, default 0),
/// `overlap_seconds` (default 3600), `settle_seconds` (default 5), `max_window_entries` (default
/// 400000), `base_url`, `timeout_seconds`, `max_page_bytes`. Credential: `user:password`.
public struct NCMECClientMaker: ExchangeClientMaker {
    let client: HTTPClient
    let clock: any WallClock

    /// Creates a maker whose clients share `client`.
    public init(client: HTTPClient = ExchangeTransport.sharedClient, clock: any WallClock) {
        self.client = client
        self.clock = clock
    }

    /// Always `ncmec`.
    public var kind: String { NCMECHashSharing.kind }

    /// The settings, with a line on each.
    public var settingNames: [String: String] {
        ExchangeSettings.common.merging(
            [
                "environment": "the NCMEC environment: " + NCMECClient.environments.keys.sorted().joined(separator: ", ")
                    + " (required unless base_url is set)",
                "start": "where the first fetch starts, in Unix seconds (default 0)",
                "overlap_seconds": "how far each window reaches back behind the last one, for entries that show up late (default 3600)",
                "settle_seconds": "how far behind now each window ends (default 5)",
                "max_window_entries": "a window estimated to hold more entries is split (default 400000)",
                "negative_feedback_reason":
                    "the guid of the reason sent with false-positive feedback (GET /v2/feedback/{type}/reasons; default: NCMEC's only reason)",
            ], uniquingKeysWith: { $1 })
    }

    /// Makes a client, or says which setting or credential is wrong.
    public func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        let reader = try ExchangeSettings(kind: kind, values: settings, known: settingNames)
        let environmentURL: String?
        if let name = reader.text("environment") {
            guard let url = NCMECClient.environments[name] else {
                throw .misconfigured(
                    "ncmec setting \"environment\" is \"\(name.prefix(40))\": use one of \(NCMECClient.environments.keys.sorted().joined(separator: ", "))"
                )
            }
            environmentURL = url
        } else {
            environmentURL = nil
        }
        guard let defaultURL = environmentURL ?? reader.text("base_url") else {
            throw .misconfigured("ncmec needs the setting \"environment\" (or \"base_url\")")
        }
        let baseURL = try reader.baseURL(default: defaultURL)
        let sharing = NCMECHashSharing(
            start: try reader.integer("start", default: 0, in: 0...(1 << 40)),
            overlap: try reader.integer("overlap_seconds", default: 3600, in: 0...(30 * 86_400)),
            settle: try reader.integer("settle_seconds", default: 5, in: 0...86_400),
            maxWindowEntries: Int(try reader.integer("max_window_entries", default: 400_000, in: 1000...100_000_000)),
            maxPageBytes: try reader.maxPageBytes())
        guard let text = credential?.trimmingCharacters(in: .whitespacesAndNewlines), let colon = text.firstIndex(of: ":"),
            colon != text.startIndex, text.index(after: colon) != text.endIndex
        else {
            throw .misconfigured("ncmec needs a credential user:password (the hash-sharing API's Basic credentials)")
        }
        let transport = ExchangeTransport(client: client, timeout: try reader.timeout(), maxBodyBytes: try reader.maxPageBytes(), clock: clock)
        return NCMECClient(
            sharing: sharing, baseURL: baseURL, user: String(text[..<colon]), password: String(text[text.index(after: colon)...]),
            transport: transport)
    }
}
