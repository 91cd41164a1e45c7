import Foundation

/// The JSON that ``HTTPClassifier`` sends and reads, version 1 (docs/classifier.md describes it
/// for whoever writes the classifier's side).
///
/// Request (`POST`, `Content-Type: application/json`):
/// `{"version":1,"media_type":"image/png","content_base64":"…","sha256":"…","md5":"…","pdq":"…"}`
/// (the digests when known).
///
/// Answer (200, at most ``ClassifierLimits/maxAnswerBytes``):
/// `{"version":1,"classifier":{"name":"…","version":"…"},"scores":{"label":0.93,…}}`.
/// Every part is checked: `version` is 1; `name` and `version` are 1 to 128 printable characters;
/// `scores` holds at most ``ClassifierLimits/maxLabels`` labels of 1 to 128 of `A-Z a-z 0-9 . _ : -`,
/// each a JSON number, finite, in 0...1. Other keys are ignored (room for later fields).
public enum ClassifierWire {
    /// The format's version.
    public static let version = 1

    /// The request's body.
    struct Request: Encodable {
        var version: Int
        var mediaType: String
        var contentBase64: String
        var sha256: String?
        var md5: String?
        var pdq: String?

        enum CodingKeys: String, CodingKey {
            case version
            case mediaType = "media_type"
            case contentBase64 = "content_base64"
            case sha256, md5, pdq
        }
    }

    /// The answer as decoded, before it is checked.
    struct Answer: Decodable {
        struct Identity: Decodable {
            var name: String
            var version: String
        }
        var version: Int
        var classifier: Identity
        var scores: [String: Double]
    }

    /// The request body for `input`.
    public static func request(_ input: ClassifierInput) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](
            try encoder.encode(
                Request(
                    version: version, mediaType: input.mediaType, contentBase64: Data(input.bytes).base64EncodedString(), sha256: input.sha256,
                    md5: input.md5, pdq: input.pdq)))
    }

    /// Reads and checks an answer: the classification, or ``ClassifierError/Code/invalidAnswer``
    /// saying what is wrong (nothing of an answer that fails any check is used).
    public static func answer(_ body: [UInt8]) throws(ClassifierError) -> Classification {
        guard body.count <= ClassifierLimits.maxAnswerBytes else {
            throw ClassifierError(.invalidAnswer, "the answer is \(body.count) bytes, over the limit of \(ClassifierLimits.maxAnswerBytes)")
        }
        let decoded: Answer
        do {
            decoded = try JSONDecoder().decode(Answer.self, from: Data(body))
        } catch let error as DecodingError {
            throw ClassifierError(.invalidAnswer, "the answer is not the classifier JSON of version 1: \(describe(error))")
        } catch {
            throw ClassifierError(.invalidAnswer, "the answer is not JSON")
        }
        guard decoded.version == version else {
            throw ClassifierError(.invalidAnswer, "the answer has version \(decoded.version); this node reads version \(version)")
        }
        for (field, value) in [("classifier.name", decoded.classifier.name), ("classifier.version", decoded.classifier.version)] {
            guard (1...128).contains(value.utf8.count), value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw ClassifierError(.invalidAnswer, "\(field) must be 1 to 128 printable characters")
            }
        }
        guard decoded.scores.count <= ClassifierLimits.maxLabels else {
            throw ClassifierError(.invalidAnswer, "the answer has \(decoded.scores.count) labels, over the limit of \(ClassifierLimits.maxLabels)")
        }
        for (label, score) in decoded.scores.sorted(by: { $0.key < $1.key }) {
            guard isLabel(label) else {
                throw ClassifierError(.invalidAnswer, "label \"\(label.prefix(40))\" is not 1 to 128 of A-Z a-z 0-9 . _ : -")
            }
            guard score.isFinite, (0...1).contains(score) else {
                throw ClassifierError(.invalidAnswer, "the score of \(label) is \(score), not a finite number in 0...1")
            }
        }
        return Classification(name: decoded.classifier.name, version: decoded.classifier.version, scores: decoded.scores)
    }

    /// Whether `text` is a label: 1 to 128 of `A-Z a-z 0-9 . _ : -`.
    public static func isLabel(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E
                    || byte == 0x5F || byte == 0x3A || byte == 0x2D
            }
    }

    /// A decoding error in a line (the field's path and what was wrong), without the answer's text.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "the top level" : path
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent == "the top level" ? "" : parent + ".")\(key.stringValue) is missing"
        case .typeMismatch(_, let context): return "\(path(context)) has the wrong type"
        case .valueNotFound(_, let context): return "\(path(context)) is null"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "it is not valid JSON" : "\(path(context)) is not valid"
        @unknown default: return "it does not decode"
        }
    }
}

/// The fixed limits of the classifier format.
public enum ClassifierLimits {
    /// The largest answer read, in bytes (a longer one is cut off and refused).
    public static let maxAnswerBytes = 64 << 10
    /// The most labels an answer may hold.
    public static let maxLabels = 256
}
