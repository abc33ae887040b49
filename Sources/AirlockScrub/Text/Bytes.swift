/// Small byte helpers shared by the scrubber: matching in place, searching, runs of a class, lines.
enum Bytes {
    @inline(__always)
    static func equal(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ needle: [UInt8]) -> Bool {
        guard at >= 0, at + needle.count <= b.count else { return false }
        for i in 0..<needle.count where b[at + i] != needle[i] { return false }
        return true
    }

    /// `equal` for literals, without allocating.
    @inline(__always)
    static func equal(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard at >= 0, at + count <= b.count else { return false }
        let p = needle.utf8Start
        for i in 0..<count where b[at + i] != p[i] { return false }
        return true
    }

    static func find(_ b: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from: Int, limit: Int) -> Int? {
        let count = needle.utf8CodeUnitCount
        let end = min(limit, b.count) - count
        guard from <= end else { return nil }
        let first = needle.utf8Start[0]
        var i = from
        while i <= end {
            if b[i] == first, equal(b, i, needle) { return i }
            i += 1
        }
        return nil
    }

    /// Case-insensitive search for an ASCII needle (given in lower case) in `range`.
    static func containsFolded(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ needle: [UInt8]) -> Bool {
        guard needle.count <= range.count else { return false }
        var i = range.lowerBound
        let last = range.upperBound - needle.count
        outer: while i <= last {
            for j in 0..<needle.count where b[i + j].lowercasedASCII != needle[j] {
                i += 1
                continue outer
            }
            return true
        }
        return false
    }

    /// The first index of `needle` (exact case) in `from..<limit`.
    static func find(_ b: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], from: Int, limit: Int) -> Int? {
        let end = min(limit, b.count) - needle.count
        guard from <= end, let first = needle.first else { return nil }
        var i = from
        while i <= end {
            if b[i] == first, equal(b, i, needle) { return i }
            i += 1
        }
        return nil
    }

    static func run(_ b: UnsafeBufferPointer<UInt8>, from: Int, _ cls: ByteClass, max: Int) -> Int {
        var i = from
        while i < b.count, i - from <= max, cls.contains(b[i]) { i += 1 }
        return i
    }

    /// Whether a line holds nothing but spaces, tabs and a carriage return.
    static func isBlank(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        for i in line where b[i] != 0x20 && b[i] != 0x09 && b[i] != 0x0D { return false }
        return true
    }

    /// A line's indentation in columns, a tab counting four.
    static func indentation(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int {
        var n = 0
        for i in line {
            if b[i] == 0x20 { n += 1 } else if b[i] == 0x09 { n += 4 } else { break }
        }
        return n
    }

    static func runBackwards(_ b: UnsafeBufferPointer<UInt8>, before: Int, _ cls: ByteClass, max: Int) -> Int {
        var i = before
        while i > 0, before - i < max, cls.contains(b[i - 1]) { i -= 1 }
        return i
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
    /// JSON's whitespace: space, line feed, carriage return and tab.
    @inline(__always) var isJSONWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}

extension Array where Element == UInt8 {
    /// Without leading and trailing spaces and tabs.
    var trimmedOfSpaces: [UInt8] {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == 0x20 || self[start] == 0x09 { start += 1 }
        while end > start, self[end - 1] == 0x20 || self[end - 1] == 0x09 { end -= 1 }
        return Array(self[start..<end])
    }

    func equalsIgnoringASCIICase(_ other: StaticString) -> Bool {
        guard count == other.utf8CodeUnitCount else { return false }
        let o = UnsafeBufferPointer(start: other.utf8Start, count: other.utf8CodeUnitCount)
        return zip(self, o).allSatisfy { a, b in a.lowercasedASCII == b.lowercasedASCII }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
