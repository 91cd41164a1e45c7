/// The one rule for JSON bodies whose document allows no other member: a member the type does not
/// name is refused (a misspelt field would otherwise change nothing, silently), and the error
/// names it and the fields there are. Bodies call it first in their `init(from:)`.
enum ClosedBody {
    /// Throws a `DecodingError` naming the first member of `decoder`'s object that is not one of
    /// `Keys`' cases.
    static func refuseUnknownMembers<Keys: CodingKey & CaseIterable>(of decoder: any Decoder, allowed: Keys.Type) throws {
        let known = Set(Keys.allCases.map(\.stringValue))
        for key in try decoder.container(keyedBy: AnyMember.self).allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: [key],
                    debugDescription: "unknown field \"\(key.stringValue)\"; the fields are \(known.sorted().joined(separator: ", "))"))
        }
    }

    /// Any member's name.
    private struct AnyMember: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
