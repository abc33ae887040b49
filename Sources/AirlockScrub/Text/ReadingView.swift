import Foundation

/// Text as a reader takes it, for the secret rules: percent-encoded bytes decoded (`Authorization%3A%20Bearer%20…`,
/// `postgres%3A%2F%2Fuser%3A…%40host`), invisible format characters dropped (zero-width space, non-joiner and joiner,
/// word joiner, byte-order mark, soft hyphen), and a long line broken inside an unbroken run joined to the next
/// (a token hard-wrapped by a terminal or a mail client). It is built only in windows around the places that read
/// differently, so text without any costs one look at its bytes, and each byte of a window maps back to the bytes
/// of the text it was read from.
struct ReadingView {
    /// One stretch of the text as it reads.
    struct Window {
        var bytes: [UInt8] = []
        /// For each byte of `bytes`, the first byte of the text it was read from, and one past its last.
        var origin: [Int] = []
        var originEnd: [Int] = []
        /// Offsets in `bytes` where a line break was taken out: the first byte of the next line.
        var joins: [Int] = []

        /// The bytes of the text that `range` of the window was read from.
        func original(_ range: Range<Int>) -> Range<Int> {
            origin[range.lowerBound]..<originEnd[range.upperBound - 1]
        }

        /// Whether `range` holds a place where two lines were joined.
        func joinsLines(_ range: Range<Int>) -> Bool {
            joins.contains { range.lowerBound < $0 && $0 < range.upperBound }
        }
    }

    /// How far around a place that reads differently the text is read again: the longest secret a rule confirms
    /// from a keyword near it.
    static let reach = 768
    /// A line shorter than this was not broken by a wrap.
    static let wrappedLineLength = 40

    /// The windows of `b` that read differently, in order and apart; both empty for most texts. `decoded` has
    /// percent-encoded bytes decoded and invisible characters dropped. `joined` has wrapped lines joined too, and
    /// only windows around such a wrap: a join changes how everything after it on the line reads, so only what
    /// crosses one counts (`joinsLines`).
    static func windows(_ b: UnsafeBufferPointer<UInt8>) -> (decoded: [Window], joined: [Window]) {
        var decoded: [Int] = []
        var wraps: [Int] = []
        var lineStart = 0
        let n = b.count
        var block = 0
        while block < n {
            // Most blocks of eight bytes hold none of the bytes that can start a change: `%`, a line break or a
            // byte above ASCII (a zero byte of the block XOR-ed with one of them repeated).
            while block + 8 <= n {
                let v = Word.load(b, block)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let percent = v ^ 0x2525_2525_2525_2525
                let newline = v ^ 0x0A0A_0A0A_0A0A_0A0A
                let zero = ((percent &- ones) & ~percent) | ((newline &- ones) & ~newline)
                guard (zero | v) & 0x8080_8080_8080_8080 == 0 else { break }
                block += 8
            }
            // The high bit of each such byte of the block is set in `m`, and the others are passed over.
            var m: UInt64 = 0
            if block >= n {
                break
            } else if block + 8 <= n {
                let v = Word.load(b, block)
                m = Word.matches(v, UInt8(ascii: "%")) | Word.matches(v, 0x0A) | (v & 0x8080_8080_8080_8080)
            } else {
                for k in block..<n where b[k] == UInt8(ascii: "%") || b[k] == 0x0A || b[k] >= 0x80 {
                    m |= 0x80 << (8 * UInt64(k - block))
                }
            }
            while m != 0 {
                let i = block + m.trailingZeroBitCount >> 3
                m &= m - 1
                let c = b[i]
                if c == 0x0A {
                    // A line shorter than a wrapped one needs no look.
                    if i - lineStart > wrappedLineLength, isWrap(b, i) { wraps.append(i) }
                    lineStart = i + 1
                } else if c == UInt8(ascii: "%") || c >= 0xC2, decodedEscape(b, i) != nil || invisibleLength(b, i) > 0 {
                    decoded.append(i)
                }
            }
            block += 8
        }
        return (
            windows(around: decoded, in: b).map { read(b, $0, joiningLines: false) },
            windows(around: wraps, in: b, reach: joinReach).map { read(b, $0, joiningLines: true) }
        )
    }

    /// How far around a wrap the joined lines are read: only what crosses the join counts, and a wrapped token is
    /// no longer than a line or two.
    static let joinReach = 256

    /// The stretches within `reach` of `places`, merged where they meet.
    private static func windows(around places: [Int], in b: UnsafeBufferPointer<UInt8>, reach: Int = reach)
        -> [Range<Int>]
    {
        var ranges: [Range<Int>] = []
        for place in places {
            let lower = max(0, place - reach)
            let upper = min(b.count, place + reach)
            if let last = ranges.last, lower <= last.upperBound {
                ranges[ranges.count - 1] = last.lowerBound..<upper
            } else {
                ranges.append(lower..<upper)
            }
        }
        return ranges
    }

    private static func read(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, joiningLines: Bool) -> Window {
        var window = Window()
        window.bytes.reserveCapacity(range.count)
        window.origin.reserveCapacity(range.count)
        window.originEnd.reserveCapacity(range.count)
        let special = mayReadDifferently
        var i = range.lowerBound
        while i < range.upperBound {
            if let byte = decodedEscape(b, i), i + 3 <= range.upperBound {
                window.bytes.append(byte)
                window.origin.append(i)
                window.originEnd.append(i + 3)
                i += 3
                continue
            }
            let invisible = invisibleLength(b, i)
            if invisible > 0 {
                i += invisible
                continue
            }
            if joiningLines, isWrap(b, i) {
                i += 1
                window.joins.append(window.bytes.count)
                continue
            }
            if joiningLines, b[i] == 0x0D, i + 1 < b.count, isWrap(b, i + 1) {
                i += 2
                window.joins.append(window.bytes.count)
                continue
            }
            // The bytes up to the next one that may read differently are taken as they are, at once.
            var end = i + 1
            while end < range.upperBound, !special.contains(b[end]) { end += 1 }
            window.bytes += b[i..<end]
            window.origin += i..<end
            window.originEnd += (i + 1)..<(end + 1)
            i = end
        }
        return window
    }

    /// The bytes at which `read` may take something other than the byte itself: a percent escape, the first byte of
    /// an invisible character, and a line break or carriage return that a wrap may take out.
    private static let mayReadDifferently = ByteClass([0xC2...0xC2, 0xE2...0xE2, 0xEF...0xEF], "%\n\r")

    /// The text with the escapes of a JSON or C string read as what they stand for (`\n`, `\t`, `\"`, `\\`), when it
    /// has two line breaks written that way or more: code pasted as a string inside prose (`{"script": "import
    /// os\nfor f in …"}`) has its lines only there. An escape inside a Markdown code span (`` `\r\n` ``, an odd number
    /// of backticks before it on its line) is prose naming the escape, and stays as written. Nil otherwise.
    static func unescaped(_ b: UnsafeBufferPointer<UInt8>) -> Window? {
        guard let base = b.baseAddress else { return nil }
        var breaks = 0
        var i = 0
        while i + 1 < b.count, breaks < 2,
            let found = memchr(base + i, Int32(UInt8(ascii: "\\")), b.count - i - 1)
        {
            i = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if b[i + 1] == UInt8(ascii: "n") { breaks += 1 }
            i += 2
        }
        guard breaks >= 2 else { return nil }
        var window = Window()
        window.bytes.reserveCapacity(b.count)
        window.origin.reserveCapacity(b.count)
        window.originEnd.reserveCapacity(b.count)
        i = 0
        var inSpan = false  // inside a Markdown code span
        var decoded = 0  // line breaks read from escapes
        while i < b.count {
            var byte = b[i]
            var length = 1
            if byte == UInt8(ascii: "`") {
                inSpan.toggle()
            } else if byte == 0x0A {
                inSpan = false
            } else if byte == UInt8(ascii: "\\"), i + 1 < b.count, !inSpan {
                length = 2
                switch b[i + 1] {
                case UInt8(ascii: "n"):
                    byte = 0x0A
                    decoded += 1
                case UInt8(ascii: "t"): byte = 0x09
                case UInt8(ascii: "r"): byte = 0x0D
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "'"): byte = b[i + 1]
                default: length = 1
                }
            }
            window.bytes.append(byte)
            window.origin.append(i)
            window.originEnd.append(i + length)
            i += length
        }
        return decoded >= 2 ? window : nil
    }

    /// The byte `%XX` at `i` stands for, if it is one.
    @inline(__always)
    private static func decodedEscape(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt8? {
        guard b[i] == UInt8(ascii: "%"), i + 2 < b.count, let high = b[i + 1].hexValue,
            let low = b[i + 2].hexValue
        else { return nil }
        return high << 4 | low
    }

    /// The length of the invisible format character at `i`, or 0: U+200B–U+200D, U+2060, U+FEFF and U+00AD.
    @inline(__always)
    private static func invisibleLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        switch b[i] {
        case 0xC2: return i + 1 < b.count && b[i + 1] == 0xAD ? 2 : 0
        case 0xE2:
            guard i + 2 < b.count else { return 0 }
            if b[i + 1] == 0x80, (0x8B...0x8D).contains(b[i + 2]) { return 3 }
            return b[i + 1] == 0x81 && b[i + 2] == 0xA0 ? 3 : 0
        case 0xEF: return i + 2 < b.count && b[i + 1] == 0xBB && b[i + 2] == 0xBF ? 3 : 0
        default: return 0
        }
    }

    /// Whether the line break at `i` wraps a token: a long line that ends inside a run of token bytes, and a next line
    /// that goes on with them, the two runs together as long as a token and holding letters and digits as a random
    /// token does (a line of code that ends with a name, and the next that starts with one, are not).
    @inline(__always)
    private static func isWrap(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        guard b[i] == 0x0A, i > 0, i + 1 < b.count else { return false }
        var end = i
        if b[end - 1] == 0x0D { end -= 1 }
        let token = ByteClass.tokenRun
        guard end > 0, token.contains(b[end - 1]), token.contains(b[i + 1]) else { return false }
        var left = end
        while left > 0, end - left < 256, token.contains(b[left - 1]) { left -= 1 }
        var right = i + 1
        while right < b.count, right - i < 256, token.contains(b[right]) { right += 1 }
        guard end - left >= 4, right - i - 1 >= 4, end - left + right - i - 1 >= 20 else { return false }
        var digit = false
        var letter = false
        for k in left..<end where !digit || !letter {
            if b[k].isDigit { digit = true } else if b[k].isASCIILetter { letter = true }
        }
        for k in (i + 1)..<right where !digit || !letter {
            if b[k].isDigit { digit = true } else if b[k].isASCIILetter { letter = true }
        }
        guard digit, letter else { return false }
        var start = left
        while start > 0, end - start < wrappedLineLength, b[start - 1] != 0x0A { start -= 1 }
        return end - start >= wrappedLineLength
    }
}

extension ByteClass {
    /// The bytes of an unbroken token run: letters, digits, `_` and `-`.
    static let tokenRun = ByteClass.alnum.union("_-")
}
