import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport

@Suite("Hashing by URL", .serialized)
struct URLFetchTests {
    /// A loopback content server: an image, an oversized body, and a redirect.
    static func serve(port: AsyncStream<Int>.Continuation) async throws {
        let image = try TestPaths.fixtureBytes("reference/images/pdq-data/bridge-mods/aaa-orig.jpg")
        let router = Router()
        router.get("img.jpg") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: image))) }
        router.get("big") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 7, count: 3 << 20))) }
        router.get("redirect") { _, _ in Response(status: .found, headers: [.location: "http://127.0.0.1:9/elsewhere"]) }
        router.get("away") { _, _ in Response(status: .found, headers: [.location: "http://localhost:9/elsewhere"]) }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) })
        try await app.runService(gracefulShutdownSignals: [])
    }

    @Test func fetchesOnlyAllowedHostsWithinLimits() async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await Self.serve(port: continuation) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        let node = try await TestNode.make(
            settings: ServerSettings(
                maxBodyBytes: 1 << 20, urlFetch: URLFetchPolicy(allowedHosts: ["127.0.0.1"], maxBytes: 2 << 20, allowPrivate: true)))
        _ = try await node.store.createList(HashList(name: "u", kind: .internal))
        _ = try await node.store.apply([IndicatorRecord(type: .pdq, value: bridgeHash)], toList: "u")
        try await node.engine.catchUp()
        try await node.engine.refreshLists()
        let base = "http://127.0.0.1:\(port)"
        try await node.application.test(.router) { client in
            try await client.execute(uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": base + "/img.jpg"])) {
                #expect($0.status == .ok)
                #expect($0.json["pdq"] as? String == bridgeHash)
            }
            try await client.execute(uri: "/v1/match/url", method: .post, headers: node.headers(.match), body: jsonBody(["url": base + "/img.jpg"])) {
                #expect(($0.json["matches"] as? [Any])?.count == 1)
            }
            let refused: [(String, HTTPResponse.Status, String)] = [
                ("http://localhost:\(port)/img.jpg", .forbidden, "host_not_allowed"),
                ("ftp://127.0.0.1/img.jpg", .badRequest, "invalid_url"),
                ("http://user:pw@127.0.0.1:\(port)/img.jpg", .badRequest, "invalid_url"),
                (base + "/big", .contentTooLarge, "body_too_large"),
                (base + "/redirect", .badGateway, "fetch_failed"),  // followed, to a closed port
                (base + "/away", .forbidden, "host_not_allowed"),  // followed, off the allow-list
                ("http://127.0.0.1:9/closed", .badGateway, "fetch_failed"),
            ]
            for (url, status, code) in refused {
                try await client.execute(uri: "/v1/hash/url", method: .post, headers: node.headers(.hash), body: jsonBody(["url": url])) {
                    #expect($0.status == status, "\(url)")
                    #expect($0.errorCode == code, "\(url)")
                }
            }
        }
        // The default node fetches nothing.
        let closed = try await TestNode.make()
        try await closed.application.test(.router) { client in
            try await client.execute(uri: "/v1/hash/url", method: .post, headers: closed.headers(.hash), body: jsonBody(["url": base + "/img.jpg"])) {
                #expect($0.status == .forbidden)
                #expect($0.errorCode == "url_fetch_disabled")
            }
        }
    }

    @Test func allowListPatterns() {
        let policy = URLFetchPolicy(allowedHosts: ["cdn.example.net", "*.images.example.org"])
        #expect(policy.allows(host: "CDN.example.net"))
        #expect(policy.allows(host: "a.images.example.org"))
        #expect(!policy.allows(host: "images.example.org.evil.net"))
        #expect(!policy.allows(host: "example.net"))
        #expect(!URLFetchPolicy().allows(host: "cdn.example.net"))
    }
}
