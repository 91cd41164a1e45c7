import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// A resolver that answers from a table: test names point at any address without DNS.
struct TableResolver: HostResolver {
    let table: [String: [String]]

    func addresses(of host: String) async throws -> [IPAddress] {
        guard let texts = table[host] else { throw HostResolutionError(host: host, reason: "not in the test's table") }
        return texts.compactMap { IPAddress($0) }
    }

    /// The names the tests use: each points at a kind of address a fetch must not reach unless allowed.
    static let inside = TableResolver(table: [
        "loop.test": ["127.0.0.1"], "other.test": ["127.0.0.1"], "v6loop.test": ["::1"], "mapped.test": ["::ffff:127.0.0.1"],
        "private.test": ["10.0.0.7"], "shared.test": ["100.64.1.1"], "ula.test": ["fd12::7"], "linklocal.test": ["169.254.10.10"],
        "v6linklocal.test": ["fe80::1"], "metadata.test": ["169.254.169.254"], "v6metadata.test": ["fd00:ec2::254"],
        "multicast.test": ["224.0.0.251"], "zero.test": ["0.0.0.0"], "mixed.test": ["93.184.216.34", "127.0.0.1"],
    ])
}

/// A content origin on loopback: an image, a video, HTML, a redirect chain, a redirect anywhere,
/// a 404, a large body and a slow one (a byte every 200 ms).
struct Origin {
    let port: Int
    let server: Task<Void, any Error>
    /// One element each time the slow route starts answering.
    let slowStarted: AsyncStream<Void>
    static let video: [UInt8] = {
        var generator = SeededBytes(seed: 12)
        return (0..<4096).map { _ in generator.next() }
    }()

    static func start() async throws -> Origin {
        let image = try TestPaths.fixtureBytes("reference/images/pdq-data/bridge-mods/aaa-orig.jpg")
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let router = Router()
        router.get("img.jpg") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
        router.get("untyped") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: image))) }
        router.get("clip.mp4") { _, _ in
            Response(status: .ok, headers: [.contentType: "video/mp4"], body: .init(byteBuffer: ByteBuffer(bytes: video)))
        }
        router.get("page") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<p>hi</p>")))
        }
        router.get("missing") { _, _ in Response(status: .notFound) }
        router.get("big") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(repeating: 7, count: 3 << 20)))
        }
        router.get("hop/:n") { _, context in
            let n = Int(context.parameters.get("n") ?? "0") ?? 0
            return Response(status: .found, headers: [.location: n > 1 ? "/hop/\(n - 1)" : "/img.jpg"])
        }
        router.get("to") { request, _ in
            Response(status: .temporaryRedirect, headers: [.location: request.uri.queryParameters.get("url") ?? "/img.jpg"])
        }
        router.get("slow") { _, _ in
            startedContinuation.yield()
            return Response(
                status: .ok, headers: [.contentType: "image/jpeg"],
                body: ResponseBody { writer in
                    for _ in 0..<100 {
                        try await writer.write(ByteBuffer(bytes: [1]))
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    try await writer.finish(nil)
                })
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) })
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return Origin(port: port, server: server, slowStarted: started)
    }
}

/// Seeded pseudo-random bytes (SplitMix64).
struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt8 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}

@Suite("Fetching and webhooks reach only allowed addresses", .serialized)
struct OutboundSafetyTests {
    static func node(allowPrivate: Bool, timeout: Duration = .seconds(10), maxBytes: Int = 2 << 20) async throws -> TestNode {
        var settings = TestNode.defaultSettings
        settings.urlFetch = URLFetchPolicy(
            allowedHosts: ["*.test", "127.0.0.1", "169.254.169.254", "::ffff:169.254.169.254", "0.0.0.0"], maxBytes: maxBytes, timeout: timeout,
            allowPrivate: allowPrivate)
        settings.hostResolver = TableResolver.inside
        return try await TestNode.make(settings: settings)
    }

    /// Names on the allow-list that resolve inside are refused, with the address and the setting named.
    @Test func allowedNamesResolvingInsideAreRefused() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let node = try await Self.node(allowPrivate: false)
        let port = origin.port
        try await node.application.test(.router) { client in
            let cases: [(String, String)] = [
                ("loop.test", "loop.test resolves to 127.0.0.1, a loopback address"), ("v6loop.test", "::1, a loopback address"),
                ("mapped.test", "a loopback address"), ("private.test", "10.0.0.7, a private address"),
                ("shared.test", "100.64.1.1, a private address"), ("ula.test", "fd12::7, a private address"),
                ("linklocal.test", "169.254.10.10, a link-local address"), ("v6linklocal.test", "fe80::1, a link-local address"),
                ("metadata.test", "169.254.169.254, a cloud metadata address"), ("v6metadata.test", "fd00:ec2::254, a cloud metadata"),
                ("multicast.test", "multicast"), ("zero.test", "unspecified"), ("mixed.test", "127.0.0.1, a loopback address"),
                ("127.0.0.1", "127.0.0.1 is a loopback address"),
            ]
            for (host, words) in cases {
                try await client.execute(
                    uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": "http://\(host):\(port)/img.jpg"])
                ) {
                    #expect($0.status == .forbidden, "\(host)")
                    #expect($0.errorCode == "address_not_allowed", "\(host)")
                    let message = ($0.json["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains(words), "\(host): \(message)")
                }
            }
            // HMA's route: 400 with HMA's words, then the problem.
            try await client.execute(uri: "/h/hash?url=http://metadata.test/latest/meta-data/", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .badRequest)
                let message = $0.json["message"] as? String ?? ""
                #expect(message.hasPrefix("Invalid or unsafe URL provided: "), "\(message)")
                #expect(message.contains("169.254.169.254"))
            }
        }
    }

    /// With `fetch.allow-private` the loopback origin is reached, through the pinned address (the
    /// test's names exist only in its resolver); metadata, multicast and unspecified stay refused.
    @Test func allowPrivateOpensLoopbackButNeverMetadata() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let node = try await Self.node(allowPrivate: true)
        let port = origin.port
        try await node.application.test(.router) { client in
            for host in ["loop.test", "mapped.test", "127.0.0.1"] {
                try await client.execute(
                    uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": "http://\(host):\(port)/img.jpg"])
                ) {
                    #expect($0.status == .ok, "\(host)")
                    #expect($0.json["pdq"] as? String == bridgeHash, "\(host)")
                }
            }
            for host in ["metadata.test", "v6metadata.test", "multicast.test", "zero.test", "169.254.169.254", "[::ffff:169.254.169.254]"] {
                try await client.execute(
                    uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": "http://\(host):\(port)/img.jpg"])
                ) {
                    #expect($0.status == .forbidden, "\(host)")
                    #expect($0.errorCode == "address_not_allowed", "\(host)")
                }
            }
        }
    }

    /// Redirects are followed here, each hop checked again: a chain within the limit arrives; more
    /// hops, and hops to metadata, to a name off the allow-list, to `file:`, `gopher:` or a URL with
    /// credentials, are refused with the hop named.
    @Test func redirectsAreFollowedAndEachHopChecked() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let node = try await Self.node(allowPrivate: true)
        let base = "http://loop.test:\(origin.port)"
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": base + "/hop/5"])) {
                #expect($0.status == .ok)
                #expect($0.json["pdq"] as? String == bridgeHash)
            }
            let refused: [(String, HTTPResponse.Status, String, String)] = [
                (base + "/hop/6", .badGateway, "fetch_failed", "more than 5 redirects"),
                (base + "/to?url=http://metadata.test:\(origin.port)/img.jpg", .forbidden, "address_not_allowed", "169.254.169.254"),
                (base + "/to?url=http://169.254.169.254/latest/meta-data/", .forbidden, "address_not_allowed", "cloud metadata"),
                (base + "/to?url=http://0.0.0.0:\(origin.port)/img.jpg", .forbidden, "address_not_allowed", "unspecified"),
                (base + "/to?url=http://elsewhere.example:\(origin.port)/img.jpg", .forbidden, "host_not_allowed", "elsewhere.example"),
                (base + "/to?url=file:///etc/passwd", .badRequest, "invalid_url", "file: URLs are refused"),
                (base + "/to?url=gopher://loop.test:\(origin.port)/_x", .badRequest, "invalid_url", "gopher: URLs are refused"),
                (base + "/to?url=http://u:p@loop.test:\(origin.port)/img.jpg", .badRequest, "invalid_url", "user name or password"),
            ]
            for (url, status, code, words) in refused {
                try await client.execute(uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": url])) {
                    #expect($0.status == status, "\(url)")
                    #expect($0.errorCode == code, "\(url)")
                    let message = ($0.json["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains(words), "\(url): \(message)")
                    if url.contains("/to?") { #expect(message.contains("after a redirect to"), "\(message)") }
                }
            }
            // The first URL's own refusals.
            let first: [(String, String)] = [
                ("file:///etc/passwd", "file: URLs are refused"), ("gopher://loop.test:70/_x", "gopher: URLs are refused"),
                ("http://user:pw@loop.test:\(origin.port)/img.jpg", "user name or password"),
            ]
            for (url, words) in first {
                try await client.execute(uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": url])) {
                    #expect($0.status == .badRequest, "\(url)")
                    #expect($0.errorCode == "invalid_url", "\(url)")
                    #expect((($0.json["error"] as? [String: Any])?["message"] as? String ?? "").contains(words), "\(url)")
                }
            }
        }
    }

    /// HMA's `url=`: the served Content-Type chooses the signals (video → video_md5), redirects are
    /// followed, failures are 400 `Failed to fetch URL`, a body over the limit 413.
    @Test func hmaURLFormsReadTheContentTypeAndAnswerAsHMA() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let node = try await Self.node(allowPrivate: true)
        let base = "http://loop.test:\(origin.port)"
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/h/hash?url=\(base)/img.jpg", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .ok)
                #expect($0.json["pdq"] as? String == bridgeHash)
            }
            // The origin's "video" is random bytes: its vpdq cannot be computed (415), so the test
            // asks for the digest signal only; the content type still chose the video signals.
            try await client.execute(uri: "/h/hash?url=\(base)/clip.mp4", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/h/hash?url=\(base)/clip.mp4&types=video_md5", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .ok)
                #expect($0.json["video_md5"] as? String == Insecure.MD5.hash(data: Origin.video).map { String(format: "%02x", $0) }.joined())
                #expect($0.json["pdq"] == nil)
            }
            try await client.execute(uri: "/h/hash?url=\(base)/hop/3", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .ok)
                #expect($0.json["pdq"] as? String == bridgeHash)
            }
            // A type the URL does not say: given by content_type.
            try await client.execute(uri: "/h/hash?url=\(base)/untyped&content_type=photo", method: .get, headers: node.headers(.hash)) {
                #expect($0.status == .ok)
            }
            let failures: [(String, HTTPResponse.Status, String)] = [
                ("\(base)/page", .badRequest, "unsupported url ContentType: 'text/html', if you know the expected type"),
                ("\(base)/untyped", .badRequest, "unsupported url ContentType: ''"),
                ("\(base)/missing", .badRequest, "Failed to fetch URL: the server answered HTTP 404"),
                ("http://127.0.0.1:9/closed", .badRequest, "Failed to fetch URL: could not connect to 127.0.0.1:9"),
                ("http://unknown.test/x", .badRequest, "Failed to fetch URL: unknown.test does not resolve"),
                ("\(base)/big", .contentTooLarge, "Content too large"),
                ("ftp://loop.test/x", .badRequest, "Invalid or unsafe URL provided: ftp: URLs are refused"),
            ]
            for (url, status, words) in failures {
                try await client.execute(uri: "/h/hash?url=\(url)", method: .get, headers: node.headers(.hash)) {
                    #expect($0.status == status, "\(url)")
                    let message = $0.json["message"] as? String ?? ""
                    #expect(message.hasPrefix(words), "\(url): \(message)")
                }
            }
        }
    }

    /// The default resolver is the system's: `localhost` (from the hosts file) is found, and a
    /// fetch through it reaches the loopback origin only with `fetch.allow-private`.
    @Test func theSystemResolverIsCheckedLikeAnyOther() async throws {
        let addresses = try await SystemHostResolver().addresses(of: "localhost")
        #expect(!addresses.isEmpty && addresses.allSatisfy { $0.scope == .loopback }, "\(addresses)")
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let url = "http://localhost:\(origin.port)/img.jpg"
        let strict = URLFetcher(policy: URLFetchPolicy(allowedHosts: ["localhost"]))
        await #expect(throws: OutboundError.self) { _ = try await strict.content(at: url) }
        do {
            _ = try await strict.content(at: url)
        } catch let error as OutboundError {
            #expect(error.description.contains("localhost resolves to") && error.description.contains("fetch.allow-private"), "\(error)")
        }
        // Where localhost is ::1 first and the origin listens on 127.0.0.1 only, the connection is
        // refused: the test accepts either a body or that refusal, never another address.
        let open = URLFetcher(policy: URLFetchPolicy(allowedHosts: ["localhost"], allowPrivate: true))
        do {
            let content = try await open.content(at: url)
            #expect(content.contentType == "image/jpeg")
        } catch let error as OutboundError {
            #expect(error.description.contains("could not connect to localhost"), "\(error)")
        }
    }

    /// A name with several addresses is reached at the first that accepts a connection: the
    /// origin listens on 127.0.0.1 only, and the name's first address, 127.0.0.2, refuses. Before,
    /// only the first address was tried and the fetch failed. Every address is still checked: one
    /// refused address among them refuses the name, whichever would have answered.
    @Test func aHostWhoseFirstAddressRefusesIsReachedAtTheNext() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let resolver = TableResolver(table: [
            "two.test": ["127.0.0.2", "127.0.0.1"], "bad-second.test": ["127.0.0.2", "169.254.169.254"],
        ])
        let fetcher = URLFetcher(policy: URLFetchPolicy(allowedHosts: ["two.test", "bad-second.test"], allowPrivate: true), resolver: resolver)
        let content = try await fetcher.content(at: "http://two.test:\(origin.port)/img.jpg")
        #expect(content.contentType == "image/jpeg" && !content.bytes.isEmpty)
        await #expect(throws: OutboundError.self) { _ = try await fetcher.content(at: "http://bad-second.test:\(origin.port)/img.jpg") }
        // One address that refuses and nothing else: the connection error, in words.
        let single = URLFetcher(
            policy: URLFetchPolicy(allowedHosts: ["one.test"], timeout: .seconds(20), allowPrivate: true),
            resolver: TableResolver(table: ["one.test": ["127.0.0.2"]]))
        do {
            _ = try await single.content(at: "http://one.test:\(origin.port)/img.jpg")
            Issue.record("127.0.0.2 has no listener: the fetch cannot succeed")
        } catch let error as OutboundError {
            #expect(error.description.contains("one.test"), "\(error)")
        }
    }

    /// A body that is refused from its head (too long by Content-Length, a type the caller refuses)
    /// ends the fetch at once: it is not read, and the slots are given back.
    @Test func refusalsFromTheHeadEndTheFetchAtOnce() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let fetcher = URLFetcher(
            policy: URLFetchPolicy(allowedHosts: ["loop.test"], maxBytes: 2 << 20, allowPrivate: true), resolver: TableResolver.inside)
        struct Refused: Error {}
        let base = "http://loop.test:\(origin.port)"
        for (path, refuse) in [("/big", false), ("/page", true), ("/img.jpg", true)] {
            let start = ContinuousClock.now
            do {
                _ = try await fetcher.content(at: base + path) { _ in if refuse { throw Refused() } }
                Issue.record("\(path) was not refused")
            } catch is Refused {
                #expect(refuse, "\(path)")
            } catch let error as OutboundError {
                #expect(error == .tooLarge(limit: 2 << 20), "\(path)")
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(5), "\(path) took \(elapsed) (a guard against waiting on the body; loose for loaded machines)")
        }
        #expect(fetcher.limiter.running == 0)
    }

    /// The Centre's organisation webhooks: an inside address literal is refused when set, a URL
    /// with credentials or another scheme too (422, as this route refuses every bad webhook); a
    /// name is accepted (checked at each delivery).
    @Test func organisationWebhooksAreCheckedWhenSet() async throws {
        let scene = try await CentreScene.make()
        let police = try #require(scene.organisations["police-de"]).id
        try await scene.test.application.test(.router) { client in
            let refused: [(String, HTTPResponse.Status, String)] = [
                ("http://169.254.169.254/hook", .unprocessableContent, "cloud metadata"),
                ("http://127.0.0.1:9/hook", .unprocessableContent, "webhooks.allow-private"),
                ("http://[fe80::1]/hook", .unprocessableContent, "link-local"), ("gopher://police.example/x", .unprocessableContent, "gopher"),
                ("https://u:p@police.example/x", .unprocessableContent, "user name or password"),
            ]
            for (url, status, words) in refused {
                let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["url": url, "secret": "a-secret-of-enough-length"]))
                try await client.execute(
                    uri: "/v1/organisations/\(police)/webhook", method: .put, headers: scene.headers("centre-admin"), body: body
                ) {
                    #expect($0.status == status, "\(url)")
                    let message = ($0.json["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains(words), "\(url): \(message)")
                }
            }
            let body = ByteBuffer(string: #"{"url": "https://police.example/hooks/vigil", "secret": "a-secret-of-enough-length"}"#)
            try await client.execute(uri: "/v1/organisations/\(police)/webhook", method: .put, headers: scene.headers("centre-admin"), body: body) {
                #expect($0.status == .noContent)
            }
        }
    }

    /// An origin that sends a byte every 200 ms is cut off at the deadline (the whole body counts).
    @Test func theDeadlineCoversTheWholeBody() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let fetcher = URLFetcher(
            policy: URLFetchPolicy(allowedHosts: ["loop.test"], timeout: .milliseconds(700), allowPrivate: true), resolver: TableResolver.inside)
        let start = ContinuousClock.now
        await #expect(throws: OutboundError.timedOut(.milliseconds(700))) {
            _ = try await fetcher.content(at: "http://loop.test:\(origin.port)/slow")
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(15), "cut off after \(elapsed), the origin would take 20 s")
        #expect(fetcher.limiter.running == 0)
        #expect(URLFetcher.apiError(.timedOut(.milliseconds(700))).status == .gatewayTimeout)
    }

    /// Slow origins hold at most their origin's slots and the node's: other origins are still
    /// fetched while one is full, and the node answers 429 / 503 rather than queueing.
    @Test func concurrentFetchesAreLimitedPerOriginAndPerNode() async throws {
        let origin = try await Origin.start()
        defer { origin.server.cancel() }
        let fetcher = URLFetcher(
            policy: URLFetchPolicy(
                allowedHosts: ["loop.test", "other.test", "127.0.0.1"], timeout: .seconds(18), allowPrivate: true, maxConcurrent: 3,
                maxConcurrentPerOrigin: 2),
            resolver: TableResolver.inside)
        let slow = "http://loop.test:\(origin.port)/slow"
        var started = origin.slowStarted.makeAsyncIterator()
        let holders = (0..<2).map { _ in Task { try await fetcher.content(at: slow) } }
        for _ in 0..<2 { await started.next() }
        // The origin is full: 429; another origin (same server, another name) is fetched at once.
        await #expect(throws: OutboundError.originBusy(origin: "http://loop.test:\(origin.port)", limit: 2)) {
            _ = try await fetcher.content(at: slow)
        }
        let image = try await fetcher.content(at: "http://other.test:\(origin.port)/img.jpg")
        #expect(image.contentType == "image/jpeg" && !image.bytes.isEmpty)
        // A third slow fetch from another origin fills the node: the next is 503.
        let third = Task { try await fetcher.content(at: "http://127.0.0.1:\(origin.port)/slow") }
        await started.next()
        await #expect(throws: OutboundError.nodeBusy(limit: 3)) {
            _ = try await fetcher.content(at: "http://other.test:\(origin.port)/img.jpg")
        }
        #expect(URLFetcher.apiError(.nodeBusy(limit: 3)).status == .serviceUnavailable)
        #expect(URLFetcher.apiError(.originBusy(origin: "o", limit: 2)).status == .tooManyRequests)
        for task in holders + [third] { task.cancel() }
        for task in holders + [third] { _ = await task.result }
        #expect(fetcher.limiter.running == 0)
        // Slots come back: the origin is fetched again.
        #expect(try await fetcher.content(at: "http://loop.test:\(origin.port)/img.jpg").contentType == "image/jpeg")
    }

    /// Webhooks: names resolving inside are refused at delivery (the failure says why and nothing
    /// is sent), metadata always; with `webhooks.allow-private` a loopback receiver gets its
    /// delivery; a receiver's redirect is not followed; literal inside addresses are refused when
    /// the policy is set.
    @Test func webhooksReachOnlyAllowedAddresses() async throws {
        let receiver = Receiver(failures: 0)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await Receiver.serve(receiver, port: continuation) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let node = try await TestNode.make()
        let list = try await node.store.createList(HashList(name: "hooked", kind: .knownAbuseMaterial))
        try await node.store.setPolicy(
            ActionPolicy(action: .notify, webhookURL: "http://hooks.test:\(port)/hook", secret: "a-shared-secret-of-32-characters"), forList: "hooked"
        )
        func enqueue(_ url: String) async throws -> Int64 {
            try await node.store.enqueue([OutboxMessage(listId: list.id, url: url, body: Array("{\"event\":\"test\"}".utf8))])[0]
        }
        let resolver = TableResolver(table: ["hooks.test": ["127.0.0.1"], "metadata.test": ["169.254.169.254"]])
        let strict = DeliveryWorker(store: node.store, resolver: resolver, baseDelay: 3600)
        let open = DeliveryWorker(
            store: node.store, addresses: AddressPolicy(allowPrivate: true, setting: "webhooks.allow-private"), resolver: resolver, baseDelay: 3600)

        let inside = try await enqueue("http://hooks.test:\(port)/hook")
        #expect(try await strict.deliverDue() == 0)
        let refused = try #require(try await node.store.delivery(inside))
        #expect(refused.deliveredAt == nil && refused.attempts == 1)
        #expect(refused.lastError?.contains("hooks.test resolves to 127.0.0.1, a loopback address") == true, "\(refused.lastError ?? "")")
        #expect(refused.lastError?.contains("webhooks.allow-private") == true)
        #expect(await receiver.received.isEmpty)

        let metadata = try await enqueue("http://metadata.test:\(port)/hook")
        let moved = try await enqueue("http://hooks.test:\(port)/moved")
        let good = try await enqueue("http://hooks.test:\(port)/hook")
        #expect(try await open.deliverDue() == 1)
        #expect(try await node.store.delivery(good)?.deliveredAt != nil)
        #expect(try await node.store.delivery(metadata)?.lastError?.contains("cloud metadata") == true)
        #expect(try await node.store.delivery(moved)?.lastError?.contains("redirects are not followed") == true)
        #expect(await receiver.received.count == 1)

        try await node.application.test(.router) { client in
            for url in ["http://169.254.169.254/hook", "http://[::1]:\(port)/hook", "http://10.0.0.1/hook", "http://[fd00:ec2::254]/x"] {
                try await client.execute(
                    uri: "/v1/lists/hooked/action", method: .put, headers: node.headers(.curate),
                    body: jsonBody(["action": "notify", "webhook_url": url, "secret": "a-shared-secret-of-32-characters"])
                ) {
                    #expect($0.status == .badRequest, "\(url)")
                    #expect($0.errorCode == "webhook_address_not_allowed", "\(url)")
                }
            }
            for url in ["gopher://hooks.test/x", "http://u:p@hooks.test/x", "file:///tmp/x"] {
                try await client.execute(
                    uri: "/v1/lists/hooked/action", method: .put, headers: node.headers(.curate),
                    body: jsonBody(["action": "notify", "webhook_url": url, "secret": "a-shared-secret-of-32-characters"])
                ) {
                    #expect($0.status == .badRequest, "\(url)")
                }
            }
        }
    }
}
