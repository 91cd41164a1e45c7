import Testing

@testable import VigilServer

/// The null check every JSON body goes through (``JSONBodyRule``): what it reads from the served
/// document, and the cheap test that spares most bodies a second parse.
@Suite("JSON body rule")
struct JSONBodyRuleTests {
    @Test func theServedDocumentNamesItsFields() {
        let fields = JSONBodyRule.documentedFields
        #expect(fields.names.contains("enabled"))
        #expect(fields.names.contains("name"))
        #expect(!fields.nullable.contains("enabled"))
    }

    @Test func aBodyWithoutNullIsNotParsedAgainAndHasNone() {
        let body = Array(#"{"hashes":["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"],"enabled":true}"#.utf8)
        #expect(!JSONBodyRule.mayHoldNull(body))
        #expect(JSONBodyRule.nullMembers(in: body).isEmpty)
    }

    @Test func aNullInADocumentedFieldIsFound() {
        let body = Array(#"{"name":"nullable list","enabled":null}"#.utf8)
        #expect(JSONBodyRule.mayHoldNull(body))
        #expect(JSONBodyRule.nullMembers(in: body) == ["enabled"])
    }

    @Test(arguments: ["", "nul", "nulL", #"{"a":"nul l"}"#])
    func textWithoutTheFourBytesCannotHoldNull(_ text: String) {
        #expect(!JSONBodyRule.mayHoldNull(Array(text.utf8)))
    }

    @Test func nullAtTheVeryEndIsSeen() {
        #expect(JSONBodyRule.mayHoldNull(Array("[1,null".utf8)))
        #expect(JSONBodyRule.mayHoldNull(Array("null".utf8)))
    }
}
