import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport

/// A provider node on a real SQLite file in a temporary folder, with one key per scope.
struct TestNode {
    let path: String
    let store: SQLiteStore
    let engine: MatchEngine
    let keys: [Scope: String]
    var settings: ServerSettings
    var health = FollowerHealth()
    var clock: any WallClock = SystemClock()

    static func temporaryPath() -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-server-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("vigil.sqlite").path
    }

    static func make(path: String = temporaryPath(), load: Bool = true, settings: ServerSettings = ServerSettings(maxBodyBytes: 1 << 20)) async throws
        -> TestNode
    {
        let store = try SQLiteStore(path: path)
        let engine = try MatchEngine(store: store)
        if load { try await engine.load() }
        var keys: [Scope: String] = [:]
        for scope in Scope.allCases {
            keys[scope] = try await store.createKey(organisation: "Test \(scope.rawValue)", scopes: [scope], label: "").secret
        }
        return TestNode(path: path, store: store, engine: engine, keys: keys, settings: settings)
    }

    /// The node's services over its store and engine.
    var node: Node { Node(store: store, engine: engine, health: health, clock: clock, settings: settings) }

    var application: some ApplicationProtocol {
        buildApplication(node: node)
    }

    func headers(_ scope: Scope?, json: Bool = true) -> HTTPFields {
        var fields = HTTPFields()
        if let scope, let key = keys[scope] { fields[.authorization] = "Bearer " + key }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    static func fixture(_ path: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try TestPaths.fixtureBytes(path))
    }
}

extension TestResponse {
    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The `error.code` of a JSON error answer.
    var errorCode: String? {
        (json["error"] as? [String: Any])?["code"] as? String
    }
}

func jsonBody(_ object: Any) -> ByteBuffer {
    ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
}

let bridgeHash = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
