import Testing
import VigilDomain

@Suite("Lists and signals")
struct HashListTests {
    @Test func validListsPass() throws {
        try HashList(name: "ncmec-2026_11", kind: .knownAbuseMaterial).validate()
        try HashList(name: "a", kind: .internal, matchRadius: 0, enabledRatio: 0).validate()
    }

    @Test(arguments: [
        (HashList(name: "", kind: .internal), ListValidationError.invalidName("")),
        (HashList(name: "bad name", kind: .internal), .invalidName("bad name")),
        (HashList(name: String(repeating: "x", count: 65), kind: .internal), .invalidName(String(repeating: "x", count: 65))),
        (HashList(name: "ok", kind: .internal, matchRadius: 65), .invalidRadius(65)),
        (HashList(name: "ok", kind: .internal, matchRadius: -1), .invalidRadius(-1)),
        (HashList(name: "ok", kind: .internal, enabledRatio: 1.5), .invalidRatio(1.5)),
    ])
    func invalidListsAreRefused(list: HashList, error: ListValidationError) {
        #expect(throws: error) { try list.validate() }
    }

    @Test func signalValuesAreNormalised() throws {
        #expect(try SignalType.md5.normalise(" D41D8CD98F00B204E9800998ECF8427E ") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(throws: SignalValueError.wrongLength(type: .pdq, expected: 64, actual: 3)) { try SignalType.pdq.normalise("abc") }
        #expect(throws: SignalValueError.invalidCharacter(type: .md5, offset: 0)) {
            try SignalType.md5.normalise("z41d8cd98f00b204e9800998ecf8427e")
        }
    }
}

@Suite("Provenance")
struct ProvenanceTests {
    @Test func fieldLengthsAreLimited() throws {
        try Provenance(
            sourceItemId: String(repeating: "i", count: Provenance.maxFieldLength), note: String(repeating: "n", count: Provenance.maxNoteLength)
        ).validate()
        #expect(throws: ProvenanceValidationError.tooLong(field: "confirmed_by", length: 1025, limit: 1024)) {
            try Provenance(confirmedBy: String(repeating: "c", count: 1025)).validate()
        }
        // Bytes of UTF-8, not characters: 2,049 "é" (U+00E9, 2 bytes each) are 4,098 bytes.
        try Provenance(note: String(repeating: "\u{E9}", count: 2048)).validate()
        #expect(throws: ProvenanceValidationError.tooLong(field: "note", length: 4098, limit: 4096)) {
            try Provenance(note: String(repeating: "\u{E9}", count: 2049)).validate()
        }
    }

    @Test func oneCharacterWithManyCombiningMarksIsRefused() throws {
        // One Character: "a" and 200,000 combining acute accents (U+0301, 2 bytes each), 400,001 bytes.
        let huge = "a" + String(repeating: "\u{301}", count: 200_000)
        #expect(huge.count == 1)
        #expect(throws: ProvenanceValidationError.tooLong(field: "note", length: 400_001, limit: 4096)) {
            try Provenance(note: huge).validate()
        }
        #expect(throws: ProvenanceValidationError.tooLong(field: "submitted_by", length: 400_001, limit: 1024)) {
            try Provenance(submittedBy: huge).validate()
        }
        let error = ProvenanceValidationError.tooLong(field: "note", length: 400_001, limit: 4096)
        #expect(error.description == "provenance note is 400001 bytes of UTF-8; at most 4096 bytes are accepted")
    }
}
