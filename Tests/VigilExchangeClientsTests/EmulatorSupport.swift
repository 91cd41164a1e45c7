import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VigilDomain
import VigilExchange
import VigilExchangeClients
import VigilTestSupport

/// A local HTTP server for one test: a Hummingbird application on a free loopback port, stopped by
/// cancelling its task.
struct EmulatorServer {
    let base: String
    let task: Task<Void, any Error>

    /// Starts `router` and returns once it listens.
    static func start(_ router: Router<BasicRequestContext>) async throws -> EmulatorServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return EmulatorServer(base: "http://127.0.0.1:\(port)", task: task)
    }

    func stop() { task.cancel() }
}

/// Failures an emulator serves instead of its next answers, in order.
final class Faults: Sendable {
    enum Fault: Sendable {
        /// An answer with this status, headers and body.
        case status(Int, [String: String], String)
        /// A 200 answer with this body.
        case body(String)
        /// A 200 answer streamed (no Content-Length) of this many bytes.
        case streamed(Int)
        /// A 200 answer whose body comes one byte every `interval`, for `count` bytes.
        case drip(count: Int, interval: Duration)
    }

    private let queue = Mutex<[Fault]>([])
    private let served = Mutex<[String]>([])

    /// Scripts the next answers.
    func add(_ faults: Fault...) { queue.withLock { $0 += faults } }

    /// The request's answer if a fault is scripted for it; records the request either way.
    func answer(_ request: Request) -> Response? {
        served.withLock { $0.append(request.uri.description) }
        guard let fault = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return nil }
        switch fault {
        case .status(let code, let headers, let body):
            var fields = HTTPFields()
            for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
            return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
        case .body(let body):
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: body)))
        case .streamed(let count):
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    var left = count
                    while left > 0 {
                        let chunk = min(left, 4096)
                        try await writer.write(ByteBuffer(repeating: UInt8(ascii: " "), count: chunk))
                        left -= chunk
                    }
                    try await writer.finish(nil)
                })
        case .drip(let count, let interval):
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    for _ in 0..<count {
                        try await writer.write(ByteBuffer(string: " "))
                        try await Task.sleep(for: interval)
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// The URIs (path and query) of the requests seen so far.
    var requests: [String] { served.withLock { $0 } }
}

/// A server that accepts connections and never answers (nor reads): for deadline tests.
struct SilentServer {
    let channel: any Channel
    let port: Int

    static func start() async throws -> SilentServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentServer(channel: channel, port: channel.localAddress?.port ?? 0)
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func stop() { channel.close(promise: nil) }
}

/// What a list holds after applying pages the way the store does: an item's values are replaced by
/// the values a later page sends under the same upstream id, a tombstone removes the item, a
/// per-value delete removes the value.
struct ListModel: Equatable {
    /// Values by upstream item id (or by value, for records without one).
    var items: [String: Set<String>] = [:]
    /// How many times each item was sent (added or replaced).
    var sent: [String: Int] = [:]
    var issues: [ImportIssue] = []
    var ignored: [String: Int] = [:]

    static func == (left: ListModel, right: ListModel) -> Bool { left.items == right.items }

    mutating func apply(_ batch: ImportBatch) {
        var replaced: Set<String> = []
        for deletion in batch.itemDeletions { items[deletion.sourceItemId] = nil }
        for record in batch.records {
            let value = "\(record.type.rawValue):\(record.value)"
            let key = record.provenance.sourceItemId ?? value
            switch record.action {
            case .add:
                if replaced.insert(key).inserted {
                    items[key] = []
                    sent[key, default: 0] += 1
                }
                items[key, default: []].insert(value)
            case .delete:
                items[key]?.remove(value)
                if items[key]?.isEmpty == true { items[key] = nil }
            }
        }
        issues += batch.issues
        ignored.merge(batch.ignored, uniquingKeysWith: +)
    }

    /// All values held.
    var values: Set<String> { items.values.reduce(into: []) { $0.formUnion($1) } }
}

/// Fetches pages from `client` until it is up to date (or `maxPages` were fetched), applying each to
/// `model`; returns the last checkpoint.
@discardableResult
func drain(
    _ client: any ExchangeClient, from checkpoint: ExchangeCheckpoint?, into model: inout ListModel, maxPages: Int = 1000
) async throws(ExchangeError) -> (checkpoint: ExchangeCheckpoint?, pages: Int, upToDate: Bool) {
    var checkpoint = checkpoint
    for pages in 1...maxPages {
        let page = try await client.fetchPage(after: checkpoint)
        model.apply(page.batch)
        checkpoint = page.checkpoint
        if !page.hasMore { return (checkpoint, pages, true) }
    }
    return (checkpoint, maxPages, false)
}

/// Seeded generated hashes.
struct HashSource {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func pdq() -> String { random.hex(bytes: 32) }
    mutating func md5() -> String { random.hex(bytes: 16) }
}

/// The query parameters of a request.
func queryItems(_ request: Request) -> [String: String] {
    var items: [String: String] = [:]
    for (name, value) in request.uri.queryParameters { items[String(name)] = String(value) }
    return items
}

/// An ExchangeError's case name, for comparisons that ignore the message.
func caseName(_ error: ExchangeError) -> String {
    switch error {
    case .unauthorized: "unauthorized"
    case .rateLimited: "rateLimited"
    case .malformed: "malformed"
    case .unavailable: "unavailable"
    case .misconfigured: "misconfigured"
    }
}

/// The error `body` throws, or nil (an error that is not an ExchangeError fails the test).
func exchangeError(_ body: () async throws -> Void) async -> ExchangeError? {
    do {
        try await body()
        return nil
    } catch let error as ExchangeError {
        return error
    } catch {
        Issue.record("not an ExchangeError: \(error)")
        return nil
    }
}
