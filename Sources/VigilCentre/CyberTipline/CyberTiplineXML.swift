public import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The safe XML reader of the CyberTipline endpoints: reads one document into a tree of
/// ``Element``s, or refuses it with a ``CyberTiplineError`` and does nothing else.
///
/// Before any parser sees the bytes, a document is refused when it:
/// - is larger than ``Limits/bytes`` (1 MiB by default);
/// - is not UTF-8 (a UTF-16 or UTF-32 byte-order mark, a NUL byte, an invalid byte sequence, or an
///   XML declaration naming another encoding: a scan of other encodings could not see the markup);
/// - holds `<!` other than a comment (`<!--`) or a CDATA section (`<![CDATA[`): so no DOCTYPE, no
///   ENTITY, ELEMENT, ATTLIST or NOTATION declaration, hence no entity expansion (the "billion
///   laughs") and no external entity (XXE) can ever reach the parser;
/// - holds a processing instruction (`<?…?>`) other than the XML declaration at the start.
///
/// Then Foundation's `XMLParser` reads it with external entities off, and the reader stops at
/// ``Limits/depth`` levels of nesting and ``Limits/elements`` elements. Names are local names (a
/// namespace prefix is dropped); text is the concatenation of an element's text and CDATA.
public enum CyberTiplineXML {
    /// The reader's limits.
    public struct Limits: Sendable, Hashable {
        /// Bytes of the whole document.
        public var bytes: Int
        /// Levels of element nesting (the root is level 1).
        public var depth: Int
        /// Elements in the whole document.
        public var elements: Int

        /// Limits; the defaults fit every CyberTipline `<report>` and `<fileDetails>` document of a
        /// reasonable size (NCMEC's own nesting is at most 5 levels).
        public init(bytes: Int = 1 << 20, depth: Int = 16, elements: Int = 20_000) {
            self.bytes = bytes
            self.depth = depth
            self.elements = elements
        }
    }

    /// One element: its local name, attributes, child elements in document order, and text.
    public struct Element: Sendable, Hashable {
        /// The local name (without a namespace prefix).
        public var name: String
        /// The attributes, by local name.
        public var attributes: [String: String]
        /// The child elements, in document order.
        public var children: [Element]
        /// The element's own text (character data and CDATA, not its children's).
        public var text: String
        /// The line it starts on (1-based; 0 when unknown).
        public var line: Int

        /// An element.
        public init(name: String, attributes: [String: String] = [:], children: [Element] = [], text: String = "", line: Int = 0) {
            self.name = name
            self.attributes = attributes
            self.children = children
            self.text = text
            self.line = line
        }

        /// The first child named `name`.
        public func child(_ name: String) -> Element? { children.first(where: { $0.name == name }) }

        /// Every child named `name`, in document order.
        public func children(_ name: String) -> [Element] { children.filter { $0.name == name } }

        /// The trimmed text of the first child named `name`; nil when there is none or it is empty.
        public func text(_ name: String) -> String? {
            guard let text = child(name)?.text.trimmedXMLSpace, !text.isEmpty else { return nil }
            return text
        }
    }

    /// Reads `data` into its root element, or refuses it (see ``CyberTiplineXML``).
    public static func parse(_ data: Data, limits: Limits = Limits()) throws(CyberTiplineError) -> Element {
        try parse([UInt8](data), limits: limits)
    }

    /// Reads `bytes` into its root element, or refuses it (see ``CyberTiplineXML``).
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(CyberTiplineError) -> Element {
        try screen(bytes, limits: limits)
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        let builder = TreeBuilder(limits: limits)
        parser.delegate = builder
        let parsed = parser.parse()
        if let refusal = builder.refusal { throw refusal }
        guard parsed, let root = builder.root else {
            let detail = parser.parserError.map { " (\($0.localizedDescription))" } ?? ""
            throw CyberTiplineError(
                .malformed, "the body is not well-formed XML at line \(parser.lineNumber)\(detail): send one UTF-8 XML document")
        }
        return root
    }

    /// The checks made on the bytes before any parser sees them.
    static func screen(_ bytes: [UInt8], limits: Limits) throws(CyberTiplineError) {
        guard bytes.count <= limits.bytes else {
            throw CyberTiplineError(.tooLarge, "the document has \(bytes.count) bytes; at most \(limits.bytes) are accepted")
        }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            throw CyberTiplineError(.notUTF8, "the document is UTF-16 or UTF-32 (it starts with that byte-order mark): send UTF-8")
        }
        if let nul = bytes.firstIndex(of: 0) {
            throw CyberTiplineError(.notUTF8, "the document has a NUL byte at offset \(nul): send UTF-8 text")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw CyberTiplineError(.notUTF8, "the document is not valid UTF-8: send UTF-8 text")
        }
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var i = start
        while let open = index(of: [UInt8(ascii: "<")], in: bytes, from: i) {
            let next = open + 1 < bytes.count ? bytes[open + 1] : 0
            if next == UInt8(ascii: "!") {
                if matches(Array("<!--".utf8), bytes, at: open) {
                    guard let end = index(of: Array("-->".utf8), in: bytes, from: open + 4) else {
                        throw CyberTiplineError(.malformed, "a comment is not closed (no -->)")
                    }
                    i = end + 3
                } else if matches(Array("<![CDATA[".utf8), bytes, at: open) {
                    guard let end = index(of: Array("]]>".utf8), in: bytes, from: open + 9) else {
                        throw CyberTiplineError(.malformed, "a CDATA section is not closed (no ]]>)")
                    }
                    i = end + 3
                } else {
                    let word = String(decoding: bytes[(open + 2)...].prefix(while: isNameByte).prefix(16), as: UTF8.self)
                    throw CyberTiplineError(
                        .forbiddenMarkup,
                        "the document holds a <!\(word)…> declaration at line \(line(of: open, in: bytes)); DOCTYPE, ENTITY and every other "
                            + "declaration are refused: send the document without it (only comments and CDATA may start with <!)")
                }
            } else if next == UInt8(ascii: "?") {
                guard let end = index(of: Array("?>".utf8), in: bytes, from: open + 2) else {
                    throw CyberTiplineError(.malformed, "a processing instruction is not closed (no ?>)")
                }
                let target = String(decoding: bytes[(open + 2)...].prefix(while: isNameByte), as: UTF8.self)
                guard open == start, target == "xml" else {
                    throw CyberTiplineError(
                        .forbiddenMarkup,
                        "the document holds a processing instruction <?\(target)…?> at line \(line(of: open, in: bytes)); only the XML "
                            + "declaration, at the very start, is accepted")
                }
                try checkDeclaration(String(decoding: bytes[open..<end], as: UTF8.self))
                i = end + 2
            } else {
                i = open + 1
            }
        }
    }

    /// Refuses an XML declaration that names an encoding other than UTF-8 (or its subset US-ASCII).
    private static func checkDeclaration(_ declaration: String) throws(CyberTiplineError) {
        guard let range = declaration.range(of: "encoding") else { return }
        let rest = declaration[range.upperBound...].drop(while: { $0 == " " || $0 == "=" || $0 == "\t" })
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return }
        let name = rest.dropFirst().prefix(while: { $0 != quote }).lowercased()
        guard ["utf-8", "utf8", "us-ascii", "ascii"].contains(name) else {
            throw CyberTiplineError(.notUTF8, "the XML declaration names the encoding \"\(name)\": send UTF-8")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "[")
    }

    private static func matches(_ needle: [UInt8], _ bytes: [UInt8], at offset: Int) -> Bool {
        offset + needle.count <= bytes.count && bytes[offset..<(offset + needle.count)].elementsEqual(needle)
    }

    private static func index(of needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, start < bytes.count else { return nil }
        var i = start
        while i + needle.count <= bytes.count {
            guard let hit = bytes[i...].firstIndex(of: first) else { return nil }
            if matches(needle, bytes, at: hit) { return hit }
            i = hit + 1
        }
        return nil
    }

    private static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        bytes[..<offset].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }
}

/// Builds the element tree from the parser's events, enforcing the depth and element limits.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    let limits: CyberTiplineXML.Limits
    var stack: [CyberTiplineXML.Element] = []
    var root: CyberTiplineXML.Element?
    var count = 0
    var refusal: CyberTiplineError?

    init(limits: CyberTiplineXML.Limits) {
        self.limits = limits
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        count += 1
        if count > limits.elements {
            refuse(CyberTiplineError(.tooManyElements, "the document has more than \(limits.elements) elements"), parser)
            return
        }
        if stack.count + 1 > limits.depth {
            refuse(
                CyberTiplineError(
                    .tooDeep, "elements are nested more than \(limits.depth) levels deep (at line \(parser.lineNumber))"),
                parser)
            return
        }
        var attributes: [String: String] = [:]
        for (name, value) in attributeDict { attributes[Self.localName(name)] = value }
        stack.append(CyberTiplineXML.Element(name: Self.localName(elementName), attributes: attributes, line: parser.lineNumber))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard let element = stack.popLast() else { return }
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !stack.isEmpty { stack[stack.count - 1].text += string }
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: block, as: UTF8.self) }
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        refuse(CyberTiplineError(.forbiddenMarkup, "the document refers to the external entity \(name): entities are refused"), parser)
        return nil
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        refuse(CyberTiplineError(.forbiddenMarkup, "the document declares the entity \(name): entities are refused"), parser)
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuse(CyberTiplineError(.forbiddenMarkup, "the document declares the external entity \(name): entities are refused"), parser)
    }

    private func refuse(_ error: CyberTiplineError, _ parser: XMLParser) {
        if refusal == nil { refusal = error }
        parser.abortParsing()
    }

    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }
}

extension String {
    /// The text without leading and trailing XML white space (space, tab, line feed, carriage return).
    var trimmedXMLSpace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
