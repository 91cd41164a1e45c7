public import VigilDomain

/// Why a CyberTipline request was refused: the response code to answer with (see
/// ``CyberTiplineResponse/refusal(_:reportId:)``), the element concerned when there is one, and a
/// message that says what to send instead.
public struct CyberTiplineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal this is.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The document holds markup that is never accepted: a DOCTYPE, an entity or other
        /// declaration (`<!…>` other than a comment or CDATA), or a processing instruction.
        case forbiddenMarkup = "forbidden_markup"
        /// The document is larger than the reader's byte limit.
        case tooLarge = "too_large"
        /// Elements are nested deeper than the reader's limit.
        case tooDeep = "too_deep"
        /// The document has more elements than the reader's limit.
        case tooManyElements = "too_many_elements"
        /// The document is not UTF-8 text (another encoding, a NUL byte, invalid byte sequences).
        case notUTF8 = "not_utf8"
        /// The document is not well-formed XML.
        case malformed
        /// The document is well-formed but does not follow NCMEC's schema (an element unknown,
        /// out of order, repeated, missing, or a value of the wrong kind).
        case invalid
        /// The report cannot become a Vigil report: something Vigil needs is missing or invalid
        /// (see ``CyberTiplineError/problems``).
        case incompleteReport = "incomplete_report"
        /// The report id names no open report, or the report expired unfinished.
        case unknownReport = "unknown_report"
        /// The file id names no file uploaded to this report.
        case unknownFile = "unknown_file"
        /// The report was already retracted.
        case alreadyRetracted = "already_retracted"
        /// The report was already finished.
        case alreadyFinished = "already_finished"
        /// The request cannot be carried out as given (a limit on files reached, a file id used twice).
        case invalidRequest = "invalid_request"
    }

    /// What kind of refusal this is.
    public var reason: Reason
    /// The element the refusal is about, as a path of local names (`report/incidentSummary/incidentType`), if any.
    public var element: String?
    /// What is wrong and what to send instead.
    public var message: String
    /// What a report lacks to become a Vigil report (for ``Reason/incompleteReport``).
    public var problems: [ReportProblem]

    /// A refusal.
    public init(_ reason: Reason, element: String? = nil, _ message: String, problems: [ReportProblem] = []) {
        self.reason = reason
        self.element = element
        self.message = message
        self.problems = problems
    }

    /// The CyberTipline response code this refusal is answered with: 4110 for XML that is not
    /// well-formed, 4100 for everything refused by the reader's rules or the schema (as NCMEC
    /// answers a document that fails validation), 5001/5002/5101/5102 for the session's refusals.
    public var responseCode: CyberTiplineResponseCode {
        switch reason {
        case .malformed: .malformedXML
        case .forbiddenMarkup, .tooLarge, .tooDeep, .tooManyElements, .notUTF8, .invalid, .incompleteReport: .validationFailed
        case .unknownReport: .reportDoesNotExist
        case .unknownFile: .fileDoesNotExist
        case .alreadyRetracted: .reportAlreadyRetracted
        case .alreadyFinished: .reportAlreadyFinished
        case .invalidRequest: .invalidRequest
        }
    }

    /// `element: message`, then the problems, one per line.
    public var description: String {
        var text = element.map { "\($0): \(message)" } ?? message
        for problem in problems { text += "\n\(problem)" }
        return text
    }
}
