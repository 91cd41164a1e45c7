// The XML bodies the CyberTipline endpoints answer with, in the shape NCMEC's clients read
// (github.com/Nachtalb/ncmec-cybertip `responses.py`; github.com/Johannes-Andersen/Cybertipline-Tools
// `src/client/responseParsers`):
//
//   /status, /submit, /upload, /fileinfo, /retract:
//     <reportResponse> responseCode, responseDescription, reportId?, fileId?, hash? </reportResponse>
//   /finish:
//     <reportDoneResponse> responseCode, reportId, files/fileId* </reportDoneResponse>
//
// A refused /finish is answered with a <reportDoneResponse> too (clients parse /finish's answer as
// one), with a responseDescription after the code saying why; clients that do not know the element
// ignore it.

/// A `<reportResponse>`: the answer of `/status`, `/submit`, `/upload`, `/fileinfo` and `/retract`,
/// and of a refusal by any of them.
public struct CyberTiplineResponse: Sendable, Hashable {
    /// `responseCode`.
    public var code: CyberTiplineResponseCode
    /// `responseDescription`.
    public var description: String
    /// `reportId`.
    public var reportId: Int?
    /// `fileId` (`/upload`).
    public var fileId: String?
    /// `hash`: the MD5 of the uploaded bytes, lower-case hex (`/upload`).
    public var hash: String?

    /// A response.
    public init(code: CyberTiplineResponseCode, description: String? = nil, reportId: Int? = nil, fileId: String? = nil, hash: String? = nil) {
        self.code = code
        self.description = description ?? code.description
        self.reportId = reportId
        self.fileId = fileId
        self.hash = hash
    }

    /// `/status`'s answer: success, naming the authenticated user and the address the request came
    /// from, as NCMEC does ("Remote User : …, Remote Ip : …").
    public static func status(user: String, remoteIP: String) -> Self {
        CyberTiplineResponse(code: .success, description: "Remote User : \(user), Remote Ip : \(remoteIP)")
    }

    /// `/submit`'s answer: the new report's id.
    public static func submitted(reportId: Int) -> Self { CyberTiplineResponse(code: .success, reportId: reportId) }

    /// `/upload`'s answer: the file's id and the MD5 of its bytes.
    public static func uploaded(reportId: Int, fileId: String, md5: String) -> Self {
        CyberTiplineResponse(code: .success, reportId: reportId, fileId: fileId, hash: md5)
    }

    /// `/fileinfo`'s answer.
    public static func fileInfoSaved(reportId: Int) -> Self { CyberTiplineResponse(code: .success, reportId: reportId) }

    /// `/retract`'s answer.
    public static func retracted(reportId: Int) -> Self { CyberTiplineResponse(code: .success, reportId: reportId) }

    /// The answer to a refused request: the error's code, and its element and message as the description.
    public static func refusal(_ error: CyberTiplineError, reportId: Int? = nil) -> Self {
        CyberTiplineResponse(code: error.responseCode, description: "\(error.responseCode.description): \(error.description)", reportId: reportId)
    }

    /// The XML document, UTF-8, with the declaration NCMEC's answers carry.
    public var xml: String {
        var body = CyberTiplineXMLWriter.element("responseCode", String(code.rawValue))
        body += CyberTiplineXMLWriter.element("responseDescription", description)
        if let reportId { body += CyberTiplineXMLWriter.element("reportId", String(reportId)) }
        if let fileId { body += CyberTiplineXMLWriter.element("fileId", fileId) }
        if let hash { body += CyberTiplineXMLWriter.element("hash", hash) }
        return CyberTiplineXMLWriter.document("reportResponse", body)
    }
}

/// A `<reportDoneResponse>`: the answer of `/finish`.
public struct CyberTiplineDoneResponse: Sendable, Hashable {
    /// `responseCode`.
    public var code: CyberTiplineResponseCode
    /// `responseDescription`, written only when the code is not success (see the file's note).
    public var description: String?
    /// `reportId`.
    public var reportId: Int
    /// `files/fileId`: the files the finished report holds, in upload order.
    public var fileIds: [String]

    /// A response.
    public init(code: CyberTiplineResponseCode, description: String? = nil, reportId: Int, fileIds: [String] = []) {
        self.code = code
        self.description = description
        self.reportId = reportId
        self.fileIds = fileIds
    }

    /// The answer to a finished report.
    public static func finished(reportId: Int, fileIds: [String]) -> Self {
        CyberTiplineDoneResponse(code: .success, reportId: reportId, fileIds: fileIds)
    }

    /// The answer to a refused `/finish`.
    public static func refusal(_ error: CyberTiplineError, reportId: Int) -> Self {
        CyberTiplineDoneResponse(
            code: error.responseCode, description: "\(error.responseCode.description): \(error.description)", reportId: reportId)
    }

    /// The XML document, UTF-8, with the declaration NCMEC's answers carry.
    public var xml: String {
        var body = CyberTiplineXMLWriter.element("responseCode", String(code.rawValue))
        if code != .success, let description { body += CyberTiplineXMLWriter.element("responseDescription", description) }
        body += CyberTiplineXMLWriter.element("reportId", String(reportId))
        body += "<files>" + fileIds.map { CyberTiplineXMLWriter.element("fileId", $0) }.joined() + "</files>"
        return CyberTiplineXMLWriter.document("reportDoneResponse", body)
    }
}

/// The one writer of XML text: escaping and the document frame.
enum CyberTiplineXMLWriter {
    /// `<?xml …?>` and the root element around `body`.
    static func document(_ root: String, _ body: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<\(root)>\(body)</\(root)>\n"
    }

    /// `<name>text</name>`, the text escaped.
    static func element(_ name: String, _ text: String) -> String { "<\(name)>\(escape(text))</\(name)>" }

    /// `text` safe as XML character data and attribute values: `& < > " '` as references, and
    /// the characters XML 1.0 does not allow (control characters other than tab, line feed and
    /// carriage return; U+FFFE, U+FFFF) replaced by U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
