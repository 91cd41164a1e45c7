public import VigilDomain

// Reports being filed through NCMEC's CyberTipline protocol (`/ispws`): opened by `/submit`,
// files added by `/upload` (sealed at once, as a report's files) and described by `/fileinfo`,
// then finished (filed as a report, in the same transaction) or retracted. The store keeps the
// XML as sent; the rules live in VigilCentre's `CyberTiplineSubmission`.

/// A submission as stored.
public struct StoredSubmission: Sendable, Hashable {
    /// Where it stands: `open`, `finished` or `retracted`.
    public var state: String
    /// Its id (the `reportId` the protocol answers with).
    public var id: Int64
    /// The provider organisation that opened it.
    public var organisationId: Int64
    /// The `<report>` XML as submitted.
    public var reportXML: [UInt8]
    /// When it was opened, RFC 3339.
    public var openedAt: String
    /// When it last changed, RFC 3339.
    public var lastChangedAt: String
    /// When it was finished or retracted, RFC 3339.
    public var closedAt: String?
    /// The Centre's report it became, once finished.
    public var reportId: Int64?
    /// Its files, in upload order.
    public var files: [StoredSubmissionFile]

    /// A stored submission.
    public init(
        id: Int64, organisationId: Int64, reportXML: [UInt8], state: String, openedAt: String, lastChangedAt: String, closedAt: String?,
        reportId: Int64?, files: [StoredSubmissionFile]
    ) {
        self.id = id
        self.organisationId = organisationId
        self.reportXML = reportXML
        self.state = state
        self.openedAt = openedAt
        self.lastChangedAt = lastChangedAt
        self.closedAt = closedAt
        self.reportId = reportId
        self.files = files
    }
}

/// A file uploaded to a submission.
public struct StoredSubmissionFile: Sendable, Hashable {
    /// The id `/upload` answered with.
    public var fileId: String
    /// The name the upload gave, if any.
    public var uploadName: String?
    /// The file, as it will be stored with the report (its reference the file id).
    public var file: NewReportFile
    /// When it was uploaded, RFC 3339.
    public var uploadedAt: String
    /// The last `<fileDetails>` XML sent for it.
    public var detailsXML: [UInt8]?

    /// A file.
    public init(fileId: String, uploadName: String?, file: NewReportFile, uploadedAt: String, detailsXML: [UInt8]?) {
        self.fileId = fileId
        self.uploadName = uploadName
        self.file = file
        self.uploadedAt = uploadedAt
        self.detailsXML = detailsXML
    }
}
