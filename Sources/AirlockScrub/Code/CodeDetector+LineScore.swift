import Foundation

extension CodeDetector {
    /// How much a line looks like code: positive for statement shapes, negative for sentences.
    /// One pass over the bytes with a flag table; words are packed into integers, never made into strings.
    func score(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Double {
        var lo = line.lowerBound
        var hi = line.upperBound
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 || b[hi - 1] == 0x0D { hi -= 1 }
        guard lo < hi else { return 0 }
        // IPython's prompts: what follows `In [3]:` was typed in to be run, and `...:` goes on with it.
        if let rest = afterPrompt(b, lo, hi) { return rest < hi ? max(2, score(b, rest..<hi)) : 0.5 }
        let s = shapeScore(b, lo, hi)
        // An indented `# ` line is a comment inside code, however many small words it has: a Markdown heading is never
        // indented.
        if s < 0.5, lo > line.lowerBound, b[lo] == UInt8(ascii: "#"), hi - lo > 1, b[lo + 1] == 0x20 { return 0.5 }
        // Stack frames, tracebacks and test failures are error output, which prose may quote; so is maths. Only a
        // line that reads somewhat like code needs the look.
        guard s > 0 else { return s }
        if Diagnostics.isDiagnostic(b, lo..<hi)
            || (Diagnostics.isMaths(b, lo..<hi) && !ToolOutput.hasQualifiedNames(b, lo..<hi))
            || ToolOutput.isOutput(b, lo..<hi)
        {
            return -3
        }
        // A preprocessor directive written with blanks after `#` (`#  define FMT_MAP_2(f, a, b)`).
        if b[lo] == UInt8(ascii: "#"), isSpacedDirective(b, lo..<hi) { return 3 }
        // Markdown's headings and links: neutral, as a comment is.
        if s > 0.5, ToolOutput.isMarkup(b, lo..<hi) { return 0.5 }
        return s
    }

    /// Where the code after an IPython prompt starts (`In [3]: `, `   ...: `), in a trimmed line.
    @inline(__always)
    private func afterPrompt(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int? {
        var i: Int
        if b[lo] == UInt8(ascii: "I"), Bytes.equal(b, lo, "In [") {
            i = lo + 4
            let digits = i
            while i < hi, b[i].isDigit { i += 1 }
            guard i > digits, Bytes.equal(b, i, "]:") else { return nil }
            i += 2
        } else if b[lo] == UInt8(ascii: "."), Bytes.equal(b, lo, "...:") {
            i = lo + 4
        } else {
            return nil
        }
        guard i == hi || b[i] == 0x20 else { return nil }
        while i < hi, b[i] == 0x20 { i += 1 }
        return i
    }

    /// `#`, blanks, then `define`, `include`, `if…`, `endif`, `pragma` or `undef` and a blank or the end.
    private func isSpacedDirective(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound + 1
        while i < line.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        guard i > line.lowerBound + 1 else { return false }
        for word: StaticString in ["define ", "include ", "if ", "ifdef ", "ifndef ", "undef ", "elif "]
        where Bytes.equal(b, i, word) {
            // What follows is a header or a macro's name (`<stdio.h>`, `FMT_MAP_2(`, `defined(X)`), not a word of a
            // comment such as `# define the handler`.
            var j = i + word.utf8CodeUnitCount
            guard j < line.upperBound else { return false }
            if b[j] == UInt8(ascii: "<") || b[j] == UInt8(ascii: "\"") { return true }
            var macro = false
            while j < line.upperBound, b[j].isASCIIAlphanumeric || b[j] == UInt8(ascii: "_") {
                if b[j] &- 0x41 < 26 || b[j] == UInt8(ascii: "_") { macro = true }
                j += 1
            }
            return macro || (j < line.upperBound && b[j] == UInt8(ascii: "("))
        }
        return Bytes.equal(b, i, "endif") && (i + 5 == line.upperBound || b[i + 5] == 0x20)
    }

    /// `score` of the line `lo..<hi` (trimmed, not empty) by its shape alone.
    private func shapeScore(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Double {
        let flags = tables.flagTable
        let caseCounts = tables.caseCounts
        if b[lo] == UInt8(ascii: "["), Bytes.equal(b, lo, "[REDACTED:") { return 0 }

        var s = 0.0
        let first = b[lo]
        let last = b[hi - 1]

        // A quoted line (`> `, as mail and Markdown quote) reads as what it quotes.
        if first == UInt8(ascii: ">") {
            var rest = lo
            while rest < hi, b[rest] == UInt8(ascii: ">") || b[rest] == 0x20 { rest += 1 }
            return rest < hi ? score(b, rest..<hi) : 0
        }
        // Markdown list items read as prose.
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "*"), hi - lo > 1, b[lo + 1] == 0x20 {
            s -= 1
        }

        var symbols = 0
        var nonSpace = 0
        var words = 0
        var stop = 0
        var operators = 0
        var hasCall = false
        var firstWordEnd = -1
        var firstWordPacked: UInt64 = 0
        // The shape of the words, which tells code in a language without a keyword table: capitals and small
        // letters, and names no sentence has (`lt_vbak`, `_total`, `AddLine`).
        var capitals = 0
        var smalls = 0
        var names = 0
        var capitalWords = 0
        var i = lo
        // Word by word, until the word and stopword counts have passed every threshold the score uses.
        while i < hi, stop < 4 || words < 12 {
            let c = b[i]
            let f = flags[Int(c)]
            if f & WordTables.word != 0 {
                // `raw` keeps the word's last eight bytes, which are all of it when it is short enough to matter.
                let start = i
                var raw: UInt64 = 0
                var cases: UInt64 = 0  // capitals in the high half, small letters in the low
                var seen: UInt8 = 0  // every flag of the word's bytes
                var turns: UInt8 = 0  // `small` set where a small letter comes before a capital
                var previous: UInt8 = 0
                while i < hi {
                    let byte = b[i]
                    let f = flags[Int(byte)]
                    guard f & WordTables.word != 0 else { break }
                    raw = raw << 8 | UInt64(byte)
                    cases &+= caseCounts[Int(byte)]
                    // `capital` is `small` shifted right by one.
                    turns |= previous & (f << 1)
                    seen |= f
                    previous = f
                    i += 1
                }
                let wordCapitals = Int(truncatingIfNeeded: cases >> 32)
                smalls &+= Int(truncatingIfNeeded: cases & 0xFFFF_FFFF)
                // A capital after a small letter (`addLine`), or `_`, joins words.
                let joined = turns & WordTables.small | seen & WordTables.joiner
                let length = i - start
                nonSpace += length
                capitals += wordCapitals
                // A name in capitals (`LOG_LEVEL`) is a constant or a setting's name, which data has too.
                if joined != 0, length > 1, wordCapitals < length - 1 { names += 1 }
                if wordCapitals >= 2, wordCapitals == length { capitalWords += 1 }
                if firstWordEnd < 0 {
                    firstWordEnd = i
                    firstWordPacked = length <= 8 ? raw : 0
                }
                if i < hi, b[i] == UInt8(ascii: "(") { hasCall = true }
                if flags[Int(b[start])] & WordTables.letter != 0 {
                    words += 1
                    // Setting bit 5 of every byte lowercases letters and leaves digits alone; `_` becomes a byte
                    // no stopword has.
                    if length <= 6, tables.stopwords.contains(raw | (0x2020_2020_2020 >> (8 * (6 - length)))) {
                        stop += 1
                    }
                }
                continue
            }
            if f & WordTables.space == 0 { nonSpace += 1 }
            if f & WordTables.symbol != 0 { symbols += 1 }
            if f & WordTables.operatorStart != 0, i + 1 < hi, tables.isOperator(c, b[i + 1]) { operators += 1 }
            i += 1
        }
        // The rest of a long sentence-like line only adds symbols and non-space bytes, and rarely a call or an
        // operator: one table lookup per byte counts both, and rare bytes take the branch.
        if i < hi, let base = b.baseAddress {
            let counts = tables.tailCounts
            var packed: UInt64 = 0
            var j = i
            while j < hi {
                // Four bytes at a time while none of them is rare, which is most of a sentence.
                if j + 4 <= hi {
                    let v0 = counts[Int(base[j])]
                    let v1 = counts[Int(base[j + 1])]
                    let v2 = counts[Int(base[j + 2])]
                    let v3 = counts[Int(base[j + 3])]
                    if (v0 | v1 | v2 | v3) & WordTables.tailRare == 0 {
                        packed &+= v0 &+ v1 &+ v2 &+ v3
                        j += 4
                        continue
                    }
                }
                let c = base[j]
                let v = counts[Int(c)]
                packed &+= v & WordTables.tailCountMask
                if v & WordTables.tailRare != 0 {
                    if c == UInt8(ascii: "(") {
                        if flags[Int(base[j - 1])] & WordTables.word != 0 { hasCall = true }
                    } else if j + 1 < hi, tables.isOperator(c, base[j + 1]) {
                        operators += 1
                    }
                }
                j += 1
            }
            symbols += Int(truncatingIfNeeded: packed & 0xFFFF_FFFF)
            nonSpace += hi - i - Int(truncatingIfNeeded: (packed >> 32) & 0x7FFF_FFFF)
        }

        // Comments are neutral: they belong to the code around them.
        if (first == UInt8(ascii: "/") && hi - lo > 1
            && (b[lo + 1] == UInt8(ascii: "/") || b[lo + 1] == UInt8(ascii: "*")))
            || (first == UInt8(ascii: "*") && (hi - lo == 1 || b[lo + 1] == 0x20 || b[lo + 1] == UInt8(ascii: "/")))
            || (first == UInt8(ascii: "#") && hi - lo > 1 && b[lo + 1] == 0x20 && stop < 3)
            || (first == UInt8(ascii: "-") && Bytes.equal(b, lo, "-- "))
        {
            return 0.5
        }

        // The first word: a statement keyword or a preprocessor line.
        if first == UInt8(ascii: "#") {
            if Bytes.equal(b, lo, "#include") || Bytes.equal(b, lo, "#define") || Bytes.equal(b, lo, "#!/")
                || Bytes.equal(b, lo, "#import")
            {
                s += 3
            }
        } else if first == UInt8(ascii: "@"), hi - lo > 1, b[lo + 1].isASCIILetter, words <= 4 {
            s += 1.5  // decorators and annotations
        } else if firstWordEnd > lo, first.isASCIILetter, firstWordPacked != 0,
            tables.statementStarts.contains(firstWordPacked)
        {
            let next = firstWordEnd < hi ? b[firstWordEnd] : 0x20
            if next == 0x20 || next == UInt8(ascii: "(") || next == UInt8(ascii: ":") || next == UInt8(ascii: ";")
                || next == UInt8(ascii: "{") || firstWordEnd == hi
            {
                s += (symbols > 0 || words <= 3) ? 2 : 1
            }
        } else if first &- 0x41 < 26, firstWordPacked != 0, stop <= 1,
            tables.statementStarts.contains(firstWordPacked | UInt64(0x20) << (8 * (firstWordEnd - lo - 1)))
        {
            // A keyword with a capital, as VB.NET and Pascal write them; a sentence that starts with one has its
            // small words.
            s += 1
        }

        // How the line ends.
        switch last {
        case UInt8(ascii: ";"): s += 2
        case UInt8(ascii: "{"): s += 2
        case UInt8(ascii: "}"), UInt8(ascii: "]"): s += (hi - lo <= 3 ? 2 : 1)
        case UInt8(ascii: ")"): s += (hi - lo <= 3 ? 2 : 1)
        case UInt8(ascii: ":"):
            if s > 0 { s += 1.5 }
        case UInt8(ascii: ","):
            s += 0.5
        case UInt8(ascii: "\\"):
            s += 1
        default: break
        }

        // Names joined from words, and lines of capitals (COBOL, ABAP, SQL): code whether or not a table knows its
        // language. A line of capitals with many small words (`THE SOFTWARE IS PROVIDED "AS IS"`) still reads as
        // prose below.
        let letters = capitals + smalls
        let shouted = letters >= 4 && capitals * 5 >= letters * 4
        if names > 0 { s += names >= 2 ? 1.5 : 1 }
        if shouted { s += 1.5 }

        // Operators, calls, assignments.
        s += Double(min(operators, 2))
        if hasCall { s += 1 }
        if symbols > 0, hasAssignment(b, lo, hi) { s += 1.5 }

        let density = nonSpace > 0 ? Double(symbols) / Double(nonSpace) : 0
        if density >= 0.2 { s += 2 } else if density >= 0.1 { s += 1 }

        // A statement of COBOL or ABAP (`MOVE WS-TOTAL TO OUT-TOTAL.`, `LOOP AT lt_vbak INTO ls_vbak.`) has
        // small words and a full stop too, but a sentence has neither keywords in capitals beside joined names
        // nor is it a short line of capitals.
        let statementShaped =
            (shouted && words <= 8) || (names > 0 && capitalWords >= 2)
            || (names > 0 && (names >= 2 || capitalWords >= 1) && words <= 8)
        if statementShaped {
            // Ended as such a statement is.
            if last == UInt8(ascii: ".") || last == UInt8(ascii: ",") { s += 0.5 }
            return s
        }
        // Sentences: many words, few symbols, a full stop, stopwords.
        if words >= 5, density < 0.05 { s -= 2 }
        if last == UInt8(ascii: ".") || last == UInt8(ascii: "?") || last == UInt8(ascii: "!"), words >= 4,
            hi - lo >= 2,
            b[hi - 2].isASCIILetter || b[hi - 2] == UInt8(ascii: ")") || b[hi - 2] == UInt8(ascii: "`")
        {
            s -= 2
        }
        if stop >= 4 { s -= 2 } else if stop >= 2 { s -= 1 }
        if words >= 12, density < 0.1 { s -= 1 }
        return s
    }

    /// `name = value` or `name: Type = value`, without `==`.
    private func hasAssignment(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
        var i = lo
        // optional declaration keyword or type: skip up to three words
        var words = 0
        while i < hi, words < 4 {
            let start = i
            while i < hi,
                b[i].isASCIIAlphanumeric || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: ".")
                    || b[i] == UInt8(ascii: "$") || b[i] == UInt8(ascii: "[") || b[i] == UInt8(ascii: "]")
                    || b[i] == UInt8(ascii: "'") || b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "*")
            {
                i += 1
            }
            guard i > start else { return false }
            words += 1
            while i < hi, b[i] == 0x20 { i += 1 }
            guard i < hi else { return false }
            if b[i] == UInt8(ascii: ":") {
                // type annotation
                i += 1
                while i < hi, b[i] == 0x20 { i += 1 }
                continue
            }
            if b[i] == UInt8(ascii: "=") {
                return i + 1 < hi && b[i + 1] != UInt8(ascii: "=") && b[i + 1] != UInt8(ascii: ">")
            }
            if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "|") {
                return i + 1 < hi && b[i + 1] == UInt8(ascii: "=")
            }
            if b[i] == UInt8(ascii: ","), words == 1 { return false }
        }
        return false
    }
}
