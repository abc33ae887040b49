/// A parsed JSON value that remembers where each part sits in the original bytes,
/// so that a rewrite can replace single strings and leave every other byte as it was.
package indirect enum JSONNode: Sendable {
    case object([JSONMember], range: Range<Int>)
    case array([JSONNode], range: Range<Int>)
    /// `range` covers the quotes; `escaped` says whether the raw text differs from the decoded text.
    case string(range: Range<Int>, escaped: Bool)
    /// Numbers, `true`, `false` and `null`.
    case scalar(range: Range<Int>)

    package var range: Range<Int> {
        switch self {
        case .object(_, let r), .array(_, let r), .string(let r, _), .scalar(let r): r
        }
    }

    package subscript(key: String) -> JSONNode? {
        guard case .object(let members, _) = self else { return nil }
        return members.last { $0.key == key }?.value
    }
}

/// One `"key": value` pair of an object.
package struct JSONMember: Sendable {
    package var key: String
    /// Where the key's opening quote is.
    package var keyStart: Int
    package var value: JSONNode
}

/// Why a body could not be read as JSON. The message names the position, never the content.
package struct JSONSyntaxError: Error, Sendable, Equatable {
    package enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case invalidUTF8 = "invalid_utf8"
        case tooDeep = "nesting_too_deep"
    }
    package var code: Code
    package var offset: Int
    package var detail: String
}

/// A strict RFC 8259 parser over UTF-8 bytes with a nesting limit; it validates UTF-8 inside strings
/// and refuses escapes that decode to lone surrogates.
package struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let maxDepth: Int

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(JSONSyntaxError) -> JSONNode {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error(.invalidJSON, "unexpected data after the value") }
        return value
    }

    private func error(_ code: JSONSyntaxError.Code, _ detail: String) -> JSONSyntaxError {
        JSONSyntaxError(code: code, offset: index, detail: detail)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard index < bytes.count else { throw error(.invalidJSON, "unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            let (range, escaped) = try parseString()
            return .string(range: range, escaped: escaped)
        case UInt8(ascii: "t"): return try literal("true")
        case UInt8(ascii: "f"): return try literal("false")
        case UInt8(ascii: "n"): return try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error(.invalidJSON, "unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) -> JSONNode {
        let start = index
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error(.invalidJSON, "unexpected end of input") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] {
            throw error(.invalidJSON, "invalid literal")
        }
        index += count
        return .scalar(range: start..<index)
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONNode {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, bytes[index].isDigit else { throw error(.invalidJSON, "invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, bytes[index].isDigit { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, bytes[index].isDigit else { throw error(.invalidJSON, "invalid number") }
            while index < bytes.count, bytes[index].isDigit { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, bytes[index].isDigit else { throw error(.invalidJSON, "invalid number") }
            while index < bytes.count, bytes[index].isDigit { index += 1 }
        }
        return .scalar(range: start..<index)
    }

    private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard depth <= maxDepth else { throw error(.tooDeep, "nesting deeper than \(maxDepth) levels") }
        let start = index
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members, range: start..<index)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(.invalidJSON, "expected a string key")
            }
            let keyStart = index
            let (keyRange, escaped) = try parseString()
            let key = JSONStrings.decodeKey(bytes, keyRange, escaped: escaped)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error(.invalidJSON, "expected ':'")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(JSONMember(key: key, keyStart: keyStart, value: value))
            skipWhitespace()
            guard index < bytes.count else { throw error(.invalidJSON, "unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error(.invalidJSON, "expected ',' or '}'") }
            index += 1
            return .object(members, range: start..<index)
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard depth <= maxDepth else { throw error(.tooDeep, "nesting deeper than \(maxDepth) levels") }
        let start = index
        index += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements, range: start..<index)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error(.invalidJSON, "unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw error(.invalidJSON, "expected ',' or ']'") }
            index += 1
            return .array(elements, range: start..<index)
        }
    }

    /// Scans a string, validating escapes and UTF-8; returns its range including quotes.
    private mutating func parseString() throws(JSONSyntaxError) -> (Range<Int>, Bool) {
        let start = index
        index += 1
        var escaped = false
        while index < bytes.count {
            // Fast path: printable ASCII other than the quote and the backslash, eight bytes at a time.
            index = Word.skipPlainASCII(bytes, from: index)
            while index < bytes.count, bytes[index] &- 0x20 < 0x60, bytes[index] != UInt8(ascii: "\""),
                bytes[index] != UInt8(ascii: "\\")
            {
                index += 1
            }
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return (start..<index, escaped)
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                try parseEscape()
            } else if byte < 0x20 {
                throw error(.invalidJSON, "unescaped control character in a string")
            } else if byte < 0x80 {
                index += 1
            } else {
                let width = UTF8Validation.sequenceLength(bytes, at: index)
                guard width > 0 else { throw error(.invalidUTF8, "invalid UTF-8 in a string") }
                index += width
            }
        }
        throw error(.invalidJSON, "unterminated string")
    }

    private mutating func parseEscape() throws(JSONSyntaxError) {
        guard index + 1 < bytes.count else { throw error(.invalidJSON, "unterminated escape") }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard let unit = hex4(at: index + 2) else { throw error(.invalidJSON, "invalid \\u escape") }
            index += 6
            if (0xD800...0xDBFF).contains(unit) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u"),
                    let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
                else { throw error(.invalidUTF8, "\\u escape with an unpaired surrogate") }
                index += 6
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw error(.invalidUTF8, "\\u escape with an unpaired surrogate")
            }
        default:
            throw error(.invalidJSON, "invalid escape")
        }
    }

    private func hex4(at position: Int) -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for i in position..<position + 4 {
            guard let digit = bytes[i].hexValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}

/// Decoding and encoding of JSON string contents.
package enum JSONStrings {
    /// The decoded UTF-8 bytes of a string whose raw range (with quotes) was validated by the parser.
    package static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> [UInt8] {
        var unused: [Escape] = []
        return decode(bytes, range, escaped: escaped, recording: false, escapes: &unused)
    }

    /// Where an escape starts and ends in the raw bytes and in the decoded text.
    package struct Escape {
        var raw: Range<Int>
        var decoded: Range<Int>
    }

    /// `decode`, also listing where each escape is, for `rawOffsets`.
    package static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool, escapes: inout [Escape]
    ) -> [UInt8] {
        decode(bytes, range, escaped: escaped, recording: true, escapes: &escapes)
    }

    @inline(__always)
    private static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool, recording: Bool,
        escapes: inout [Escape]
    ) -> [UInt8] {
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        guard escaped else { return Array(bytes[inner]) }
        // Every escape is longer than what it stands for, so the raw length bounds the decoded one.
        return [UInt8](unsafeUninitializedCapacity: inner.count) { out, count in
            var o = 0
            @inline(__always) func put(_ byte: UInt8) {
                out[o] = byte
                o += 1
            }
            var i = inner.lowerBound
            while i < inner.upperBound {
                // Copy the run up to the next escape in one go.
                let next = Word.firstIndex(of: UInt8(ascii: "\\"), in: bytes, from: i, to: inner.upperBound)
                if next > i {
                    (out.baseAddress! + o).initialize(from: bytes.baseAddress! + i, count: next - i)
                    o += next - i
                }
                i = next
                guard i < inner.upperBound else { break }
                let escapeStart = (raw: i, decoded: o)
                let kind = bytes[i + 1]
                i += 2
                switch kind {
                case UInt8(ascii: "b"): put(0x08)
                case UInt8(ascii: "f"): put(0x0C)
                case UInt8(ascii: "n"): put(0x0A)
                case UInt8(ascii: "r"): put(0x0D)
                case UInt8(ascii: "t"): put(0x09)
                case UInt8(ascii: "u"):
                    var scalar = hex4(bytes, i)
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        let low = hex4(bytes, i + 2)
                        i += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    switch scalar {
                    case 0..<0x80:
                        put(UInt8(scalar))
                    case 0x80..<0x800:
                        put(UInt8(0xC0 | scalar >> 6))
                        put(UInt8(0x80 | scalar & 0x3F))
                    case 0x800..<0x10000:
                        put(UInt8(0xE0 | scalar >> 12))
                        put(UInt8(0x80 | (scalar >> 6) & 0x3F))
                        put(UInt8(0x80 | scalar & 0x3F))
                    default:
                        put(UInt8(0xF0 | scalar >> 18))
                        put(UInt8(0x80 | (scalar >> 12) & 0x3F))
                        put(UInt8(0x80 | (scalar >> 6) & 0x3F))
                        put(UInt8(0x80 | scalar & 0x3F))
                    }
                default: put(kind)
                }
                if recording { escapes.append(Escape(raw: escapeStart.raw..<i, decoded: escapeStart.decoded..<o)) }
            }
            count = o
        }
    }

    /// Where offsets into a decoded string lie in its raw bytes `range` (with quotes), given the escapes `decode`
    /// listed; nil when one falls inside the bytes an escape decodes to (a `\u` escape of a multibyte character),
    /// where the raw text has no such place. An offset at an escape maps to its backslash.
    package static func rawOffsets(_ range: Range<Int>, escapes: [Escape], of offsets: [Int]) -> [Int]? {
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        // Between escapes, and before the first and after the last, raw and decoded bytes pair one to one.
        let decodedCount =
            escapes.last.map { $0.decoded.upperBound + inner.upperBound - $0.raw.upperBound } ?? inner.count
        var result: [Int] = []
        result.reserveCapacity(offsets.count)
        for offset in offsets {
            guard offset >= 0, offset <= decodedCount else { return nil }
            // The last escape that starts at or before `offset`.
            var lo = 0
            var hi = escapes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if escapes[mid].decoded.lowerBound <= offset { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0 else {
                result.append(inner.lowerBound + offset)
                continue
            }
            let escape = escapes[lo - 1]
            if offset == escape.decoded.lowerBound {
                result.append(escape.raw.lowerBound)
            } else if offset >= escape.decoded.upperBound {
                result.append(escape.raw.upperBound + offset - escape.decoded.upperBound)
            } else {
                return nil
            }
        }
        return result
    }

    static func decodeKey(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> String {
        if !escaped {
            return String(decoding: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)], as: UTF8.self)
        }
        return String(decoding: decode(bytes, range, escaped: true), as: UTF8.self)
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in at..<at + 4 { value = value << 4 | UInt32(bytes[i].hexValue ?? 0) }
        return value
    }

    /// Appends `text` as a JSON string literal (with quotes, unless `quoted` is false). Non-ASCII stays as UTF-8.
    package static func encode(_ text: [UInt8], into out: inout [UInt8], quoted: Bool = true) {
        out.reserveCapacity(out.count + text.count + 16)
        if quoted { out.append(UInt8(ascii: "\"")) }
        text.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                // Copy the run of bytes that need no escaping in one go.
                let runStart = i
                i = Word.skipUnescaped(b, from: i)
                while i < b.count, b[i] >= 0x20, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i])) }
                guard i < b.count else { break }
                let byte = b[i]
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(hex.utf8Start[Int(byte >> 4)])
                    out.append(hex.utf8Start[Int(byte & 0xF)])
                }
                i += 1
            }
        }
        if quoted { out.append(UInt8(ascii: "\"")) }
    }
}

/// UTF-8 well-formedness per the Unicode standard (no overlongs, no surrogates, nothing above U+10FFFF).
package enum UTF8Validation {
    /// The length of the well-formed sequence that starts at `i`, or 0.
    @inline(__always)
    package static func sequenceLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = b[i]
        let n = b.count
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && b[k] & 0xC0 == 0x80 }
        switch lead {
        case 0x00..<0x80: return 1
        case 0xC2...0xDF: return cont(i + 1) ? 2 : 0
        case 0xE0:
            return i + 1 < n && (0xA0...0xBF).contains(b[i + 1]) && cont(i + 2) ? 3 : 0
        case 0xED:
            return i + 1 < n && (0x80...0x9F).contains(b[i + 1]) && cont(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(i + 1) && cont(i + 2) ? 3 : 0
        case 0xF0:
            return i + 1 < n && (0x90...0xBF).contains(b[i + 1]) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF4:
            return i + 1 < n && (0x80...0x8F).contains(b[i + 1]) && cont(i + 2) && cont(i + 3) ? 4 : 0
        default: return 0
        }
    }

    package static func isValid(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < b.count {
            if b[i] < 0x80 {
                i += 1
                continue
            }
            let width = sequenceLength(b, at: i)
            if width == 0 { return false }
            i += width
        }
        return true
    }
}

extension UInt8 {
    @inline(__always) var isDigit: Bool { self &- 0x30 < 10 }
    @inline(__always) var hexValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x37
        case 0x61...0x66: self - 0x57
        default: nil
        }
    }
    @inline(__always) var isASCIIAlphanumeric: Bool {
        (self | 0x20) &- 0x61 < 26 || self &- 0x30 < 10
    }
    @inline(__always) var isASCIILetter: Bool { (self | 0x20) &- 0x61 < 26 }
    @inline(__always) var lowercasedASCII: UInt8 { self &- 0x41 < 26 ? self | 0x20 : self }
}
