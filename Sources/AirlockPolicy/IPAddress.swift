import Foundation

/// An IPv4 or IPv6 address as raw bytes, parsed from every textual form a resolver would accept.
public struct IPAddress: Hashable, Sendable {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses an address literal. Besides dotted quads this accepts the legacy `inet_aton` forms
    /// (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) because resolvers and HTTP clients accept
    /// them too, and an allowlist that did not recognise them could be walked around. IPv6 may be bracketed
    /// and may end in an embedded dotted quad; a zone index is rejected.
    public init?(parsing text: some StringProtocol) {
        var s = Substring(text)
        if s.hasPrefix("[") && s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if s.contains(":") {
            guard let v6 = IPAddress.parseIPv6(s) else { return nil }
            self.bytes = v6
        } else {
            guard let v4 = IPAddress.parseIPv4Legacy(s) else { return nil }
            self.bytes = withUnsafeBytes(of: v4.bigEndian) { Array($0) }
        }
    }

    /// The IPv4 address as a host-order integer, for IPv4 addresses.
    public var ipv4Value: UInt32? {
        guard isIPv4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func parseNumber(_ part: Substring) -> UInt64? {
        guard !part.isEmpty else { return nil }
        var digits = part
        var radix: UInt64 = 10
        if digits.count > 1, digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
            if digits.isEmpty { return 0 }
        } else if digits.count > 1, digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        var value: UInt64 = 0
        for ch in digits.utf8 {
            let d: UInt64
            switch ch {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(ch - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(ch - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(ch - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard d < radix else { return nil }
            value = value * radix + d
            guard value <= UInt64(UInt32.max) else { return nil }
        }
        return value
    }

    static func parseIPv4Legacy(_ s: Substring) -> UInt32? {
        var text = s
        if text.hasSuffix(".") { text = text.dropLast() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let n = parseNumber(part) else { return nil }
            numbers.append(n)
        }
        // a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits), a (32 bits)
        let last = numbers.removeLast()
        if numbers.contains(where: { $0 > 255 }) { return nil }
        let lastBits = 8 * (4 - numbers.count)
        guard last < (UInt64(1) << lastBits) else { return nil }
        var value: UInt64 = 0
        for (i, n) in numbers.enumerated() { value |= n << (24 - 8 * i) }
        return UInt32(value | last)
    }

    static func parseStrictDottedQuad(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let n = UInt8(p) else { return nil }
            out.append(n)
        }
        return out
    }

    static func parseIPv6(_ s: Substring) -> [UInt8]? {
        guard !s.contains("%") else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var embedded: [UInt8]? = nil
        let pieces = s.components(separatedBy: "::")
        guard pieces.count <= 2 else { return nil }
        func groups(_ text: String, allowEmbedded: Bool) -> [UInt16]? {
            if text.isEmpty { return [] }
            var result: [UInt16] = []
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if allowEmbedded && i == parts.count - 1 && p.contains(".") {
                    guard let v4 = parseStrictDottedQuad(p) else { return nil }
                    embedded = v4
                    continue
                }
                guard (1...4).contains(p.count), let v = UInt16(p, radix: 16) else { return nil }
                result.append(v)
            }
            return result
        }
        if pieces.count == 2 {
            sawGap = true
            guard let h = groups(pieces[0], allowEmbedded: false), let t = groups(pieces[1], allowEmbedded: true)
            else { return nil }
            head = h
            tail = t
        } else {
            guard let h = groups(pieces[0], allowEmbedded: true) else { return nil }
            head = h
        }
        let embeddedGroups = embedded == nil ? 0 : 2
        let used = head.count + tail.count + embeddedGroups
        if sawGap {
            guard used <= 7 else { return nil }
        } else {
            guard used == 8 else { return nil }
        }
        let zeros = Array(repeating: UInt16(0), count: 8 - used)
        var out: [UInt8] = []
        for g in head + zeros + tail {
            out.append(UInt8(g >> 8))
            out.append(UInt8(g & 0xff))
        }
        if let embedded { out += embedded }
        return out
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
        // Compress the longest run of zero groups (RFC 5952).
        var bestStart = -1
        var bestLen = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i > 1 { (bestStart, bestLen) = (i, j - i) }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ g: ArraySlice<UInt16>) -> String { g.map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLen)...])
    }
}
