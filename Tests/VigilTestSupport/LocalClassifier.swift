import HTTPTypes
import Hummingbird
import NIOCore

/// A real HTTP classifier on loopback for the tests: each path answers one way (scores, slow,
/// garbage of several kinds, an error status), and it counts what it received.
public actor LocalClassifier {
    /// Requests received, by path.
    public private(set) var received: [String: Int] = [:]
    /// Calls being answered now, and the most at once.
    public private(set) var inFlight = 0
    public private(set) var peak = 0
    /// Whether `/toggle` fails (500) or answers high scores.
    public private(set) var failing = true
    /// The last request body that `/echo` read.
    public private(set) var lastRequest: [UInt8]?

    public func setFailing(_ value: Bool) { failing = value }
    public func count(_ path: String) -> Int { received[path] ?? 0 }
    public var total: Int { received.values.reduce(0, +) }

    func enter(_ path: String) {
        received[path, default: 0] += 1
        inFlight += 1
        peak = max(peak, inFlight)
    }

    func leave() { inFlight -= 1 }

    func remember(_ body: [UInt8]) { lastRequest = body }

    public static func answer(_ scores: [String: Double], name: String = "local-test", version: String = "1.0") -> String {
        let pairs = scores.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        return "{\"version\":1,\"classifier\":{\"name\":\"\(name)\",\"version\":\"\(version)\"},\"scores\":{\(pairs)}}"
    }

    /// The answers of the garbage paths.
    public static let garbage: [String: String] = [
        "not-json": "this is not JSON",
        "wrong-types": "{\"version\":1,\"classifier\":{\"name\":\"t\",\"version\":\"1\"},\"scores\":{\"a\":\"high\"}}",
        "nan": "{\"version\":1,\"classifier\":{\"name\":\"t\",\"version\":\"1\"},\"scores\":{\"a\":NaN}}",
        "above-one": answer(["a": 1.5]),
        "negative": answer(["a": -0.01]),
        "overflow": "{\"version\":1,\"classifier\":{\"name\":\"t\",\"version\":\"1\"},\"scores\":{\"a\":1e400}}",
        "version-2": "{\"version\":2,\"classifier\":{\"name\":\"t\",\"version\":\"1\"},\"scores\":{\"a\":0.5}}",
        "no-scores": "{\"version\":1,\"classifier\":{\"name\":\"t\",\"version\":\"1\"}}",
        "bad-label": answer(["not a label!": 0.5]),
        "empty-name": "{\"version\":1,\"classifier\":{\"name\":\"\",\"version\":\"1\"},\"scores\":{\"a\":0.5}}",
        "boolean-score": "{\"version\":1,\"classifier\":{\"name\":\"t\",\"version\":\"1\"},\"scores\":{\"a\":true}}",
        "array": "[1,2,3]",
        "truncated": "{\"version\":1,\"classifier\":{\"name\":\"t\",\"version\":\"1\"},\"scores\":{\"a\":0.",
        "too-many-labels": answer(Dictionary(uniqueKeysWithValues: (0..<300).map { ("l\($0)", 0.1) })),
    ]

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs the classifier until the task is cancelled, reporting its port.
    static func serve(_ state: LocalClassifier, port: AsyncStream<Int>.Continuation) async throws {
        let router = Router()
        router.post("high") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("high")
            await state.leave()
            return json(answer(["nudity": 0.97, "violence": 0.2]))
        }
        router.post("low") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("low")
            await state.leave()
            return json(answer(["nudity": 0.03, "violence": 0.01]))
        }
        router.post("echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            await state.enter("echo")
            await state.remember(Array(body.readableBytesView))
            await state.leave()
            return json(answer(["a": 0.5]))
        }
        router.post("slow") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("slow")
            try? await Task.sleep(for: .seconds(3))
            await state.leave()
            return json(answer(["a": 0.99]))
        }
        router.post("hold") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("hold")
            try? await Task.sleep(for: .milliseconds(400))
            await state.leave()
            return json(answer(["nudity": 0.95]))
        }
        router.post("toggle") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("toggle")
            await state.leave()
            return await state.failing ? json("{\"error\":\"down\"}", status: .internalServerError) : json(answer(["nudity": 0.95]))
        }
        router.post("huge") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("huge")
            await state.leave()
            return json("{\"version\":1,\"padding\":\"" + String(repeating: "x", count: 1 << 20) + "\"}")
        }
        router.post("redirect") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            await state.enter("redirect")
            await state.leave()
            return Response(status: .temporaryRedirect, headers: [.location: "/high"])
        }
        router.post("garbage/:kind") { request, context -> Response in
            _ = try await request.body.collect(upTo: 64 << 20)
            let kind = context.parameters.get("kind") ?? ""
            await state.enter("garbage")
            await state.leave()
            return json(garbage[kind] ?? "")
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) })
        try await app.runService(gracefulShutdownSignals: [])
    }

    /// Starts a classifier; returns it, its base URL and the task to cancel at the end.
    public static func start() async throws -> (LocalClassifier, String, Task<Void, any Error>) {
        let state = LocalClassifier()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await serve(state, port: continuation) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
        return (state, "http://127.0.0.1:\(port)", server)
    }
}
