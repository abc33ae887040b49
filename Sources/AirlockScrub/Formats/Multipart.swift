/// `multipart/form-data` request bodies (RFC 7578): file uploads (OpenAI and Anthropic Files, batch input files),
/// audio transcription and image edits.
///
/// The parser is strict wherever parsers disagree. Every occurrence of `--boundary` in the body must be a delimiter
/// in its canonical form (CRLF before it, CRLF or the closing `--` after it), there is no preamble and no epilogue
/// but one CRLF, and part headers are plain lines. A body that another parser could split into other parts than
/// these (an LF-only delimiter inside a part, a boundary that is only a prefix) is refused, so no part the upstream
/// reads can have been skipped here.
package enum Multipart {
    /// One part: the raw values of its `name` and `filename` parameters (and of every Content-Disposition
    /// parameter, all of which leave with the part), its declared type, and its content, as ranges of the body.
    package struct Part {
        package var name: Range<Int>?
        package var filename: Range<Int>?
        package var parameters: [Range<Int>] = []
        package var contentType: String?
        package var content: Range<Int>
    }

    static func failure(_ detail: String) -> ScrubError {
        ScrubError(code: .invalidMultipart, message: "the multipart/form-data body is not acceptable: \(detail)")
    }

    /// The boundary of a `multipart/form-data` Content-Type, or nil when the media type is another. A form-data
    /// type without exactly one valid boundary (1–70 of RFC 2046's characters, not ending in a space) is refused.
    package static func boundary(ofContentType value: String) throws(ScrubError) -> [UInt8]? {
        var parameters = value.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        let essence = Array(parameters.removeFirst()).trimmedOfSpaces
        guard essence.equalsIgnoringASCIICase("multipart/form-data") else { return nil }
        var boundary: [UInt8]?
        for parameter in parameters {
            let p = Array(parameter).trimmedOfSpaces
            guard let equals = p.firstIndex(of: UInt8(ascii: "=")) else { continue }
            guard Array(p[..<equals]).trimmedOfSpaces.equalsIgnoringASCIICase("boundary") else { continue }
            guard boundary == nil else { throw failure("the Content-Type names its boundary twice") }
            var v = Array(p[(equals + 1)...]).trimmedOfSpaces
            if v.count >= 2, v.first == UInt8(ascii: "\""), v.last == UInt8(ascii: "\"") {
                v = Array(v.dropFirst().dropLast())
            }
            boundary = v
        }
        guard let boundary else { throw failure("the Content-Type has no boundary") }
        guard (1...70).contains(boundary.count), boundary.allSatisfy(isBoundaryCharacter),
            boundary.last != UInt8(ascii: " ")
        else {
            throw failure("the boundary is not 1 to 70 of the characters RFC 2046 allows")
        }
        return boundary
    }

    private static func isBoundaryCharacter(_ c: UInt8) -> Bool {
        if c.isASCIIAlphanumeric { return true }
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"), UInt8(ascii: "_"),
            UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"),
            UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: " "):
            return true
        default: return false
        }
    }

    /// The parts of `body`, in order.
    package static func parts(_ body: UnsafeBufferPointer<UInt8>, boundary: [UInt8]) throws(ScrubError) -> [Part] {
        let dash = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        let found = occurrences(of: dash, in: body)
        guard found.first == 0 else {
            throw failure(found.isEmpty ? "it holds no boundary delimiter" : "it has text before the first boundary")
        }
        var parts: [Part] = []
        for (i, position) in found.enumerated() {
            let after = position + dash.count
            if i > 0, position < 2 || !(body[position - 2] == 0x0D && body[position - 1] == 0x0A) {
                throw failure("the boundary occurs inside a part")
            }
            if after + 1 < body.count, body[after] == UInt8(ascii: "-"), body[after + 1] == UInt8(ascii: "-") {
                // The closing delimiter: nothing may follow but one line break.
                guard i == found.count - 1 else { throw failure("the boundary occurs after the closing delimiter") }
                let rest = body.count - (after + 2)
                guard rest == 0 || (rest == 2 && body[after + 2] == 0x0D && body[after + 3] == 0x0A) else {
                    throw failure("it has text after the closing delimiter")
                }
                return parts
            }
            guard after + 1 < body.count, body[after] == 0x0D, body[after + 1] == 0x0A else {
                throw failure("a boundary delimiter is not followed by a line break")
            }
            guard i + 1 < found.count else { throw failure("it ends without its closing delimiter") }
            // The next delimiter's line break may be this one's: a part with nothing in it, not even headers.
            guard found[i + 1] - 2 >= after + 2 else { throw failure("a part has no Content-Disposition") }
            parts.append(try part(body, after + 2..<found[i + 1] - 2))
        }
        throw failure("it ends without its closing delimiter")
    }

    /// Every position where `pattern` starts in `body`, overlapping ones included (Horspool: the shift never passes
    /// an occurrence).
    static func occurrences(of pattern: [UInt8], in body: UnsafeBufferPointer<UInt8>) -> [Int] {
        let m = pattern.count
        guard m > 0, body.count >= m else { return [] }
        var shift = [Int](repeating: m, count: 256)
        for (i, c) in pattern.dropLast().enumerated() { shift[Int(c)] = m - 1 - i }
        var found: [Int] = []
        let last = pattern[m - 1]
        var i = 0
        pattern.withUnsafeBufferPointer { p in
            shift.withUnsafeBufferPointer { shift in
                while i <= body.count - m {
                    let tail = body[i + m - 1]
                    if tail == last, memoryEqual(body, i, p, m - 1) { found.append(i) }
                    i += shift[Int(tail)]
                }
            }
        }
        return found
    }

    @inline(__always)
    private static func memoryEqual(
        _ body: UnsafeBufferPointer<UInt8>, _ at: Int, _ pattern: UnsafeBufferPointer<UInt8>, _ count: Int
    ) -> Bool {
        var k = 0
        while k < count {
            if body[at + k] != pattern[k] { return false }
            k += 1
        }
        return true
    }

    /// Longest header block of one part.
    static let maxHeaderBytes = 8192

    private static func part(_ body: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ScrubError) -> Part {
        // The header block ends at the first empty line; a part must have one (its Content-Disposition).
        var end = range.lowerBound
        var blank: Int?
        while end + 3 < range.upperBound + 2, end - range.lowerBound <= maxHeaderBytes {
            if body[end] == 0x0D, body[end + 1] == 0x0A, body[end + 2] == 0x0D, body[end + 3] == 0x0A {
                blank = end
                break
            }
            end += 1
        }
        guard let blank, blank + 4 <= range.upperBound + 2 else {
            throw failure("a part's headers are longer than \(maxHeaderBytes) bytes or do not end with an empty line")
        }
        let headers = range.lowerBound..<blank
        var part = Part(content: min(blank + 4, range.upperBound)..<range.upperBound)
        var seen: Set<String> = []
        var lineStart = headers.lowerBound
        while lineStart < headers.upperBound {
            var lineEnd = lineStart
            while lineEnd < headers.upperBound, !(body[lineEnd] == 0x0D && body[lineEnd + 1] == 0x0A) { lineEnd += 1 }
            try header(body, lineStart..<lineEnd, into: &part, seen: &seen)
            lineStart = lineEnd + 2
        }
        guard seen.contains("content-disposition") else { throw failure("a part has no Content-Disposition") }
        return part
    }

    private static func header(
        _ body: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into part: inout Part, seen: inout Set<String>
    ) throws(ScrubError) {
        let bytes = Array(body[line])
        guard let first = bytes.first, first != 0x20, first != 0x09 else {
            throw failure("a part header is folded or empty")
        }
        guard !bytes.contains(0x0D), !bytes.contains(0x0A), !bytes.contains(0) else {
            throw failure("a part header holds a bare line break")
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            throw failure("a part header has no colon")
        }
        let name = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        let value = Array(bytes[(colon + 1)...]).trimmedOfSpaces
        guard ["content-disposition", "content-type", "content-transfer-encoding"].contains(name) else { return }
        guard seen.insert(name).inserted else { throw failure("a part has two \(name) headers") }
        switch name {
        case "content-type":
            part.contentType = String(decoding: value, as: UTF8.self)
        case "content-transfer-encoding":
            let coding = String(decoding: value, as: UTF8.self).lowercased()
            guard ["7bit", "8bit", "binary"].contains(coding) else {
                throw failure("a part has a Content-Transfer-Encoding other than 7bit, 8bit or binary")
            }
        default:
            let offset = line.lowerBound + colon + 1 + (bytes.count - colon - 1 - value.count - trailingSpaces(bytes))
            try disposition(value, at: offset, into: &part)
        }
    }

    private static func trailingSpaces(_ bytes: [UInt8]) -> Int {
        bytes.reversed().prefix { $0 == 0x20 || $0 == 0x09 }.count
    }

    /// `form-data; name="file"; filename="batch.jsonl"`. `offset` is where `value` starts in the body.
    private static func disposition(_ value: [UInt8], at offset: Int, into part: inout Part) throws(ScrubError) {
        var i = 0
        while i < value.count, value[i] != UInt8(ascii: ";") { i += 1 }
        guard Array(value[..<i]).trimmedOfSpaces.equalsIgnoringASCIICase("form-data") else {
            throw failure("a part's Content-Disposition is not form-data")
        }
        var names: Set<String> = []
        while i < value.count {
            i += 1  // the semicolon
            while i < value.count, value[i] == 0x20 || value[i] == 0x09 { i += 1 }
            let nameStart = i
            while i < value.count, value[i] != UInt8(ascii: "="), value[i] != UInt8(ascii: ";") { i += 1 }
            let name = String(decoding: Array(value[nameStart..<i]).trimmedOfSpaces, as: UTF8.self).lowercased()
            guard i < value.count, value[i] == UInt8(ascii: "=") else {
                if name.isEmpty { continue }
                throw failure("a Content-Disposition parameter has no value")
            }
            i += 1
            while i < value.count, value[i] == 0x20 || value[i] == 0x09 { i += 1 }
            let valueRange: Range<Int>
            if i < value.count, value[i] == UInt8(ascii: "\"") {
                let start = i + 1
                i = start
                while i < value.count, value[i] != UInt8(ascii: "\"") { i += value[i] == UInt8(ascii: "\\") ? 2 : 1 }
                guard i < value.count else { throw failure("a Content-Disposition parameter's quote is not closed") }
                valueRange = start..<i
                i += 1
                while i < value.count, value[i] == 0x20 || value[i] == 0x09 { i += 1 }
                guard i == value.count || value[i] == UInt8(ascii: ";") else {
                    throw failure("a Content-Disposition parameter has text after its quoted value")
                }
            } else {
                let start = i
                while i < value.count, value[i] != UInt8(ascii: ";") { i += 1 }
                valueRange = start..<start + Array(value[start..<i]).trimmedOfSpaces.count
            }
            guard names.insert(name).inserted else {
                throw failure("a Content-Disposition names one of its parameters twice")
            }
            let absolute = offset + valueRange.lowerBound..<offset + valueRange.upperBound
            part.parameters.append(absolute)
            if name == "name" { part.name = absolute }
            if name == "filename" || (name == "filename*" && part.filename == nil) { part.filename = absolute }
        }
    }
}
