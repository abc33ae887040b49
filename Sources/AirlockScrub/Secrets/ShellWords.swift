/// The words of a shell command line (or, `multiline`, of a whitespace-separated file such as `.netrc`), as
/// ranges of their text with the quotes around a quoted word left out. A command line ends at a line break that
/// does not follow `\`, or at `|`, `;` or `&`.
struct ShellWords {
    private let b: UnsafeBufferPointer<UInt8>
    private var i: Int
    private let limit: Int
    private let multiline: Bool
    private var done = false

    init(_ b: UnsafeBufferPointer<UInt8>, from: Int, limit: Int, multiline: Bool) {
        self.b = b
        self.i = from
        self.limit = limit
        self.multiline = multiline
    }

    mutating func next() -> Range<Int>? {
        guard !done else { return nil }
        // Blanks, and line breaks where they do not end the command.
        while i < limit {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0D {
                i += 1
            } else if c == 0x0A, multiline {
                i += 1
            } else if c == UInt8(ascii: "\\"), i + 1 < limit, b[i + 1] == 0x0A || b[i + 1] == 0x0D {
                i += 2
            } else {
                break
            }
        }
        guard i < limit, !isEnd(b[i]) else {
            done = true
            return nil
        }
        let open = b[i]
        if open == UInt8(ascii: "'") || open == UInt8(ascii: "\"") {
            var close = i + 1
            while close < limit, b[close] != open, b[close] != 0x0A { close += 1 }
            guard close < limit, b[close] == open else {
                done = true
                return nil
            }
            // A quoted part that the word goes on after (`"user":"password"`, as the shell joins them): the whole
            // word, its quotes in it.
            guard close + 1 < limit, b[close + 1] > 0x20, !isEnd(b[close + 1]) else {
                defer { i = close + 1 }
                return i + 1..<close
            }
        }
        let start = i
        while i < limit, b[i] > 0x20, !isEnd(b[i]) {
            let c = b[i]
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\""), i == start || !multiline {
                var close = i + 1
                while close < limit, b[close] != c, b[close] != 0x0A { close += 1 }
                if close < limit, b[close] == c {
                    i = close + 1
                    continue
                }
            }
            i += 1
        }
        return start..<i
    }

    private func isEnd(_ c: UInt8) -> Bool {
        if multiline { return false }
        return c == 0x0A || c == UInt8(ascii: "|") || c == UInt8(ascii: ";") || c == UInt8(ascii: "&")
    }

    /// `range` without one pair of quotes around it.
    static func unquoted(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        guard range.count >= 2 else { return range }
        let first = b[range.lowerBound]
        guard first == UInt8(ascii: "'") || first == UInt8(ascii: "\""), b[range.upperBound - 1] == first else {
            return range
        }
        return range.lowerBound + 1..<range.upperBound - 1
    }
}
