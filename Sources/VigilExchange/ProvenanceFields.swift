import VigilDomain

/// ``Provenance``'s fields by their JSON names (the Swift property names, as `Codable` writes them).
enum ProvenanceFields {
    /// The JSON names, in the order the JSON Lines writer writes them.
    static let names = [
        "sourceOrganisation", "sourceItemId", "submittedBy", "confirmedBy", "decisionReference", "confirmedAt", "note",
    ]

    /// The value of the field with this JSON name (nil for an unknown name).
    static func value(_ name: String, of provenance: Provenance) -> String? {
        switch name {
        case "sourceOrganisation": provenance.sourceOrganisation
        case "sourceItemId": provenance.sourceItemId
        case "submittedBy": provenance.submittedBy
        case "confirmedBy": provenance.confirmedBy
        case "decisionReference": provenance.decisionReference
        case "confirmedAt": provenance.confirmedAt
        case "note": provenance.note
        default: nil
        }
    }

    /// Sets the field with this JSON name; returns false for an unknown name.
    static func set(_ name: String, to value: String?, in provenance: inout Provenance) -> Bool {
        switch name {
        case "sourceOrganisation": provenance.sourceOrganisation = value
        case "sourceItemId": provenance.sourceItemId = value
        case "submittedBy": provenance.submittedBy = value
        case "confirmedBy": provenance.confirmedBy = value
        case "decisionReference": provenance.decisionReference = value
        case "confirmedAt": provenance.confirmedAt = value
        case "note": provenance.note = value
        default: return false
        }
        return true
    }
}
