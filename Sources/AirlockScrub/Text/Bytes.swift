/// Small byte helpers shared by the matchers.
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
}
