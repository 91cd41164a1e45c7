public import Foundation

/// What a classifier is given: the content's bytes with its media type and digests. Vigil sends
/// the bytes to the classifier the operator configured and keeps none of them.
public struct ClassifierInput: Sendable, Hashable {
    /// The content.
    public var bytes: [UInt8]
    /// Its media type (`image/jpeg`, `image/png`…).
    public var mediaType: String
    /// Its SHA-256, lowercase hex.
    public var sha256: String?
    /// Its MD5, lowercase hex.
    public var md5: String?
    /// Its PDQ hash, hex.
    public var pdq: String?

    /// An input.
    public init(bytes: [UInt8], mediaType: String, sha256: String? = nil, md5: String? = nil, pdq: String? = nil) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.sha256 = sha256
        self.md5 = md5
        self.pdq = pdq
    }
}

/// A classifier's answer: a score in 0...1 per label, and who gave it.
public struct Classification: Sendable, Hashable {
    /// The classifier's name.
    public var name: String
    /// The classifier's version (its model's, say).
    public var version: String
    /// Scores by label, each finite and in 0...1.
    public var scores: [String: Double]

    /// An answer.
    public init(name: String, version: String, scores: [String: Double]) {
        self.name = name
        self.version = version
        self.scores = scores
    }

    /// `name/version`, as review reasons name the classifier.
    public var identity: String { "\(name)/\(version)" }
}

/// Where a classifier's circuit breaker is.
public enum BreakerState: Sendable, Hashable {
    /// Calls go through.
    case closed
    /// Calls are refused at once until this time (after too many failures in a row).
    case open(until: Date)
    /// The cool-down has passed: one trial call goes through; its result closes or reopens it.
    case halfOpen
}

/// The seam through which a deployment plugs in a classifier of new material (Vigil ships none).
/// ``HTTPClassifier`` is the one Vigil provides: a service of the operator's that speaks
/// [the JSON format in docs/classifier.md](../../docs/classifier.md).
public protocol Classifier: Sendable {
    /// Scores one piece of content. Never returns a partial answer: an answer that is not valid
    /// in every part is ``ClassifierError/Code/invalidAnswer``.
    func classify(_ input: ClassifierInput) async throws(ClassifierError) -> Classification
    /// The circuit breaker's state now (for `/ready`'s warnings and the metrics).
    func breakerState() -> BreakerState
}

/// Why a classifier gave no answer. The ``code`` is what the upload's answer and the metrics
/// show; the ``message`` says what happened and what to do.
public struct ClassifierError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No answer within the time limit (the whole call: connecting, sending, the answer's body).
        case timeout
        /// The classifier could not be reached (connection refused, no route, TLS failed…).
        case unreachable
        /// It answered with an HTTP status other than 200.
        case httpStatus = "http_status"
        /// Its answer is not the documented JSON, or a score is not a finite number in 0...1, or it
        /// is over the size limits.
        case invalidAnswer = "invalid_answer"
        /// As many calls as `classifier.max-concurrent` are in flight: this one was not made.
        case busy
        /// The circuit breaker is open after failures in a row: no call is made until the cool-down ends.
        case circuitOpen = "circuit_open"
        /// The content cannot be sent (over the classifier's input limit).
        case inputTooLarge = "input_too_large"
    }

    /// What kind of failure it is.
    public var code: Code
    /// What happened and what to do.
    public var message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether it counts as a failure of the classifier for its circuit breaker (busy, an open
    /// breaker and an input Vigil refused to send do not).
    public var countsAgainstClassifier: Bool {
        switch code {
        case .timeout, .unreachable, .httpStatus, .invalidAnswer: true
        case .busy, .circuitOpen, .inputTooLarge: false
        }
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
