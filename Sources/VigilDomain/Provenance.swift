/// Where an indicator came from and who vouched for it: the record that makes a match explainable
/// and auditable (HMA's matches carry none of this).
public struct Provenance: Sendable, Codable, Hashable {
    /// The organisation the indicator came from (e.g. "NCMEC", "StopNCII", a provider's name).
    public var sourceOrganisation: String?
    /// That organisation's own id for the item.
    public var sourceItemId: String?
    /// Who submitted the indicator to this list (a person or system).
    public var submittedBy: String?
    /// Who confirmed the material (an analyst, a hotline, a court).
    public var confirmedBy: String?
    /// The reference of the confirming decision (case number, assessment id).
    public var decisionReference: String?
    /// When the material was confirmed, as RFC 3339 / ISO 8601 text.
    public var confirmedAt: String?
    /// Free text.
    public var note: String?
    /// The submitter's own metadata about the item, a JSON object as text (HMA's `content_uri`,
    /// `json` and `collab`); stored and answered as given.
    public var metadata: String?

    /// Creates a provenance record; every field is optional.
    public init(
        sourceOrganisation: String? = nil, sourceItemId: String? = nil, submittedBy: String? = nil,
        confirmedBy: String? = nil, decisionReference: String? = nil, confirmedAt: String? = nil, note: String? = nil,
        metadata: String? = nil
    ) {
        self.sourceOrganisation = sourceOrganisation
        self.sourceItemId = sourceItemId
        self.submittedBy = submittedBy
        self.confirmedBy = confirmedBy
        self.decisionReference = decisionReference
        self.confirmedAt = confirmedAt
        self.note = note
        self.metadata = metadata
    }

    /// The longest note accepted, in bytes of UTF-8.
    public static let maxNoteLength = 4096
    /// The longest value accepted in the other fields, in bytes of UTF-8.
    public static let maxFieldLength = 1024
    /// The longest metadata accepted, in bytes of UTF-8.
    public static let maxMetadataLength = 65_536

    /// Checks the fields' lengths in bytes of UTF-8 (a provenance record is metadata, not a
    /// document). Bytes, not characters: one `Character` (a letter with any number of combining
    /// marks) can be arbitrarily long, so a count of characters bounds nothing.
    public func validate() throws(ProvenanceValidationError) {
        let fields: [(String, String?)] = [
            ("source_organisation", sourceOrganisation), ("source_item_id", sourceItemId), ("submitted_by", submittedBy),
            ("confirmed_by", confirmedBy), ("decision_reference", decisionReference), ("confirmed_at", confirmedAt),
        ]
        for (name, value) in fields {
            if let bytes = value?.utf8.count, bytes > Self.maxFieldLength {
                throw .tooLong(field: name, length: bytes, limit: Self.maxFieldLength)
            }
        }
        if let bytes = note?.utf8.count, bytes > Self.maxNoteLength {
            throw .tooLong(field: "note", length: bytes, limit: Self.maxNoteLength)
        }
        if let bytes = metadata?.utf8.count, bytes > Self.maxMetadataLength {
            throw .tooLong(field: "metadata", length: bytes, limit: Self.maxMetadataLength)
        }
    }
}

/// Why a provenance record was refused.
public enum ProvenanceValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field is longer than its limit; `length` and `limit` are in bytes of UTF-8.
    case tooLong(field: String, length: Int, limit: Int)

    /// What is wrong and what is accepted.
    public var description: String {
        switch self {
        case .tooLong(let field, let length, let limit):
            "provenance \(field) is \(length) bytes of UTF-8; at most \(limit) bytes are accepted"
        }
    }
}
