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
