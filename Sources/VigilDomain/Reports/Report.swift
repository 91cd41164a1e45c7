// A provider's report to the Centre: the contents Article 13 of the proposal (COM(2022) 209) asks
// for, plus what NCMEC's CyberTipline schema carries that helps the police act (incident type,
// per-file annotations, original file hashes, IP capture events, device identifiers).
//
// Every type here is a plain value that encodes to JSON with snake_case keys (see
// ``ReportCoding``). Times are RFC 3339 text, exactly as the provider sent them: the report is
// signed over its canonical encoding, so nothing in it is rewritten on the way in.

/// What a report is about (Article 13(1)(e) of the proposal).
public enum ReportType: String, Sendable, Codable, CaseIterable, Hashable {
    /// Material that matched an indicator of known child sexual abuse material.
    case knownMaterial = "known_material"
    /// Material the provider believes is child sexual abuse material not (yet) on any list.
    case newMaterial = "new_material"
    /// The solicitation of a child (grooming), shown by conversation text.
    case solicitation
}

/// NCMEC's incident types, for a report that will also be compared with (or forwarded as) a
/// CyberTipline report.
public enum IncidentType: String, Sendable, Codable, CaseIterable, Hashable {
    /// Apparent child sexual abuse material (NCMEC: "Child Pornography (possession, manufacture, and distribution)").
    case childSexualAbuseMaterial = "child_sexual_abuse_material"
    /// Child sex trafficking.
    case childSexTrafficking = "child_sex_trafficking"
    /// Child sex tourism.
    case childSexTourism = "child_sex_tourism"
    /// Child sexual molestation.
    case childSexualMolestation = "child_sexual_molestation"
    /// A misleading domain name.
    case misleadingDomainName = "misleading_domain_name"
    /// Misleading words or digital images on the internet.
    case misleadingWordsOrDigitalImages = "misleading_words_or_digital_images"
    /// Online enticement of children for sexual acts.
    case onlineEnticementOfChildren = "online_enticement_of_children"
    /// Unsolicited obscene material sent to a child.
    case unsolicitedObsceneMaterialToChild = "unsolicited_obscene_material_to_child"
}

/// Flags on the whole report (NCMEC's `reportAnnotations`).
public enum ReportAnnotation: String, Sendable, Codable, CaseIterable, Hashable {
    /// Sextortion.
    case sextortion
    /// Solicitation of child sexual abuse material.
    case csamSolicitation = "csam_solicitation"
    /// An interaction between minors.
    case minorToMinorInteraction = "minor_to_minor_interaction"
    /// Spam.
    case spam
    /// Sadistic online exploitation.
    case sadisticOnlineExploitation = "sadistic_online_exploitation"
    /// Reported for information only.
    case informational
}

/// Flags on one file (NCMEC's `fileAnnotations`).
public enum FileAnnotation: String, Sendable, Codable, CaseIterable, Hashable {
    /// Shared widely, often without intent to harm (a meme).
    case potentialMeme = "potential_meme"
    /// Shared virally: many reports of the same file.
    case viral
    /// Possibly produced by the child shown.
    case possibleSelfProduction = "possible_self_production"
    /// Shows physical harm.
    case physicalHarm = "physical_harm"
    /// From a live stream.
    case liveStreaming = "live_streaming"
    /// Shows an infant or toddler.
    case infant
    /// Made or altered by a generative model.
    case generativeAi = "generative_ai"
}

/// A hash of a file as the provider first received it (before any re-encoding), NCMEC's `originalFileHash`.
public struct FileHash: Sendable, Codable, Hashable {
    /// The algorithm.
    public enum Algorithm: String, Sendable, Codable, CaseIterable, Hashable {
        /// MD5 (32 hex digits).
        case md5
        /// SHA-1 (40 hex digits).
        case sha1
        /// SHA-256 (64 hex digits).
        case sha256
        /// PDQ (64 hex digits).
        case pdq
    }

    /// The algorithm.
    public var algorithm: Algorithm
    /// The value, lower-case hex.
    public var value: String

    /// A hash.
    public init(algorithm: Algorithm, value: String) {
        self.algorithm = algorithm
        self.value = value
    }

    /// How many hex digits a value of this algorithm has.
    public static func hexDigits(_ algorithm: Algorithm) -> Int {
        switch algorithm {
        case .md5: 32
        case .sha1: 40
        case .sha256, .pdq: 64
        }
    }
}

/// One use of an IP address: a login, an upload… (NCMEC's `ipCaptureEvent`).
public struct IPCaptureEvent: Sendable, Codable, Hashable {
    /// The address, IPv4 or IPv6 text.
    public var ip: String
    /// The source port, when known (needed to tell users of a shared address apart).
    public var port: Int?
    /// When, RFC 3339.
    public var at: String
    /// What happened (`login`, `registration`, `upload`, `purchase`…).
    public var event: String?
    /// Whether the provider believes it is a proxy or VPN.
    public var possibleProxy: Bool?

    /// An event.
    public init(ip: String, port: Int? = nil, at: String, event: String? = nil, possibleProxy: Bool? = nil) {
        self.ip = ip
        self.port = port
        self.at = at
        self.event = event
        self.possibleProxy = possibleProxy
    }
}

/// A device identifier (NCMEC's `deviceId`).
public struct DeviceIdentifier: Sendable, Codable, Hashable {
    /// Its kind (`imei`, `idfa`, `android_id`, `mac`…).
    public var kind: String
    /// Its value.
    public var value: String

    /// An identifier.
    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }
}

/// One file of a report (content data, Article 13(1)(c)).
public struct ReportedFile: Sendable, Codable, Hashable {
    /// A name unique within the report, by which the file's bytes (a multipart part) and later
    /// messages refer to it.
    public var reference: String
    /// The file's name as the user gave it, if known.
    public var originalFileName: String?
    /// Its media type (`image/jpeg`, `video/mp4`…), if known.
    public var mediaType: String?
    /// Hashes of the file as reported (at least one): MD5, SHA-1, SHA-256, PDQ.
    public var hashes: [FileHash]
    /// Hashes of the file as originally uploaded, when the provider re-encoded it.
    public var originalHashes: [FileHash]
    /// When the user uploaded it, RFC 3339.
    public var uploadedAt: String?
    /// Whether a person at the provider viewed the file (NCMEC's `fileViewedByEsp`).
    public var viewedByProvider: Bool?
    /// Whether the file was publicly available.
    public var publiclyAvailable: Bool?
    /// Flags.
    public var annotations: [FileAnnotation]
    /// The indicators it matched at the provider, as `list:entry` references (known material).
    public var matchedIndicators: [String]
    /// IP events of this file's upload.
    public var ipEvents: [IPCaptureEvent]
    /// Devices it came from.
    public var deviceIds: [DeviceIdentifier]

    /// A file.
    public init(
        reference: String, originalFileName: String? = nil, mediaType: String? = nil, hashes: [FileHash], originalHashes: [FileHash] = [],
        uploadedAt: String? = nil, viewedByProvider: Bool? = nil, publiclyAvailable: Bool? = nil, annotations: [FileAnnotation] = [],
        matchedIndicators: [String] = [], ipEvents: [IPCaptureEvent] = [], deviceIds: [DeviceIdentifier] = []
    ) {
        self.reference = reference
        self.originalFileName = originalFileName
        self.mediaType = mediaType
        self.hashes = hashes
        self.originalHashes = originalHashes
        self.uploadedAt = uploadedAt
        self.viewedByProvider = viewedByProvider
        self.publiclyAvailable = publiclyAvailable
        self.annotations = annotations
        self.matchedIndicators = matchedIndicators
        self.ipEvents = ipEvents
        self.deviceIds = deviceIds
    }

    /// The file's hash of `algorithm`, if the report gives one.
    public func hash(_ algorithm: FileHash.Algorithm) -> String? {
        hashes.first(where: { $0.algorithm == algorithm })?.value
    }
}

/// One message of a conversation reported for solicitation (content data, Article 13(1)(c)).
public struct ConversationMessage: Sendable, Codable, Hashable {
    /// The sender's identifier (one of the report's ``ReportedUser/identifier``s).
    public var sender: String
    /// When it was sent, RFC 3339.
    public var at: String
    /// The text.
    public var text: String

    /// A message.
    public init(sender: String, at: String, text: String) {
        self.sender = sender
        self.at = at
        self.text = text
    }
}

/// A user involved (Article 13(1)(g)): the suspected offender, a child, or a recipient.
public struct ReportedUser: Sendable, Codable, Hashable {
    /// The user's part in the report.
    public enum Role: String, Sendable, Codable, CaseIterable, Hashable {
        /// The user suspected of the offence (NCMEC's `personOrUserReported`).
        case suspect
        /// A child the report is about (NCMEC's `victim`).
        case victim
        /// A user the material was sent to (NCMEC's `intendedRecipient`).
        case recipient
    }

    /// The user's part.
    public var role: Role
    /// The provider's identifier of the account.
    public var identifier: String
    /// The shown name.
    public var screenName: String?
    /// The age the user claims (on the account or in the conversation).
    public var claimedAge: Int?
    /// The account's country, ISO 3166-1 alpha-2 (any country, not only a Member State).
    public var accountCountry: String?
    /// IP events of the account.
    public var ipEvents: [IPCaptureEvent]
    /// Devices of the account.
    public var deviceIds: [DeviceIdentifier]

    /// A user.
    public init(
        role: Role, identifier: String, screenName: String? = nil, claimedAge: Int? = nil, accountCountry: String? = nil,
        ipEvents: [IPCaptureEvent] = [], deviceIds: [DeviceIdentifier] = []
    ) {
        self.role = role
        self.identifier = identifier
        self.screenName = screenName
        self.claimedAge = claimedAge
        self.accountCountry = accountCountry
        self.ipEvents = ipEvents
        self.deviceIds = deviceIds
    }
}

/// The provider (Article 13(1)(a)).
public struct ReportingProvider: Sendable, Codable, Hashable {
    /// The provider's name.
    public var name: String
    /// Its legal representative in the Union (name and contact), when it has one.
    public var legalRepresentative: String?
    /// Where a person at the provider can be reached about this report.
    public var contact: String
    /// The Member State of its main establishment (or of its legal representative).
    public var establishment: String?

    /// A provider.
    public init(name: String, legalRepresentative: String? = nil, contact: String, establishment: String? = nil) {
        self.name = name
        self.legalRepresentative = legalRepresentative
        self.contact = contact
        self.establishment = establishment
    }
}

/// Where the report was also made (Article 13(1)(h)), e.g. to NCMEC.
public struct OtherReport: Sendable, Codable, Hashable {
    /// To whom (`NCMEC`, a hotline, a police force…).
    public var recipient: String
    /// That recipient's reference, if known.
    public var reference: String?

    /// A report made elsewhere.
    public init(recipient: String, reference: String? = nil) {
        self.recipient = recipient
        self.reference = reference
    }
}

/// What the provider did to the material (Article 13(1)(i)).
public enum RemovalStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// Removed.
    case removed
    /// Access disabled in the Union (or everywhere).
    case disabled
    /// Neither (for example, under a hold asked by the police).
    case notRemoved = "not_removed"
}

/// Where the offence seems to have taken place (Article 13(1)(f)).
public struct GeographicInformation: Sendable, Codable, Hashable {
    /// The estimated country of the suspected offender, ISO 3166-1 alpha-2.
    public var offenderCountry: String?
    /// The estimated country of the child, ISO 3166-1 alpha-2.
    public var victimCountry: String?
    /// IP events not tied to one user or file.
    public var ipEvents: [IPCaptureEvent]

    /// Geographic information.
    public init(offenderCountry: String? = nil, victimCountry: String? = nil, ipEvents: [IPCaptureEvent] = []) {
        self.offenderCountry = offenderCountry
        self.victimCountry = victimCountry
        self.ipEvents = ipEvents
    }
}

/// A provider's report, as it signs it.
public struct Report: Sendable, Codable, Hashable {
    /// The provider's own reference: unique per provider; filing the same reference twice is refused.
    public var providerReference: String
    /// The provider.
    public var provider: ReportingProvider
    /// When the provider made the report, RFC 3339 (Article 13(1)(b)).
    public var reportedAt: String
    /// When the incident took place, RFC 3339, if known.
    public var incidentAt: String?
    /// What the report is about (nil only in an incomplete report, which intake refuses).
    public var type: ReportType?
    /// NCMEC's incident type, if the provider also uses it.
    public var incidentType: IncidentType?
    /// Flags on the whole report.
    public var annotations: [ReportAnnotation]
    /// The files (known or new material; screenshots for solicitation).
    public var files: [ReportedFile]
    /// The conversation (solicitation).
    public var conversation: [ConversationMessage]
    /// Other available data (Article 13(1)(d)), for people.
    public var otherData: String?
    /// Where.
    public var geographic: GeographicInformation
    /// The users involved.
    public var users: [ReportedUser]
    /// Where else it was reported.
    public var alsoReportedTo: [OtherReport]
    /// What the provider did to the material (nil only in an incomplete report, which intake refuses).
    public var removal: RemovalStatus?
    /// Whether a child seems to be at imminent risk (Article 13(1)(j)): such reports are assessed
    /// and referred first.
    public var urgent: Bool
    /// Why it is urgent, for people (required when ``urgent``).
    public var urgencyReason: String?
    /// The legal basis the provider acted on (e.g. `Regulation (EU) 2021/1232` or the article of
    /// the final act).
    public var legalBasis: String

    /// A report.
    public init(
        providerReference: String, provider: ReportingProvider, reportedAt: String, incidentAt: String? = nil, type: ReportType?,
        incidentType: IncidentType? = nil, annotations: [ReportAnnotation] = [], files: [ReportedFile] = [],
        conversation: [ConversationMessage] = [], otherData: String? = nil, geographic: GeographicInformation = GeographicInformation(),
        users: [ReportedUser] = [], alsoReportedTo: [OtherReport] = [], removal: RemovalStatus?, urgent: Bool = false,
        urgencyReason: String? = nil, legalBasis: String
    ) {
        self.providerReference = providerReference
        self.provider = provider
        self.reportedAt = reportedAt
        self.incidentAt = incidentAt
        self.type = type
        self.incidentType = incidentType
        self.annotations = annotations
        self.files = files
        self.conversation = conversation
        self.otherData = otherData
        self.geographic = geographic
        self.users = users
        self.alsoReportedTo = alsoReportedTo
        self.removal = removal
        self.urgent = urgent
        self.urgencyReason = urgencyReason
        self.legalBasis = legalBasis
    }
}
