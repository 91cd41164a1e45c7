import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCentre
import VigilClassifier
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore
import VigilTestSupport
import VigilText

/// A provider node on a real SQLite file in a temporary folder, with one key per scope.
struct TestNode {
    let path: String
    let store: SQLiteStore
    let engine: MatchEngine
    let keys: [Scope: String]
    var settings: ServerSettings
    var health = FollowerHealth()
    var clock: any WallClock = SystemClock()
    /// The master key of the Centre's stored files (a new one per test node).
    var vault = ContentVault(keyring: MasterKeyring(current: .generate()))
    /// The text indicator sets (the shipped ones by default).
    var conversationAssessor: ConversationAssessor? = TestNode.shippedTextIndicators
    /// The classifier of uploaded images (none by default).
    var classifier: (any Classifier)?

    /// The shipped text indicator sets (`data/text-indicators`), read once.
    static let shippedTextIndicators: ConversationAssessor? = {
        let folder = TestPaths.packageRoot.appendingPathComponent("data/text-indicators").path
        return (try? TextIndicatorDirectory(path: folder).indicatorSets()).flatMap { try? ConversationAssessor(sets: $0) }
    }()

    static func temporaryPath() -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-server-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("vigil.sqlite").path
    }

    /// The test node's settings: 1 MiB bodies, every role's routes (provider and Centre).
    static var defaultSettings: ServerSettings {
        var settings = ServerSettings(maxBodyBytes: 1 << 20)
        settings.role = .all
        return settings
    }

    static func make(path: String = temporaryPath(), load: Bool = true, settings: ServerSettings = TestNode.defaultSettings) async throws
        -> TestNode
    {
        let store = try SQLiteStore(path: path)
        let engine = try MatchEngine(store: store)
        if load { try await engine.load() }
        var keys: [Scope: String] = [:]
        // One provider key per scope a provider may hold (the Centre's tests make their own organisations).
        for scope in Scope.allowed(for: .provider) {
            keys[scope] = try await store.createKey(organisation: "Test \(scope.rawValue)", scopes: [scope], label: "").secret
        }
        return TestNode(path: path, store: store, engine: engine, keys: keys, settings: settings)
    }

    /// The node's services over its store and engine.
    var node: Node {
        var node = Node(
            store: store, engine: engine, health: health, clock: clock, settings: settings, vault: vault, conversationAssessor: conversationAssessor)
        node.classifier = classifier
        return node
    }

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
