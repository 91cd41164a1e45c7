import Foundation

/// An IPv4 or IPv6 address as its bytes (4 or 16), with the rules for which addresses a node may
/// connect to when it fetches content or delivers a webhook (see ``AddressScope`` and ``AddressPolicy``).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// An address from its 4 (IPv4) or 16 (IPv6) bytes; nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the strict textual forms: dotted-quad IPv4 (four decimal parts 0-255, no leading
    /// zeros) and IPv6 (`::` once at most, an optional dotted-quad tail, no zone), with or without
    /// brackets. Anything else (`127.1`, `0x7f.0.0.1`, `2130706433`) is nil: such a host is a name
    /// for the resolver, whose answer is checked like any other.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let v4 = Self.parseIPv4(text) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address an IPv6 address carries (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
    /// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::`), or nil.
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let prefix = bytes[0..<12]
        if prefix.dropLast(2).allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return IPAddress(bytes: Array(bytes[12..<16])) }
        if prefix.allSatisfy({ $0 == 0 }) && !bytes[12..<15].allSatisfy({ $0 == 0 }) { return IPAddress(bytes: Array(bytes[12..<16])) }
        if bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return IPAddress(bytes: Array(bytes[12..<16])) }
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return IPAddress(bytes: Array(bytes[2..<6])) }
        return nil
    }

    /// The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, the same host), else itself.
    public var unmapped: IPAddress {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff,
            let v4 = IPAddress(bytes: Array(bytes[12..<16]))
        else { return self }
        return v4
    }

    /// Dotted-quad for IPv4; lower-case hexadecimal groups for IPv6, the longest run of two or more
    /// zero groups written `::`.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > best.length { best = (index, end - index) }
            index = end
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard best.length >= 2 else { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    /// What kind of network the address belongs to (see ``AddressScope``).
    public var scope: AddressScope {
        if Self.cloudMetadata.contains(self) { return .cloudMetadata }
        if let v4 = embeddedIPv4 { return v4.scope }
        return isIPv4 ? Self.scopeOfIPv4(bytes) : Self.scopeOfIPv6(bytes)
    }

    /// The cloud providers' instance metadata services: AWS, GCP, Azure, Oracle and others on
    /// 169.254.169.254, AWS ECS task metadata on 169.254.170.2, Alibaba on 100.100.100.200, AWS's
    /// IPv6 endpoint fd00:ec2::254.
    public static let cloudMetadata: Set<IPAddress> = Set(
        ["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"].compactMap { IPAddress($0) })

    private static func scopeOfIPv4(_ b: [UInt8]) -> AddressScope {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return .unspecified
        case (127, _, _): return .loopback
        case (10, _, _), (172, 16...31, _), (192, 168, _), (100, 64...127, _): return .privateNetwork
        case (169, 254, _): return .linkLocal
        case (224...239, _, _): return .multicast
        case (240...255, _, _): return .reserved  // future use and the broadcast address
        case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), (198, 18...19, _), (192, 88, 99): return .reserved
        default: return .global
        }
    }

    private static func scopeOfIPv6(_ b: [UInt8]) -> AddressScope {
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        switch (b[0], b[1]) {
        case (0xff, _): return .multicast
        case (0xfe, 0x80...0xbf): return .linkLocal
        case (0xfe, 0xc0...0xff): return .privateNetwork  // the former site-local addresses
        case (0xfc...0xfd, _): return .privateNetwork  // unique local addresses, fc00::/7
        default: break
        }
        if b[0..<6] == [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01] { return .privateNetwork }  // local-use NAT64, 64:ff9b:1::/48
        if b[0..<4] == [0x20, 0x01, 0x0d, 0xb8] { return .reserved }  // documentation, 2001:db8::/32
        if b[0..<4] == [0x20, 0x01, 0x00, 0x00] { return .reserved }  // Teredo tunnels carry another address
        guard b[0] & 0xe0 == 0x20 else { return .reserved }  // only 2000::/3 is allocated for global unicast
        return .global
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":"), !text.contains("%") else { return nil }
        var head: [Substring] = []
        var tail: [Substring] = []
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        head = halves[0].isEmpty ? [] : halves[0].split(separator: ":", omittingEmptySubsequences: false)
        if halves.count == 2 { tail = halves[1].isEmpty ? [] : halves[1].split(separator: ":", omittingEmptySubsequences: false) }
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        func read(_ parts: [Substring], into target: inout [UInt16], last: Bool) -> Bool {
            for (index, part) in parts.enumerated() {
                if last && index == parts.count - 1 && part.contains(".") {
                    guard let v4 = parseIPv4(part) else { return false }
                    target.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    target.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard (1...4).contains(part.count), let value = UInt16(part, radix: 16), part.allSatisfy(\.isHexDigit) else { return false }
                target.append(value)
            }
            return true
        }
        guard read(head, into: &groups, last: halves.count == 1), read(tail, into: &tailGroups, last: true) else { return nil }
        if halves.count == 2 {
            guard groups.count + tailGroups.count <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - groups.count - tailGroups.count) + tailGroups
        }
        guard groups.count == 8 else { return nil }
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

/// The kind of network an address belongs to, as far as connecting out is concerned.
public enum AddressScope: String, Sendable, Hashable, CaseIterable {
    /// A public unicast address.
    case global
    /// This machine: 127.0.0.0/8, ::1.
    case loopback
    /// A private network: 10/8, 172.16/12, 192.168/16, the shared 100.64/10, fc00::/7, fec0::/10.
    case privateNetwork = "private"
    /// Link-local: 169.254/16, fe80::/10.
    case linkLocal = "link-local"
    /// A cloud instance metadata service (``IPAddress/cloudMetadata``): never a content origin.
    case cloudMetadata = "cloud metadata"
    /// Multicast: 224/4, ff00::/8.
    case multicast
    /// The unspecified address (0.0.0.0/8, ::), which reaches this machine.
    case unspecified
    /// Documentation, benchmarking, future-use, broadcast and tunnel ranges, and IPv6 outside 2000::/3.
    case reserved

    /// The scope in words, with its article: "a loopback address".
    public var phrase: String {
        switch self {
        case .global: "a public address"
        case .loopback: "a loopback address"
        case .privateNetwork: "a private address"
        case .linkLocal: "a link-local address"
        case .cloudMetadata: "a cloud metadata address"
        case .multicast: "a multicast address"
        case .unspecified: "the unspecified address"
        case .reserved: "a reserved address"
        }
    }
}

/// Which addresses a node may connect to: public ones always; loopback, private and link-local
/// ones only when ``allowPrivate`` is on (a node whose content or webhook receivers are on its own
/// network); metadata, multicast, unspecified and reserved ones never.
public struct AddressPolicy: Sendable, Hashable {
    /// Whether loopback, private and link-local addresses may be connected to.
    public var allowPrivate: Bool
    /// The setting that turns ``allowPrivate`` on, named in refusals (`fetch.allow-private`).
    public var setting: String

    /// Creates a policy; by default only public addresses are allowed.
    public init(allowPrivate: Bool = false, setting: String) {
        self.allowPrivate = allowPrivate
        self.setting = setting
    }

    /// Why `address` is refused, or nil when it is allowed; `host` is the name that resolved to
    /// it, if it came from one ("cdn.example resolves to 10.0.0.5, a private address: …").
    public func refusal(of address: IPAddress, host: String? = nil) -> String? {
        let what = host.map { "\($0) resolves to \(address), \(address.scope.phrase)" } ?? "\(address) is \(address.scope.phrase)"
        switch address.scope {
        case .global: return nil
        case .loopback, .privateNetwork, .linkLocal:
            if allowPrivate { return nil }
            return "\(what): loopback, private and link-local addresses are refused unless \(setting) is on"
        case .cloudMetadata, .multicast, .unspecified, .reserved:
            return "\(what), which is never connected to"
        }
    }
}
