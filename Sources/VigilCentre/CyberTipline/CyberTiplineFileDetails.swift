public import Foundation
public import VigilDomain

/// A CyberTipline `<fileDetails>` document (the body of `POST /ispws/fileinfo`): what the provider
/// says about one uploaded file, read and checked against NCMEC's schema.
public struct CyberTiplineFileDetails: Sendable, Hashable {
    /// `originalFileHash`: a hash of the file as the provider first received it.
    public struct OriginalHash: Sendable, Hashable {
        /// `@hashType` (`MD5`, `SHA1`, `SHA256`…; free text in NCMEC's schema).
        public var hashType: String
        /// The value.
        public var value: String

        /// A hash.
        public init(hashType: String, value: String) {
            self.hashType = hashType
            self.value = value
        }
    }

    /// `reportId`: the report the file was uploaded to.
    public var reportId: Int
    /// `fileId`: the id `/upload` answered.
    public var fileId: String
    /// `originalFileName`.
    public var originalFileName: String?
    /// `uploadedToEspTimestamp`, RFC 3339.
    public var uploadedToEspTimestamp: String?
    /// `fileViewedByEsp`.
    public var fileViewedByEsp: Bool?
    /// `publiclyAvailable`.
    public var publiclyAvailable: Bool?
    /// `fileAnnotations` Vigil has a value for.
    public var annotations: [FileAnnotation]
    /// `fileAnnotations` flags Vigil has no value for, by element name.
    public var otherAnnotations: [String]
    /// `originalFileHash`es.
    public var originalHashes: [OriginalHash]
    /// `ipCaptureEvent`.
    public var ipEvent: CyberTiplineReport.IPEvent?
    /// `deviceId`s.
    public var deviceIds: [DeviceIdentifier]
    /// Everything else (`locationOfFile`, `exifViewedByEsp`, `fileRelevance`,
    /// `industryClassification`, `details`, `additionalInfo`), as `path: value` lines.
    public var details: [String]

    /// File details.
    public init(
        reportId: Int, fileId: String, originalFileName: String? = nil, uploadedToEspTimestamp: String? = nil, fileViewedByEsp: Bool? = nil,
        publiclyAvailable: Bool? = nil, annotations: [FileAnnotation] = [], otherAnnotations: [String] = [], originalHashes: [OriginalHash] = [],
        ipEvent: CyberTiplineReport.IPEvent? = nil, deviceIds: [DeviceIdentifier] = [], details: [String] = []
    ) {
        self.reportId = reportId
        self.fileId = fileId
        self.originalFileName = originalFileName
        self.uploadedToEspTimestamp = uploadedToEspTimestamp
        self.fileViewedByEsp = fileViewedByEsp
        self.publiclyAvailable = publiclyAvailable
        self.annotations = annotations
        self.otherAnnotations = otherAnnotations
        self.originalHashes = originalHashes
        self.ipEvent = ipEvent
        self.deviceIds = deviceIds
        self.details = details
    }

    /// Reads a `<fileDetails>` document: the safe reader, then the schema check (see
    /// ``CyberTiplineReport/parse(_:limits:)``).
    public static func parse(_ data: Data, limits: CyberTiplineXML.Limits = CyberTiplineXML.Limits()) throws(CyberTiplineError) -> Self {
        try read(CyberTiplineXML.parse(data, limits: limits))
    }

    /// Reads an already parsed `<fileDetails>` element.
    public static func read(_ root: CyberTiplineXML.Element) throws(CyberTiplineError) -> Self {
        try CyberTiplineSchema.check(root, as: .fileDetails)
        let annotations = root.child("fileAnnotations")?.children.map(\.name) ?? []
        let known = CyberTiplineSchema.fileAnnotations
        let typed: Set<String> = [
            "reportId", "fileId", "originalFileName", "uploadedToEspTimestamp", "fileViewedByEsp", "publiclyAvailable", "fileAnnotations",
            "originalFileHash", "ipCaptureEvent", "deviceId",
        ]
        return CyberTiplineFileDetails(
            reportId: root.text("reportId").flatMap { Int($0) } ?? 0,
            fileId: root.text("fileId") ?? "",
            originalFileName: root.text("originalFileName"),
            uploadedToEspTimestamp: root.text("uploadedToEspTimestamp"),
            fileViewedByEsp: root.text("fileViewedByEsp").flatMap(CyberTiplineSchema.boolean),
            publiclyAvailable: root.text("publiclyAvailable").flatMap(CyberTiplineSchema.boolean),
            annotations: known.filter { annotations.contains($0.name) }.map(\.annotation),
            otherAnnotations: annotations.filter { name in !known.contains(where: { $0.name == name }) },
            originalHashes: root.children("originalFileHash").map {
                OriginalHash(hashType: $0.attributes["hashType"]?.trimmedXMLSpace ?? "", value: $0.text.trimmedXMLSpace)
            },
            ipEvent: root.child("ipCaptureEvent").map(Reading.ipEvent),
            deviceIds: root.children("deviceId").map(Reading.deviceId),
            details: Reading.details(of: root, except: typed, prefix: "fileDetails"))
    }
}
