public import AsyncHTTPClient
public import Foundation
import Metrics
import NIOCore
import NIOHTTP1
public import VigilDomain

/// How ``HTTPClassifier`` calls its service.
public struct ClassifierSettings: Sendable, Hashable {
    /// The service's URL (http or https, no credentials in it). It is the operator's setting, like
    /// the database's URL: any address is allowed, private and loopback ones included (a classifier
    /// usually runs on the provider's own network).
    public var url: String
    /// The time limit of one whole call: connecting, sending, and reading the answer.
    public var timeout: Duration = .seconds(5)
    /// The most calls in flight at once; a call beyond it is not made (``ClassifierError/Code/busy``).
    public var maxConcurrent = 8
    /// Failures in a row that open the circuit breaker.
    public var failureThreshold = 5
    /// How long the breaker stays open before a trial call, in seconds.
    public var coolDown: TimeInterval = 30
    /// The largest content sent, in bytes (larger content is not classified).
    public var maxInputBytes = 32 << 20
    /// The review thresholds of the labels (see ``ReviewThresholds``).
    public var reviewThresholds = ReviewThresholds(default: 0.9)

    /// Settings for the service at `url`, with the defaults.
    public init(url: String) {
        self.url = url
    }
}

/// The classifier Vigil provides: an HTTP service of the operator's that reads and answers the JSON
/// of ``ClassifierWire`` (version 1), called with a time limit, a concurrency limit and a circuit
/// breaker. Every call is counted in `vigil_classifier_calls_total{outcome}` (`ok` or an error code).
///
/// Connections go through one client kept for the process's life: it follows no redirects (an answer
/// of 3xx is an `http_status` failure) and reuses connections.
public struct HTTPClassifier: Classifier {
    /// The settings.
    public let settings: ClassifierSettings
    let url: OutboundURL
    let client: HTTPClient
    let breaker: CircuitBreaker
    let gate: ConcurrencyGate

    /// A classifier calling `settings.url`; `clock` times the breaker's cool-down.
    ///
    /// - Throws: ``OutboundURLError`` when the URL is not http(s) with a host and no credentials.
    public init(settings: ClassifierSettings, clock: any WallClock, client: HTTPClient = HTTPClassifier.sharedClient) throws(OutboundURLError) {
        self.settings = settings
        self.url = try OutboundURL(settings.url)
        self.client = client
        self.breaker = CircuitBreaker(failureThreshold: settings.failureThreshold, coolDown: settings.coolDown, clock: clock)
        self.gate = ConcurrencyGate(limit: settings.maxConcurrent)
    }

    /// The process's client for classifier calls (no redirects, connect timeout 5 s; each call's
    /// time limit bounds the rest), made once and kept for the process's life.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// The breaker's state now.
    public func breakerState() -> BreakerState { breaker.state }

    /// Calls the service: refused at once when the content is over the input limit, when
    /// `max-concurrent` calls are in flight, or when the breaker is open; otherwise one POST,
    /// bounded by the time limit, whose answer must pass every check of ``ClassifierWire/answer(_:)``.
    public func classify(_ input: ClassifierInput) async throws(ClassifierError) -> Classification {
        switch await admitted(input) {
        case .success(let answer):
            Self.count("ok")
            return answer
        case .failure(let error):
            Self.count(error.code.rawValue)
            throw error
        }
    }

    private func admitted(_ input: ClassifierInput) async -> Result<Classification, ClassifierError> {
        guard input.bytes.count <= settings.maxInputBytes else {
            return .failure(
                ClassifierError(
                    .inputTooLarge, "the content is \(input.bytes.count) bytes, over classifier.max-input-bytes (\(settings.maxInputBytes))"))
        }
        guard gate.tryEnter() else {
            return .failure(ClassifierError(.busy, "\(gate.limit) classifier calls are in flight (classifier.max-concurrent); this one was not made"))
        }
        defer { gate.leave() }
        let trial: Bool
        switch breaker.admit() {
        case .call: trial = false
        case .trial: trial = true
        case .refused(let until):
            let when = until.map { "until \($0.rfc3339)" } ?? "while its trial call is in flight"
            return .failure(
                ClassifierError(.circuitOpen, "the classifier failed \(breaker.failureThreshold) times in a row; calls are paused \(when)"))
        }
        let result = await call(input)
        switch result {
        case .success: breaker.record(success: true, trial: trial)
        case .failure(let error): breaker.record(success: !error.countsAgainstClassifier, trial: trial)
        }
        return result
    }

    private enum Outcome: Sendable {
        case answer(status: UInt, body: [UInt8])
        case tooLarge
        case deadline
        case failed(String)
    }

    /// One POST, raced against the time limit (AsyncHTTPClient's deadline covers the head only;
    /// the race bounds the body too).
    private func call(_ input: ClassifierInput) async -> Result<Classification, ClassifierError> {
        var request = HTTPClientRequest(url: url.description)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        let body: [UInt8]
        do {
            body = try ClassifierWire.request(input)
        } catch {
            return .failure(ClassifierError(.inputTooLarge, "the request could not be encoded: \(error)"))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let client = client
        let prepared = request
        let timeout = settings.timeout
        let limit = ClassifierLimits.maxAnswerBytes
        let deadline =
            NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let outcome: Outcome =
            await withDeadline(timeout) {
                do {
                    let response = try await client.execute(prepared, deadline: deadline)
                    if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit { return .tooLarge }
                    var bytes: [UInt8] = []
                    for try await buffer in response.body {
                        bytes += buffer.readableBytesView
                        if bytes.count > limit { return .tooLarge }
                    }
                    return .answer(status: response.status.code, body: bytes)
                } catch let error as HTTPClientError where error == .deadlineExceeded {
                    return .deadline
                } catch {
                    return .failed(String(describing: error).prefix(200).description)
                }
            } ?? .deadline
        switch outcome {
        case .deadline:
            return .failure(ClassifierError(.timeout, "the classifier did not answer within \(timeout) (classifier.timeout)"))
        case .tooLarge:
            return .failure(ClassifierError(.invalidAnswer, "the answer is over the limit of \(limit) bytes"))
        case .failed(let reason):
            return .failure(ClassifierError(.unreachable, "the classifier at \(url.origin) could not be reached: \(reason)"))
        case .answer(let status, let body):
            guard status == 200 else {
                return .failure(ClassifierError(.httpStatus, "the classifier answered HTTP \(status); it must answer 200 with the JSON of version 1"))
            }
            return Result { () throws(ClassifierError) in try ClassifierWire.answer(body) }
        }
    }

    static func count(_ outcome: String) {
        Counter(label: "vigil_classifier_calls_total", dimensions: [("outcome", outcome)]).increment()
    }
}
