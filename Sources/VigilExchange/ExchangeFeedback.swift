import Foundation
public import VigilDomain

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A reviewer's verdict on a match, as it can be sent back to the exchange that supplied the entry.
public enum ExchangeVerdict: String, Sendable, CaseIterable, Codable {
    /// The match is what the list says it is.
    case truePositive = "true_positive"
    /// The match is not (the entry is wrong, or matches benign content).
    case falsePositive = "false_positive"
    /// The entry was seen matching, not yet judged.
    case seen
}

/// The feedback requests of the three services, without I/O (python-threatexchange's clients'
/// shapes): the path, the body, and which verdicts each service takes.
public enum ExchangeFeedback {
    /// NCMEC: `PUT /v2/entries/{member id}/{entry id}/{FINGERPRINT}/feedback` with a
    /// `<feedbackSubmission>` holding `<affirmative/>` (true positive) or `<negative>` with the reason's
    /// guid (false positive). NCMEC has no "seen": nil.
    public static func ncmec(memberId: String, entryId: String, type: SignalType, verdict: ExchangeVerdict, reasonGuid: String?)
        throws(ExchangeError) -> (request: ExchangeRequest, body: [UInt8])?
    {
        let vote: String
        switch verdict {
        case .seen: return nil
        case .truePositive: vote = "<affirmative/>"
        case .falsePositive:
            guard let reasonGuid, isGuid(reasonGuid) else {
                throw .misconfigured("NCMEC negative feedback needs a reason guid (GET /v2/feedback/{type}/reasons lists them)")
            }
            vote = "<negative><reasonIds><guid>\(reasonGuid)</guid></reasonIds></negative>"
        }
        guard isPathSegment(memberId), isPathSegment(entryId) else {
            throw .misconfigured("the NCMEC member id and entry id must be plain ids (letters, digits, - and _)")
        }
        let body =
            #"<?xml version="1.0" encoding="UTF-8"?><feedbackSubmission xmlns="https://hashsharing.ncmec.org/hashsharing/v2">"#
            + vote + "</feedbackSubmission>"
        return (ExchangeRequest(path: "/v2/entries/\(memberId)/\(entryId)/\(try ncmecFingerprint(type))/feedback"), Array(body.utf8))
    }

    /// NCMEC's name of a fingerprint type in feedback paths (`PDQ`, `MD5`).
    public static func ncmecFingerprint(_ type: SignalType) throws(ExchangeError) -> String {
        switch type {
        case .pdq: "PDQ"
        case .md5: "MD5"
        case .sha256, .vpdq, .textIndicator: throw .misconfigured("NCMEC takes feedback on PDQ and MD5 fingerprints, not \(type.rawValue)")
        }
    }

    /// The reasons in a `GET /v2/feedback/{type}/reasons` answer (`<availableFeedbackReasons>` >
    /// `<reason guid=… name=…/>`), guid → name.
    public static func ncmecReasons(_ body: [UInt8]) throws(ExchangeError) -> [String: String] {
        // Foundation's XMLParser traps on element names that are not UTF-8 (see NCMECEntriesReader).
        guard NCMECEntriesReader.invalidUTF8Offset(body) == nil, NCMECEntriesReader.processingInstructionOffset(body) == nil else {
            throw .malformed("NCMEC's feedback reasons answer is not UTF-8 XML without processing instructions")
        }
        let delegate = ReasonCollector()
        let parser = XMLParser(data: Data(body))
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        guard parser.parse(), delegate.root == "availableFeedbackReasons" else {
            throw .malformed("NCMEC's feedback reasons answer is not an <availableFeedbackReasons> document")
        }
        return delegate.reasons
    }

    /// StopNCII: `POST /SubmitFeedback` with `{"count": 1, "hashFeedbacks": [{"hashValue", "feedbackValue", "tags"}]}`:
    /// true positive → `Blocked`, false positive → `NotBlocked`, seen → `PendingReview`.
    public static func stopNCII(hash: String, verdict: ExchangeVerdict) -> (request: ExchangeRequest, body: [UInt8]) {
        let value =
            switch verdict {
            case .truePositive: "Blocked"
            case .falsePositive: "NotBlocked"
            case .seen: "PendingReview"
            }
        var body: [UInt8] = Array(#"{"count": 1, "hashFeedbacks": [{"hashValue": "#.utf8)
        JSONText.appendString(hash, to: &body)
        body += Array(#", "feedbackValue": "\#(value)", "tags": []}]}"#.utf8)
        return (ExchangeRequest(path: "/SubmitFeedback"), body)
    }

    /// ThreatExchange: a reaction on a descriptor, `POST /{descriptor id}` with the form
    /// `reactions=…`: true positive → `HELPFUL`, false positive → `DISAGREE_WITH_TAGS` (what
    /// python-threatexchange reads as a negative opinion), seen → `SAW_THIS_TOO`.
    public static func threatExchange(descriptorId: String, verdict: ExchangeVerdict) throws(ExchangeError) -> (
        request: ExchangeRequest, body: [UInt8]
    ) {
        guard !descriptorId.isEmpty, descriptorId.utf8.count <= 40, descriptorId.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .misconfigured("a ThreatExchange descriptor id is a string of digits")
        }
        let reaction =
            switch verdict {
            case .truePositive: "HELPFUL"
            case .falsePositive: "DISAGREE_WITH_TAGS"
            case .seen: "SAW_THIS_TOO"
            }
        return (ExchangeRequest(path: "/\(descriptorId)"), Array("reactions=\(reaction)".utf8))
    }

    private static func isPathSegment(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 100 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    private static func isGuid(_ text: String) -> Bool {
        text.utf8.count <= 64 && !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isHexDigit || $0 == "-") }
    }
}

/// Collects `<reason guid=… name=…>` attributes.
private final class ReasonCollector: NSObject, XMLParserDelegate {
    var root: String?
    var reasons: [String: String] = [:]

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        let name = elementName.split(separator: ":").last.map(String.init) ?? elementName
        if root == nil { root = name }
        if name == "reason", let guid = attributeDict["guid"] { reasons[guid] = attributeDict["name"] ?? "" }
    }
}
