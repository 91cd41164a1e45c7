import VigilDomain

// The structure of NCMEC's `<report>` and `<fileDetails>` documents: for each element, its children
// in the XSD's order with how often each may occur, and the kind of value of each leaf. The order
// and cardinalities are NCMEC's, as its technical documentation gives them and as the open-source
// clients transcribe them (github.com/Nachtalb/ncmec-cybertip `report.py`, `files.py`, `common.py`;
// github.com/Johannes-Andersen/Cybertipline-Tools `src/types`). This table is the one place where
// the structure lives: ``CyberTiplineSchema/check(_:as:)`` validates a whole document against it,
// and the readers of ``CyberTiplineReport`` and ``CyberTiplineFileDetails`` only read what it let through.
//
// Deliberate leniencies: attributes other than those listed are ignored, not refused; and
// `fileAnnotations` may hold flags this table does not name (NCMEC adds flags over time; Vigil
// keeps an unnamed one by its element name in the report's other data).

/// NCMEC's document structure, and the one check of a document against it.
enum CyberTiplineSchema {
    /// How often a child may occur.
    enum Occurs: Sendable {
        /// Exactly once.
        case one
        /// At most once.
        case optional
        /// Any number of times.
        case many
        /// At least once.
        case oneOrMore

        var required: Bool { self == .one || self == .oneOrMore }
        var repeats: Bool { self == .many || self == .oneOrMore }
    }

    /// The kind of a leaf's text (or of an attribute's value).
    enum Value: Sendable {
        /// Any text of at most `max` characters (nil: no limit beyond the document's), not empty
        /// when the element is present.
        case text(max: Int?)
        /// `true`, `false`, `1` or `0` (xs:boolean).
        case boolean
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// A decimal number.
        case decimal
        /// A date and time with its zone (NCMEC: "the date, time, and time zone"), RFC 3339.
        case dateTime
        /// A date, `YYYY-MM-DD`.
        case date
        /// One of these texts, exactly.
        case oneOf([String])
    }

    /// What an element holds.
    enum Content: Sendable {
        /// Text of a kind.
        case leaf(Value)
        /// Nothing: a flag whose presence is its meaning (`<sextortion/>`).
        case flag
        /// Children in this order.
        case sequence([Child])
        /// Exactly one of these children.
        case choice([Child])
        /// Flags in this order, and also flags not named here (kept by name), anywhere.
        case openFlags([String])
    }

    /// A child element's rule.
    struct Child: Sendable {
        var name: String
        var occurs: Occurs
        var content: Content
        /// Attributes that are checked (others are ignored): name, value kind, required.
        var attributes: [(name: String, value: Value, required: Bool)] = []
    }

    /// The document elements the endpoints accept.
    enum Document: String, Sendable {
        /// `/submit`'s `<report>`.
        case report
        /// `/fileinfo`'s `<fileDetails>`.
        case fileDetails
    }

    /// NCMEC's eight incident types, as `incidentType` spells them.
    static let incidentTypes: [(text: String, type: IncidentType)] = [
        ("Child Pornography (possession, manufacture, and distribution)", .childSexualAbuseMaterial),
        ("Child Sex Trafficking", .childSexTrafficking),
        ("Child Sex Tourism", .childSexTourism),
        ("Child Sexual Molestation", .childSexualMolestation),
        ("Misleading Domain Name", .misleadingDomainName),
        ("Misleading Words or Digital Images on the Internet", .misleadingWordsOrDigitalImages),
        ("Online Enticement of Children for Sexual Acts", .onlineEnticementOfChildren),
        ("Unsolicited Obscene Material Sent to a Child", .unsolicitedObsceneMaterialToChild),
    ]

    /// NCMEC's report annotations, in the XSD's order, with Vigil's value.
    static let reportAnnotations: [(name: String, annotation: ReportAnnotation)] = [
        ("sextortion", .sextortion), ("csamSolicitation", .csamSolicitation), ("minorToMinorInteraction", .minorToMinorInteraction),
        ("spam", .spam), ("sadisticOnlineExploitation", .sadisticOnlineExploitation), ("informational", .informational),
    ]

    /// NCMEC's file annotations that Vigil has a value for, in the XSD's order.
    static let fileAnnotations: [(name: String, annotation: FileAnnotation)] = [
        ("potentialMeme", .potentialMeme), ("viral", .viral), ("possibleSelfProduction", .possibleSelfProduction),
        ("physicalHarm", .physicalHarm), ("liveStreaming", .liveStreaming), ("infant", .infant), ("generativeAi", .generativeAi),
    ]

    /// `eventName` of an IP capture event or device id.
    static let eventNames = ["Login", "Registration", "Purchase", "Upload", "Other", "Unknown"]

    // MARK: The table

    private static func leaf(_ name: String, _ occurs: Occurs = .optional, _ value: Value = .text(max: nil)) -> Child {
        Child(name: name, occurs: occurs, content: .leaf(value))
    }

    private static func flag(_ name: String) -> Child { Child(name: name, occurs: .optional, content: .flag) }

    private static func phone(_ name: String = "phone") -> Child { leaf(name, .many, .text(max: 50)) }
    private static func email(_ name: String = "email") -> Child { leaf(name, .many, .text(max: 255)) }

    private static func address(_ name: String = "address") -> Child {
        Child(
            name: name, occurs: .many,
            content: .sequence([
                leaf("address", .optional, .text(max: 255)), leaf("city", .optional, .text(max: 100)), leaf("zipCode", .optional, .text(max: 20)),
                leaf("state"), leaf("nonUsaState", .optional, .text(max: 100)), leaf("country"),
            ]))
    }

    /// NCMEC's Person type (a real-world person).
    private static func person(_ name: String, _ occurs: Occurs) -> Child {
        Child(
            name: name, occurs: occurs,
            content: .sequence([
                leaf("firstName", .optional, .text(max: 100)), leaf("lastName", .optional, .text(max: 100)), phone(), email(), address(),
                leaf("age", .optional, .integer(0...150)), leaf("ageAssertionDiscrepancy", .optional, .boolean),
                leaf("dateOfBirth", .optional, .date),
            ]))
    }

    /// NCMEC's ContactPerson type.
    private static func contactPerson(_ name: String) -> Child {
        Child(
            name: name, occurs: .optional,
            content: .sequence([
                leaf("firstName", .optional, .text(max: 100)), leaf("lastName", .optional, .text(max: 100)), phone(), email(), address(),
            ]))
    }

    private static func ipCaptureEvent(_ occurs: Occurs) -> Child {
        Child(
            name: "ipCaptureEvent", occurs: occurs,
            content: .sequence([
                leaf("ipAddress", .one, .text(max: 45)), leaf("eventName", .optional, .oneOf(eventNames)), leaf("dateTime", .optional, .dateTime),
                leaf("possibleProxy", .optional, .boolean), leaf("port", .optional, .integer(1...65_535)),
            ]))
    }

    private static let deviceId = Child(
        name: "deviceId", occurs: .many,
        content: .sequence([
            leaf("idType", .one, .text(max: 255)), leaf("idValue", .one, .text(max: 2_083)), leaf("eventName", .optional, .oneOf(eventNames)),
            leaf("dateTime", .optional, .dateTime),
        ]))

    private static let estimatedLocation = Child(
        name: "estimatedLocation", occurs: .optional,
        content: .sequence([leaf("city", .optional, .text(max: 255)), leaf("region", .optional, .text(max: 255)), leaf("countryCode")]),
        attributes: [("verified", .boolean, false), ("timestamp", .dateTime, false)])

    private static let associatedAccount = Child(
        name: "associatedAccount", occurs: .many,
        content: .sequence([
            leaf("platform", .optional, .text(max: 256)), leaf("firstName", .optional, .text(max: 256)),
            leaf("middleName", .optional, .text(max: 256)),
            leaf("lastName", .optional, .text(max: 256)), leaf("approximateAge", .optional, .integer(0...150)),
            leaf("ageAssertionDiscrepancy", .optional, .boolean), phone(), email(), leaf("allEmailsReported", .optional, .boolean), address(),
            leaf("espService", .optional, .text(max: 256)), leaf("espIdentifier", .optional, .text(max: 256)), leaf("profileUrl", .many),
            leaf("screenName", .optional, .text(max: 256)), leaf("displayName", .many), leaf("profileBio"),
            leaf("groupIdentifier", .optional, .text(max: 256)), ipCaptureEvent(.many), deviceId, leaf("additionalInfo"),
        ]))

    private static let report = Child(
        name: "report", occurs: .one,
        content: .sequence([
            Child(name: "batchedReport", occurs: .optional, content: .flag, attributes: [("reason", .oneOf(["VIRAL_POTENTIAL_MEME"]), true)]),
            Child(
                name: "incidentSummary", occurs: .one,
                content: .sequence([
                    leaf("incidentType", .one, .oneOf(incidentTypes.map(\.text))), leaf("platform", .optional, .text(max: 256)),
                    leaf("escalateToHighPriority", .optional, .text(max: ReportValidation.Limits.urgencyReason)),
                    Child(name: "reportAnnotations", occurs: .optional, content: .sequence(reportAnnotations.map { flag($0.name) })),
                    leaf("incidentDateTime", .one, .dateTime), leaf("incidentDateTimeDescription", .optional, .text(max: 3_000)),
                ])),
            Child(
                name: "internetDetails", occurs: .many,
                content: .choice([
                    Child(
                        name: "webPageIncident", occurs: .one, content: .sequence([leaf("url", .many, .text(max: 2_083)), leaf("additionalInfo")]),
                        attributes: [("thirdPartyHostedContent", .boolean, false)]),
                    Child(name: "emailIncident", occurs: .one, content: .sequence([email("emailAddress"), leaf("content"), leaf("additionalInfo")])),
                    Child(
                        name: "newsgroupIncident", occurs: .one,
                        content: .sequence([leaf("name", .optional, .text(max: 255)), email("emailAddress"), leaf("content"), leaf("additionalInfo")])
                    ),
                    Child(
                        name: "chatImIncident", occurs: .one,
                        content: .sequence([
                            leaf("chatClient", .optional, .text(max: 255)), leaf("chatRoomName", .optional, .text(max: 255)), leaf("content"),
                            leaf("additionalInfo"),
                        ])),
                    Child(
                        name: "onlineGamingIncident", occurs: .one,
                        content: .sequence([
                            leaf("gameName", .optional, .text(max: 255)), leaf("console", .optional, .text(max: 255)), leaf("content"),
                            leaf("additionalInfo"),
                        ])),
                    Child(
                        name: "cellPhoneIncident", occurs: .one,
                        content: .sequence([
                            leaf("phoneNumber", .optional, .text(max: 50)), leaf("latitude", .optional, .decimal),
                            leaf("longitude", .optional, .decimal),
                            leaf("additionalInfo"),
                        ])),
                    Child(
                        name: "nonInternetIncident", occurs: .one,
                        content: .sequence([leaf("locationName", .optional, .text(max: 255)), address("incidentAddress"), leaf("additionalInfo")])),
                    Child(
                        name: "peer2peerIncident", occurs: .one,
                        content: .sequence([
                            leaf("client", .optional, .text(max: 255)), ipCaptureEvent(.many), leaf("fileNames"), leaf("additionalInfo"),
                        ])),
                ])),
            Child(
                name: "lawEnforcement", occurs: .optional,
                content: .sequence([
                    leaf("agencyName", .one, .text(max: 255)), leaf("caseNumber", .optional, .text(max: 100)), contactPerson("officerContact"),
                    leaf("reportedToLe", .optional, .boolean), leaf("servedLegalProcessDomestic", .optional, .boolean),
                    leaf("servedLegalProcessInternational", .optional, .boolean),
                ])),
            Child(
                name: "reporter", occurs: .one,
                content: .sequence([
                    person("reportingPerson", .one), contactPerson("contactPerson"), leaf("companyTemplate"), leaf("termsOfService"),
                    leaf("legalURL", .optional, .text(max: 2_083)),
                ])),
            Child(
                name: "personOrUserReported", occurs: .optional,
                content: .sequence([
                    person("personOrUserReportedPerson", .optional), leaf("vehicleDescription", .optional, .text(max: 300)),
                    leaf("espIdentifier", .optional, .text(max: 255)), leaf("espService", .optional, .text(max: 100)),
                    leaf("compromisedAccount", .optional, .boolean), leaf("screenName", .optional, .text(max: 256)), leaf("displayName", .many),
                    leaf("profileUrl", .many), leaf("profileBio"), ipCaptureEvent(.many), deviceId,
                    leaf("thirdPartyUserReported", .optional, .boolean),
                    leaf("priorCTReports", .many, .integer(0...Int.max)), leaf("groupIdentifier", .optional, .text(max: 255)), estimatedLocation,
                    leaf("allEmailsReported", .optional, .boolean), associatedAccount, leaf("additionalInfo"),
                ])),
            Child(
                name: "intendedRecipient", occurs: .many,
                content: .sequence([
                    person("intendedRecipientPerson", .optional), leaf("espIdentifier", .optional, .text(max: 255)),
                    leaf("espService", .optional, .text(max: 100)), leaf("compromisedAccount", .optional, .boolean),
                    leaf("screenName", .optional, .text(max: 256)), leaf("displayName", .many), leaf("profileUrl", .many), leaf("profileBio"),
                    ipCaptureEvent(.many), deviceId, leaf("priorCTReports", .many, .integer(0...Int.max)),
                    leaf("groupIdentifier", .optional, .text(max: 255)), estimatedLocation, leaf("allEmailsReported", .optional, .boolean),
                    leaf("additionalInfo"),
                ])),
            Child(
                name: "victim", occurs: .many,
                content: .sequence([
                    person("victimPerson", .one), leaf("espIdentifier", .optional, .text(max: 255)), leaf("espService", .optional, .text(max: 100)),
                    leaf("compromisedAccount", .optional, .boolean), leaf("screenName", .optional, .text(max: 256)), leaf("displayName", .many),
                    leaf("profileUrl", .many), leaf("profileBio"), ipCaptureEvent(.many), deviceId, leaf("schoolName", .optional, .text(max: 255)),
                    leaf("priorCTReports", .many, .integer(0...Int.max)), estimatedLocation, leaf("allEmailsReported", .optional, .boolean),
                    associatedAccount, leaf("additionalInfo"),
                ])),
            leaf("additionalInfo"),
        ]))

    private static let fileDetails = Child(
        name: "fileDetails", occurs: .one,
        content: .sequence([
            leaf("reportId", .one, .integer(1...Int.max)), leaf("fileId", .one, .text(max: 128)),
            leaf("originalFileName", .optional, .text(max: 2_056)),
            leaf("uploadedToEspTimestamp", .optional, .dateTime), leaf("locationOfFile", .optional, .text(max: 2_083)),
            leaf("fileViewedByEsp", .optional, .boolean), leaf("exifViewedByEsp", .optional, .boolean),
            leaf("publiclyAvailable", .optional, .boolean),
            leaf("fileRelevance", .optional, .oneOf(["Reported", "Supplemental Reported"])),
            Child(name: "fileAnnotations", occurs: .optional, content: .openFlags(fileAnnotations.map(\.name))),
            leaf("industryClassification", .optional, .oneOf(["A1", "A2", "B1", "B2"])),
            Child(
                name: "originalFileHash", occurs: .many, content: .leaf(.text(max: 128)), attributes: [("hashType", .text(max: 64), true)]),
            ipCaptureEvent(.optional), deviceId,
            Child(
                name: "details", occurs: .many,
                content: .sequence([
                    Child(
                        name: "nameValuePair", occurs: .oneOrMore,
                        content: .sequence([leaf("name", .one, .text(max: 64)), leaf("value", .one)]),
                        attributes: [("type", .oneOf(["EXIF", "HASH"]), false)])
                ])),
            leaf("additionalInfo", .many),
        ]))

    // MARK: The check

    /// Checks `root` against the structure of `document`: every element known, in the XSD's
    /// order, as often as allowed, required ones present, every value of its kind. Throws the
    /// first failure (``CyberTiplineError/Reason/invalid``), naming the element.
    static func check(_ root: CyberTiplineXML.Element, as document: Document) throws(CyberTiplineError) {
        let rule = document == .report ? report : fileDetails
        guard root.name == rule.name else {
            throw CyberTiplineError(.invalid, element: root.name, "the document is <\(root.name)>; this endpoint takes <\(rule.name)>")
        }
        try check(root, rule, path: rule.name)
    }

    private static func check(_ element: CyberTiplineXML.Element, _ rule: Child, path: String) throws(CyberTiplineError) {
        for attribute in rule.attributes {
            if let value = element.attributes[attribute.name] {
                try checkValue(value, attribute.value, required: attribute.required, path: "\(path)@\(attribute.name)")
            } else if attribute.required {
                throw CyberTiplineError(.invalid, element: path, "the attribute \(attribute.name) is required")
            }
        }
        switch rule.content {
        case .leaf(let value):
            if let child = element.children.first {
                throw CyberTiplineError(.invalid, element: path, "holds text, not elements (found <\(child.name)>)")
            }
            try checkValue(element.text, value, required: rule.occurs.required, path: path)
        case .flag:
            if !element.children.isEmpty || !element.text.trimmedXMLSpace.isEmpty {
                throw CyberTiplineError(.invalid, element: path, "is a flag: write it empty (<\(element.name)/>)")
            }
        case .sequence(let children):
            try checkNoText(element, path: path)
            try checkSequence(element, children, path: path)
        case .choice(let options):
            try checkNoText(element, path: path)
            let names = options.map { "<\($0.name)>" }.joined(separator: ", ")
            guard element.children.count == 1, let only = element.children.first else {
                throw CyberTiplineError(.invalid, element: path, "holds exactly one of \(names); found \(element.children.count)")
            }
            guard let option = options.first(where: { $0.name == only.name }) else {
                throw CyberTiplineError(.invalid, element: "\(path)/\(only.name)", "is not allowed here; \(path) holds one of \(names)")
            }
            try check(only, option, path: "\(path)/\(only.name)")
        case .openFlags(let known):
            try checkNoText(element, path: path)
            var seen = Set<String>()
            var last: (index: Int, name: String)?
            for child in element.children {
                let childPath = "\(path)/\(child.name)"
                guard seen.insert(child.name).inserted else { throw CyberTiplineError(.invalid, element: childPath, "appears twice") }
                try check(child, flag(child.name), path: childPath)
                guard let index = known.firstIndex(of: child.name) else { continue }
                if let last, index < last.index {
                    throw CyberTiplineError(
                        .invalid, element: childPath, "is out of order: <\(child.name)> comes before <\(last.name)> in NCMEC's schema")
                }
                last = (index, child.name)
            }
        }
    }

    /// The one order-and-cardinality rule of a sequence.
    private static func checkSequence(_ element: CyberTiplineXML.Element, _ rules: [Child], path: String) throws(CyberTiplineError) {
        var counts = [Int](repeating: 0, count: rules.count)
        var position = 0
        var previous: String?
        for child in element.children {
            let childPath = "\(path)/\(child.name)"
            guard let index = rules.firstIndex(where: { $0.name == child.name }) else {
                throw CyberTiplineError(
                    .invalid, element: childPath,
                    "is not an element of <\(element.name)>; it holds, in this order: \(rules.map(\.name).joined(separator: ", "))")
            }
            if index < position, let previous {
                throw CyberTiplineError(
                    .invalid, element: childPath, "is out of order: <\(child.name)> comes before <\(previous)> in <\(element.name)> (NCMEC's schema)")
            }
            if counts[index] > 0, !rules[index].occurs.repeats {
                throw CyberTiplineError(.invalid, element: childPath, "appears more than once; <\(element.name)> holds at most one")
            }
            counts[index] += 1
            position = index
            previous = child.name
            try check(child, rules[index], path: childPath)
        }
        for (index, rule) in rules.enumerated() where rule.occurs.required && counts[index] == 0 {
            throw CyberTiplineError(.invalid, element: "\(path)/\(rule.name)", "is required in <\(element.name)> and missing")
        }
    }

    private static func checkNoText(_ element: CyberTiplineXML.Element, path: String) throws(CyberTiplineError) {
        if !element.text.trimmedXMLSpace.isEmpty {
            throw CyberTiplineError(.invalid, element: path, "holds elements, not text")
        }
    }

    /// The one check of a value's kind.
    /// Empty text is accepted (as absent) only for optional text; every other kind needs a value.
    private static func checkValue(_ raw: String, _ value: Value, required: Bool, path: String) throws(CyberTiplineError) {
        let text = raw.trimmedXMLSpace
        switch value {
        case .text(let max):
            if text.isEmpty, required { throw CyberTiplineError(.invalid, element: path, "is empty; give a value") }
            if let max, text.count > max { throw CyberTiplineError(.invalid, element: path, "has \(text.count) characters; at most \(max)") }
        case .boolean:
            if boolean(text) == nil { throw CyberTiplineError(.invalid, element: path, "is \"\(text.prefix(40))\"; give true or false") }
        case .integer(let range):
            guard let number = Int(text), range.contains(number) else {
                throw CyberTiplineError(
                    .invalid, element: path,
                    "is \"\(text.prefix(40))\"; give a whole number"
                        + (range.upperBound == Int.max ? " from \(range.lowerBound)" : " from \(range.lowerBound) to \(range.upperBound)"))
            }
        case .decimal:
            if Double(text) == nil || text.contains(where: { $0.isLetter }) {
                throw CyberTiplineError(.invalid, element: path, "is \"\(text.prefix(40))\"; give a decimal number")
            }
        case .dateTime:
            if !RFC3339.isValid(text) {
                throw CyberTiplineError(
                    .invalid, element: path, "is \"\(text.prefix(40))\"; give a date, time and time zone, e.g. 2026-01-01T12:00:00Z")
            }
        case .date:
            if !RFC3339.isValid("\(text)T00:00:00Z") || text.count != 10 {
                throw CyberTiplineError(.invalid, element: path, "is \"\(text.prefix(40))\"; give a date, e.g. 2010-01-31")
            }
        case .oneOf(let allowed):
            if !allowed.contains(text) {
                throw CyberTiplineError(
                    .invalid, element: path, "is \"\(text.prefix(80))\"; give one of: \(allowed.joined(separator: " | "))")
            }
        }
    }

    /// xs:boolean's value.
    static func boolean(_ text: String) -> Bool? {
        switch text.trimmedXMLSpace {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}
