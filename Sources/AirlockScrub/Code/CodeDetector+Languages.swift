import Foundation

extension CodeDetector {
    // MARK: Data formats and languages

    /// `json`, `yaml` or `csv` when the lines read as data rather than code.
    func dataFormat(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> String? {
        var n = 0
        for line in lines where !Bytes.isBlank(b, line) { n += 1 }
        guard n > 0 else { return nil }
        var json = 0
        var yaml = 0
        var firstCommas = -1
        var sameCommas = true
        var codeish = 0
        for line in lines where !Bytes.isBlank(b, line) {
            var lo = line.lowerBound
            while lo < line.upperBound, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
            let first = b[lo]
            // Commas in the low half, semicolons and opening parentheses in the high half.
            let counts = tables.dataCounts
            var packed: UInt64 = 0
            for i in lo..<line.upperBound { packed &+= counts[Int(b[i])] }
            let commas = Int(truncatingIfNeeded: packed & 0xFFFF_FFFF)
            if firstCommas < 0 { firstCommas = commas } else if commas != firstCommas { sameCommas = false }
            // In a line of JSON (a log's JSON lines), `;` and `(` inside its strings are the values' own.
            if packed >> 32 != 0, first != UInt8(ascii: "{") || outsideStrings(b, lo..<line.upperBound) {
                codeish += 1
                if codeish * 5 > n { return nil }
            }
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "}") || first == UInt8(ascii: "[")
                || first == UInt8(ascii: "]") || first == UInt8(ascii: "\"") || first.isDigit
            {
                json += 1
            }
            if first == UInt8(ascii: "-") || first.isASCIILetter {
                // key: value
                var i = lo
                while i < line.upperBound,
                    b[i].isASCIIAlphanumeric || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: "-")
                { i += 1 }
                if i < line.upperBound, b[i] == UInt8(ascii: ":") || first == UInt8(ascii: "-") { yaml += 1 }
            }
        }
        if json * 10 >= n * 9 { return "json" }
        if yaml * 10 >= n * 9 { return "yaml" }
        if firstCommas >= 2, sameCommas, n >= 2 { return "csv" }
        return nil
    }

    /// Whether a line has `;` or `(` outside its double-quoted strings.
    private func outsideStrings(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var quoted = false
        var i = line.lowerBound
        while i < line.upperBound {
            let c = b[i]
            if quoted {
                if c == UInt8(ascii: "\\") {
                    i += 1
                } else if c == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if c == UInt8(ascii: "\"") {
                quoted = true
            } else if c == UInt8(ascii: ";") || c == UInt8(ascii: "(") {
                return true
            }
            i += 1
        }
        return false
    }

    func guessLanguage(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> String {
        let best = withUnsafeTemporaryAllocation(of: Int.self, capacity: tables.languageCount) { scores in
            scores.initialize(repeating: 0)
            vote(b, lines.prefix(64), tables, into: scores)
            scores[tables.make] &+= 8 * makeRules(b, lines.prefix(64))
            var best = 0
            for k in scores.indices where scores[k] > scores[best] { best = k }
            return scores[best] > 0 ? best : nil
        }
        return best.map { tables.languageNames[$0] } ?? "code"
    }

    /// The rules of a Makefile among `lines`: a target at the start of a line (`test: install_deps`, `%.o: %.c`),
    /// then a recipe line indented with a tab. Its shell commands and `$(VAR)` references, which shell writes too, would
    /// otherwise name the block shell, so a rule outweighs a few markers.
    private func makeRules(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> Int {
        var rules = 0
        var index = lines.startIndex
        while index + 1 < lines.endIndex {
            let line = lines[index]
            defer { index += 1 }
            guard line.count > 1, b[line.lowerBound] != 0x20, b[line.lowerBound] != 0x09,
                lines[index + 1].count > 1, b[lines[index + 1].lowerBound] == 0x09
            else { continue }
            var i = line.lowerBound
            while i < line.upperBound, b[i] != UInt8(ascii: ":"), b[i] != 0x20, b[i] != UInt8(ascii: "=") { i += 1 }
            guard i > line.lowerBound, i < line.upperBound, b[i] == UInt8(ascii: ":") else { continue }
            if i + 1 == line.upperBound || b[i + 1] == 0x20 { rules += 1 }
        }
        return rules
    }

    /// Votes for the languages a line's shape names, from its first bytes: a Haskell type signature
    /// (`encode :: ToJSON a => a -> ByteString`) or import of a module (`import Data.Aeson.Types`, no `;`), and an
    /// Elixir module attribute (`@moduledoc "…"`, `@upper ?A..?Z`; Ruby's `@name = …` assigns).
    @inline(__always)
    private func shapeVote(
        _ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, _ tables: WordTables,
        into scores: UnsafeMutableBufferPointer<Int>
    ) {
        let lo = line.lowerBound
        guard line.count > 4 else { return }
        let first = b[lo]
        if first == UInt8(ascii: "@") {
            var i = lo + 1
            guard b[i] &- 0x61 < 26 else { return }
            while i < line.upperBound, b[i].isASCIILetter || b[i] == UInt8(ascii: "_") { i += 1 }
            guard i + 1 < line.upperBound, b[i] == 0x20, b[i + 1] != UInt8(ascii: "="), b[i + 1] != 0x20 else { return }
            scores[tables.elixir] &+= 3
        } else if first &- 0x61 < 26 {
            var i = lo + 1
            while i < line.upperBound,
                b[i].isASCIIAlphanumeric || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: "'")
            {
                i += 1
            }
            if Bytes.equal(b, i, " :: ") {
                scores[tables.haskell] &+= 6
            } else if i == lo + 6, Bytes.equal(b, lo, "import "), i + 1 < line.upperBound, b[i + 1] &- 0x41 < 26 {
                var j = i + 1
                var dots = 0
                while j < line.upperBound, b[j].isASCIIAlphanumeric || b[j] == UInt8(ascii: ".") {
                    if b[j] == UInt8(ascii: ".") { dots += 1 }
                    j += 1
                }
                var end = line.upperBound
                while end > j, b[end - 1] == 0x20 || b[end - 1] == 0x0D { end -= 1 }
                if dots > 0, b[end - 1] != UInt8(ascii: ";") { scores[tables.haskell] &+= 4 }
            }
        }
    }

    /// Adds each language's votes for `lines` to `scores`: its words, weighted by where they stand, and its
    /// markers.
    private func vote(
        _ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>, _ tables: WordTables,
        into scores: UnsafeMutableBufferPointer<Int>
    ) {
        let flags = tables.flagTable
        let notSQL = ~(UInt32(1) << UInt32(truncatingIfNeeded: tables.sql))
        // The first lines of a block name its language as well as all of them would.
        for line in lines {
            var i = line.lowerBound
            var firstWord = true
            while i < line.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            shapeVote(b, i..<line.upperBound, tables, into: scores)
            while i < line.upperBound {
                let c = b[i]
                guard flags[Int(c)] & WordTables.letter != 0 || c == UInt8(ascii: "_") else {
                    if c != 0x20 && c != 0x09 { firstWord = false }
                    i += 1
                    continue
                }
                let start = i
                var packed: UInt64 = 0  // the last eight bytes, which are all of a word short enough to pack
                while i < line.upperBound, flags[Int(b[i])] & WordTables.word != 0 {
                    packed = packed << 8 | UInt64(b[i])
                    i += 1
                }
                var mask =
                    i - start <= 8
                    ? tables.tokenLanguages.value(packed)
                    : tables.longTokenLanguages.value(PackedWordSet.hash(b, start..<i))
                // Statement-leading words say more than words inside expressions; SQL counts only there,
                // because every language embeds SQL in strings.
                let weight = firstWord ? 3 : 1
                if !firstWord { mask &= notSQL }
                while mask != 0 {
                    scores[mask.trailingZeroBitCount] &+= weight
                    mask &= mask - 1
                }
                firstWord = false
            }
        }
        // Distinctive markers (`:=`, `std::`, `<?php`), in one pass over the block's first lines.
        guard let first = lines.first, let last = lines.last else { return }
        let span = first.lowerBound..<last.upperBound
        func count(_ hit: KeywordAutomaton.Hit, at offset: Int) {
            let marker = tables.markerBytes[Int(hit.keyword)]
            // The automaton ignores case; markers are compared in their own.
            if offset + Int(hit.end) - marker.count >= span.lowerBound,
                Bytes.equal(b, offset + Int(hit.end) - marker.count, marker)
            {
                scores[tables.markerLanguages[Int(hit.keyword)]] &+= 3
            }
        }
        if let markers {
            // The hits inside the span: they are ordered by their ends.
            var low = 0
            var high = markers.count
            while low < high {
                let mid = (low + high) / 2
                if Int(markers[mid].end) <= span.lowerBound { low = mid + 1 } else { high = mid }
            }
            var k = low
            while k < markers.count, Int(markers[k].end) <= span.upperBound {
                count(markers[k], at: 0)
                k += 1
            }
        } else {
            var hits: [KeywordAutomaton.Hit] = []
            tables.markers.scan(UnsafeBufferPointer(rebasing: b[span]), into: &hits)
            for hit in hits { count(hit, at: span.lowerBound) }
        }
    }
}
