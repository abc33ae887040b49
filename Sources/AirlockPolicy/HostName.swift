import Foundation

/// A DNS host name in its one canonical form: IDNA A-labels, lowercase ASCII, no trailing dot.
public struct HostName: Hashable, Sendable, Comparable {
    public let value: String

    /// Why a host name could not be normalised. Raw values are stable codes.
    public enum Problem: String, Error, Sendable {
        case empty = "empty host"
        case tooLong = "host longer than 253 characters"
        case emptyLabel = "empty label"
        case labelTooLong = "label longer than 63 characters"
        case invalidCharacter = "character not allowed in a host name"
        case hyphenAtLabelEdge = "label starts or ends with a hyphen"
        case idnaFailure = "internationalised name does not normalise"
    }

    /// Normalises `text`: lowercases, removes one trailing dot, converts Unicode labels to punycode
    /// A-labels, and checks the letters-digits-hyphen rule on every label.
    public init(_ text: some StringProtocol) throws(Problem) {
        if let ascii = HostName.asciiFastPath(text) {
            self.value = ascii
            return
        }
        var s = String(text)
        if s.hasSuffix(".") { s.removeLast() }
        guard !s.isEmpty else { throw .empty }
        let composed = s.precomposedStringWithCanonicalMapping.lowercased()
        var labels: [String] = []
        for rawLabel in composed.split(separator: ".", omittingEmptySubsequences: false) {
            guard !rawLabel.isEmpty else { throw .emptyLabel }
            let label: String
            if rawLabel.unicodeScalars.allSatisfy(\.isASCII) {
                label = String(rawLabel)
            } else {
                // Reject compatibility and separator characters rather than guessing a mapping.
                guard
                    rawLabel.unicodeScalars.allSatisfy({
                        $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-"
                    }),
                    let encoded = Punycode.encode(String(rawLabel))
                else { throw .idnaFailure }
                label = "xn--" + encoded
            }
            guard label.utf8.count <= 63 else { throw .labelTooLong }
            guard label.utf8.allSatisfy({ HostName.isLDH($0) }) else { throw .invalidCharacter }
            guard !label.hasPrefix("-") && !label.hasSuffix("-") else { throw .hyphenAtLabelEdge }
            labels.append(label)
        }
        let joined = labels.joined(separator: ".")
        guard joined.utf8.count <= 253 else { throw .tooLong }
        self.value = joined
    }

    /// Already-canonical ASCII names (what clients send) skip Unicode normalisation: lowercase LDH labels of
    /// 1 to 63 bytes, no edge hyphens, at most 253 bytes. Anything else takes the full path.
    static func asciiFastPath(_ text: some StringProtocol) -> String? {
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        var count = 0
        for byte in text.utf8 {
            count += 1
            if byte == UInt8(ascii: ".") {
                if labelLength == 0 || previous == UInt8(ascii: "-") { return nil }
                labelLength = 0
            } else {
                guard isLDH(byte), labelLength < 63, !(labelLength == 0 && byte == UInt8(ascii: "-")) else {
                    return nil
                }
                labelLength += 1
            }
            previous = byte
        }
        guard count > 0, count <= 253, labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
        return String(text)
    }

    static func isLDH(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): true
        default: false
        }
    }

    public static func < (lhs: HostName, rhs: HostName) -> Bool { lhs.value < rhs.value }
}

extension HostName: CustomStringConvertible {
    public var description: String { value }
}

/// RFC 3492 punycode encoding of one label.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    private static func adapt(_ delta: Int, _ numPoints: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / numPoints
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    private static func digit(_ d: Int) -> Character {
        Character(Unicode.Scalar(UInt8(d < 26 ? d + 97 : d + 22)))
    }

    static func encode(_ input: String) -> String? {
        let scalars = input.unicodeScalars.map { Int($0.value) }
        var output = String(input.unicodeScalars.filter(\.isASCII).map(Character.init))
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias
        while handled < scalars.count {
            guard let m = scalars.filter({ $0 >= n }).min() else { return nil }
            let (product, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow else { return nil }
            delta += product
            n = m
            for c in scalars {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }
}
