public import AsyncHTTPClient
import Foundation
import NIOHTTP1
public import VigilDomain
public import VigilExchange

/// A client of StopNCII's API: `FetchHashes` pages (see ``StopNCIIHashFetching``). Every request
/// carries the Azure API Management subscription key (`Ocp-Apim-Subscription-Key`) and the
/// endpoint's function key (`x-functions-key`).
public struct StopNCIIClient: ExchangeClient {
    /// StopNCII's address.
    public static let defaultBaseURL = "https://api.stopncii.org/v1"

    /// Always `stopncii`.
    public var kind: String { StopNCIIHashFetching.kind }
    /// The protocol's settings.
    public let fetching: StopNCIIHashFetching
    /// The base URL.
    public let baseURL: String
    let fetchFunctionKey: String
    let subscriptionKey: String
    let feedbackFunctionKey: String?
    let transport: ExchangeTransport

    /// Creates a client.
    public init(
        fetching: StopNCIIHashFetching, baseURL: String = Self.defaultBaseURL, fetchFunctionKey: String, subscriptionKey: String,
        feedbackFunctionKey: String? = nil, transport: ExchangeTransport
    ) {
        self.feedbackFunctionKey = feedbackFunctionKey
        self.fetching = fetching
        self.baseURL = baseURL
        self.fetchFunctionKey = fetchFunctionKey
        self.subscriptionKey = subscriptionKey
        self.transport = transport
    }

    /// Fetches the page of hash records after `checkpoint`.
    public func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        let request = try fetching.request(after: checkpoint)
        let body = try await transport.send(
            service: "StopNCII", url: request.url(base: baseURL),
            headers: [("x-functions-key", fetchFunctionKey), ("Ocp-Apim-Subscription-Key", subscriptionKey), ("Accept", "application/json")])
        return try fetching.page(body, after: checkpoint)
    }

    /// Sends a reviewer's verdict on a hash through `SubmitFeedback` (see ``ExchangeFeedback/stopNCII(hash:verdict:)``);
    /// needs the SubmitFeedback function key (the credential's third part).
    public func sendFeedback(hash: String, verdict: ExchangeVerdict) async throws(ExchangeError) {
        guard let feedbackFunctionKey else {
            throw .misconfigured("StopNCII feedback needs the SubmitFeedback function key: credential fetch_key,subscription_key,feedback_key")
        }
        let (request, body) = ExchangeFeedback.stopNCII(hash: hash, verdict: verdict)
        _ = try await transport.send(
            service: "StopNCII", method: .POST, url: request.url(base: baseURL),
            headers: [
                ("x-functions-key", feedbackFunctionKey), ("Ocp-Apim-Subscription-Key", subscriptionKey), ("Content-Type", "application/json"),
            ], body: body)
    }
}

/// Makes ``StopNCIIClient``s (kind `stopncii`).
///
/// Settings: `page_size` (1-1000, default 800), `start` (the first `startTimestamp`, default 10),
/// `base_url`, `timeout_seconds`, `max_page_bytes`. Credential: `fetch_function_key,subscription_key`
/// (python-threatexchange's `TX_STOPNCII_KEYS` order; its third part there is a base URL, here the
/// `base_url` setting), optionally `,feedback_function_key` for `SubmitFeedback`.
public struct StopNCIIClientMaker: ExchangeClientMaker {
    let client: HTTPClient
    let clock: any WallClock

    /// Creates a maker whose clients share `client`.
    public init(client: HTTPClient = ExchangeTransport.sharedClient, clock: any WallClock) {
        self.client = client
        self.clock = clock
    }

    /// Always `stopncii`.
    public var kind: String { StopNCIIHashFetching.kind }

    /// The settings, with a line on each.
    public var settingNames: [String: String] {
        ExchangeSettings.common.merging(
            [
                "page_size": "hash records per page, 1-1000 (default 800)",
                "start": "the first fetch's startTimestamp, in Unix seconds (default 10)",
            ], uniquingKeysWith: { $1 })
    }

    /// Makes a client, or says which setting or credential is wrong.
    public func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        let reader = try ExchangeSettings(kind: kind, values: settings, known: settingNames)
        let maxPageBytes = try reader.maxPageBytes()
        let fetching = StopNCIIHashFetching(
            pageSize: Int(try reader.integer("page_size", default: 800, in: 1...1000)),
            start: try reader.integer("start", default: StopNCIIHashFetching.defaultStart, in: 0...(1 << 40)),
            maxRecordBytes: min(1 << 20, maxPageBytes))
        let keys = (credential ?? "").split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard keys.count == 2 || keys.count == 3, keys.allSatisfy({ !$0.isEmpty }) else {
            throw .misconfigured("stopncii needs a credential fetch_function_key,subscription_key[,feedback_function_key]")
        }
        let transport = ExchangeTransport(client: client, timeout: try reader.timeout(), maxBodyBytes: try reader.maxPageBytes(), clock: clock)
        return StopNCIIClient(
            fetching: fetching, baseURL: try reader.baseURL(default: StopNCIIClient.defaultBaseURL), fetchFunctionKey: keys[0],
            subscriptionKey: keys[1], feedbackFunctionKey: keys.count == 3 ? keys[2] : nil, transport: transport)
    }
}
