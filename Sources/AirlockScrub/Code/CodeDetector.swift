import Foundation

/// Finds source code in chat text: fenced blocks, unified diffs and, above all, code pasted into prose
/// without fences. Every line gets a score from its shape; runs of code lines become one region, so the
/// sentences around a snippet survive and identifiers mentioned inline (`retryCount`, `fetchUser()`) stay.
package struct CodeDetector: Sendable {
    /// Whether JSON, YAML, CSV and similar data count as code.
    package var includeDataFormats: Bool

    /// Whether the text may hold infrastructure code (`InfrastructureCode.mayHold`), found once for the whole text.
    var mayHoldInfrastructure = true

    /// Language markers found in the whole text by an earlier pass (`SecretScanner.scan(_:markers:)`), indexed
    /// like `WordTables.markerBytes`; without them each block is scanned for markers on its own.
    var markers: [KeywordAutomaton.Hit]?

    /// The shared tables, looked up once rather than for every line.
    let tables = WordTables.shared

    package init(includeDataFormats: Bool = false) {
        self.includeDataFormats = includeDataFormats
    }

    struct Line {
        var range: Range<Int>
        var score: Double
        var blank: Bool
    }

    enum LineKind { case code, neutral, blank, prose }

    package func detect(_ b: UnsafeBufferPointer<UInt8>) -> [CodeRegion] {
        // Text without a line break has no block to remove.
        guard let base = b.baseAddress, memchr(base, 0x0A, b.count) != nil else { return [] }
        let lines = Self.lines(b)
        var detector = self
        detector.mayHoldInfrastructure = InfrastructureCode.mayHold(b, 0..<b.count)
        return detector.regions(b, lines, lines.indices).sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// The blocks among `lines[within]`: fences and diffs, and code between them. A fence's label is only what the
    /// client claims, so the lines of a fence labelled as text or data are read like any others, nested fences
    /// included.
    func regions(_ b: UnsafeBufferPointer<UInt8>, _ lines: [Range<Int>], _ within: Range<Int>)
        -> [CodeRegion]
    {
        var regions: [CodeRegion] = []
        var index = within.lowerBound
        var pending = index  // the first of the lines outside fences and diffs, scored together
        while index < within.upperBound {
            // Most lines start with none of the bytes that open a fence or a diff or make a placeholder.
            guard Self.mayOpen(b, lines[index]) else {
                index += 1
                continue
            }
            if let (fenced, next) = fencedBlock(b, lines, at: index, within: within) {
                regions += unfenced(b, lines: lines[pending..<index])
                regions += fenced
                index = next
                pending = next
            } else if let (diff, next) = unifiedDiff(b, lines, at: index, limit: within.upperBound) {
                regions += unfenced(b, lines: lines[pending..<index])
                regions.append(diff)
                index = next
                pending = next
            } else if isCodePlaceholder(b, lines[index]) {
                // A block an earlier pass removed: it parts the lines around it as the block itself did, so a
                // second pass does not join them into a region the first pass never saw.
                regions += unfenced(b, lines: lines[pending..<index])
                index += 1
                pending = index
            } else {
                index += 1
            }
        }
        if pending < within.upperBound { regions += unfenced(b, lines: lines[pending..<within.upperBound]) }
        return regions
    }

    package func detect(_ text: [UInt8]) -> [CodeRegion] { text.withUnsafeBufferPointer { detect($0) } }

    /// `detect`, reusing the language markers a secret scan of the same text found.
    package func detect(_ b: UnsafeBufferPointer<UInt8>, markers: [KeywordAutomaton.Hit]?) -> [CodeRegion] {
        var detector = self
        detector.markers = markers
        return detector.detect(b)
    }

    /// The blocks `detect(_:markers:)` finds that take in the line starting at (or holding) one of `offsets`, or
    /// one next to it, found by reading only the lines between the nearest barriers on either side (`QuietRun`):
    /// no block takes in lines on both sides of a barrier, and a block's lines read the same after one as after
    /// the start of the text. Blocks elsewhere may or may not be returned. A fence or a diff header anywhere may
    /// open a block that runs on past any barrier: then the whole text is read.
    package func detect(
        _ b: UnsafeBufferPointer<UInt8>, markers: [KeywordAutomaton.Hit]?, around offsets: [Int]
    ) -> [CodeRegion] {
        guard let base = b.baseAddress, memchr(base, 0x0A, b.count) != nil else { return [] }
        let lines = Self.lines(b)
        if lines.contains(where: { opensBlock(b, $0) }) || hasDocstring(b) { return detect(b, markers: markers) }
        var detector = self
        detector.markers = markers
        // The scores the search for barriers finds, which the window's reading uses again.
        var known = [Double](repeating: .nan, count: lines.count)
        func add(_ k: Int, to run: inout QuietRun) -> Bool {
            let blank = Bytes.isBlank(b, lines[k])
            if !blank, known[k].isNaN { known[k] = score(b, lines[k]) }
            // A statement that only its neighbourhood shows to be code may be code.
            let may = !blank && known[k] < 1 && known[k] > -3 && mayBeCodeByContext(b, lines[k], score: known[k])
            return run.add(blank: blank, score: blank ? 0 : may ? 2 : known[k])
        }
        var windows: [Range<Int>] = []
        var next = 0  // the line that holds the offset
        for offset in offsets.sorted() {
            while next < lines.count - 1, lines[next].upperBound < offset { next += 1 }
            // Back to the nearest barrier: the window starts after it. A barrier of blank lines alone would leave
            // the line after it continuing the code before it.
            var start = 0
            var run = QuietRun()
            var top = next - 1  // the run's last line
            for k in stride(from: next - 1, through: 0, by: -1) {
                guard add(k, to: &run) else {
                    top = k - 1
                    continue
                }
                if run.isBarrier, run.written {
                    // A traceback's frame is read with the window: the source line it quotes reads as prose after it.
                    start = isFrame(b, lines[top]) ? top : top + 1
                    break
                }
            }
            // On to the nearest barrier: the window ends where it starts.
            var end = lines.count
            run = QuietRun()
            var first = next  // the run's first line
            for k in next..<lines.count {
                guard add(k, to: &run) else {
                    first = k + 1
                    continue
                }
                if run.isBarrier {
                    end = first
                    break
                }
            }
            if let last = windows.last, last.upperBound >= start {
                windows[windows.count - 1] = last.lowerBound..<max(last.upperBound, end)
            } else {
                windows.append(start..<end)
            }
        }
        var regions: [CodeRegion] = []
        for window in windows {
            // As `detect` reads a segment between fences: placeholder lines part it.
            var pending = window.lowerBound
            for index in window where detector.isCodePlaceholder(b, lines[index]) {
                regions += detector.unfenced(b, lines: lines[pending..<index], known: known)
                pending = index + 1
            }
            regions += detector.unfenced(b, lines: lines[pending..<window.upperBound], known: known)
        }
        return regions.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// A run of neighbouring lines none of which is code however the line before it reads: blank, or scoring under
    /// 1 (the most an indented line after code gains is 1), and not a statement `isStatement` finds. `unfenced` ends
    /// a block at its second prose line, or at its fourth line that is not code when one of them is prose, so a
    /// block that reaches a run of two lines scoring -1 or less (prose, as they gain nothing), or of four lines with
    /// such a line, ends before it: such a run is a barrier.
    private struct QuietRun {
        var lines = 0
        var prose = 0
        /// Whether the run has a non-blank line, after which no line reads as continuing code.
        var written = false

        /// Adds a line, or starts the run again and returns false when the line may be code.
        mutating func add(blank: Bool, score: Double) -> Bool {
            guard blank || score < 1 else {
                self = QuietRun()
                return false
            }
            lines += 1
            if !blank {
                written = true
                if score <= -1 { prose += 1 }
            }
            return true
        }

        /// Comments and blank lines between two runs of code belong to them (`scoredRegions`), so a run of them
        /// alone is no barrier.
        var isBarrier: Bool { prose >= 2 || (lines >= 4 && prose >= 1) }
    }

    /// Whether a line may open a fence (`` ` `` or `~` after up to three spaces) or a diff (`d`, `-` or `@` first), or
    /// be a code placeholder (`*` or `[` after spaces and tabs).
    @inline(__always)
    private static func mayOpen(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        guard line.lowerBound < line.upperBound else { return false }
        switch b[line.lowerBound] {
        case UInt8(ascii: "d"), UInt8(ascii: "-"), UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: "~"),
            UInt8(ascii: "*"), UInt8(ascii: "["):
            return true
        case 0x20, 0x09:
            var i = line.lowerBound
            while i < line.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            guard i < line.upperBound else { return false }
            let c = b[i]
            return c == UInt8(ascii: "`") || c == UInt8(ascii: "~") || c == UInt8(ascii: "*") || c == UInt8(ascii: "[")
        default:
            return false
        }
    }

    /// Whether the text holds a triple quote (`"""`), which may open a docstring that runs on over any lines.
    private func hasDocstring(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = b.baseAddress else { return false }
        var i = 0
        while i + 2 < b.count, let hit = memchr(base + i, 0x22, b.count - i - 2) {
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if b[at + 1] == 0x22, b[at + 2] == 0x22 { return true }
            i = at + 1
        }
        return false
    }

    /// Whether a line opens a fenced block or a diff, which may run on over any lines.
    private func opensBlock(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound
        while i < line.upperBound, i - line.lowerBound < 3, b[i] == 0x20 { i += 1 }
        return Bytes.equal(b, i, "```") || Bytes.equal(b, i, "~~~") || Bytes.equal(b, line.lowerBound, "diff --git ")
            || Bytes.equal(b, line.lowerBound, "--- ") || Bytes.equal(b, line.lowerBound, "@@ -")
    }

    /// Whether a block could take in lines on both sides of one of `boundaries` (offsets in `b`, in order, each of
    /// which starts a line). A fence, a diff header or a triple quote anywhere may open a block that runs on;
    /// otherwise a block's code lines are at most three lines apart, or joined by comments with at most three blank
    /// lines in a row, so one that crosses a boundary has a line that may be code (scoring above 0, or a statement
    /// `isStatement` finds) within four lines on each side of it. This scores at most eight lines per boundary.
    package func mayCross(_ b: UnsafeBufferPointer<UInt8>, boundaries: [Int]) -> Bool {
        let lines = Self.lines(b)
        if lines.contains(where: { opensBlock(b, $0) }) || hasDocstring(b) { return true }
        // Each line is looked at once, however many boundaries it is near: short parts (embedding inputs, one line
        // each) put eight boundaries within four lines of it.
        var looked = [Bool?](repeating: nil, count: lines.count)
        func mayBeCode(_ k: Int) -> Bool {
            if let known = looked[k] { return known }
            let s = score(b, lines[k])
            let found = s > 0 || mayBeCodeByContext(b, lines[k], score: s)
            looked[k] = found
            return found
        }
        var next = 0  // the first line at or after the boundary
        for boundary in boundaries {
            while next < lines.count, lines[next].lowerBound < boundary { next += 1 }
            if (max(0, next - 4)..<next).contains(where: mayBeCode),
                (next..<min(lines.count, next + 4)).contains(where: mayBeCode)
            {
                return true
            }
        }
        return false
    }

    /// The lines of `b`, without their line breaks.
    static func lines(_ b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(b.count / 32 + 1)
        var start = 0
        while true {
            let end = Word.firstIndex(of: 0x0A, in: b, from: start, to: b.count)
            lines.append(start..<end)
            guard end < b.count else { return lines }
            start = end + 1
        }
    }

    // MARK: Fences

    /// The fence that opens at `lines[index]` (closing at its closing line, or at the end of `within`), with the
    /// blocks it holds, and the index of the line after it.
    private func fencedBlock(
        _ b: UnsafeBufferPointer<UInt8>, _ lines: [Range<Int>], at index: Int, within: Range<Int>
    ) -> ([CodeRegion], Int)? {
        let line = lines[index]
        var i = line.lowerBound
        while i < line.upperBound, i - line.lowerBound < 3, b[i] == 0x20 { i += 1 }
        guard i < line.upperBound, b[i] == UInt8(ascii: "`") || b[i] == UInt8(ascii: "~") else { return nil }
        let fenceChar = b[i]
        var fenceLength = 0
        while i < line.upperBound, b[i] == fenceChar { i += 1; fenceLength += 1 }
        guard fenceLength >= 3 else { return nil }
        let info =
            String(decoding: b[i..<line.upperBound], as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "{" || $0 == "\r" }).first.map { $0.lowercased() } ?? ""
        if fenceChar == UInt8(ascii: "`"), info.contains("`") { return nil }
        var close = index + 1
        while close < within.upperBound {
            let l = lines[close]
            var j = l.lowerBound
            while j < l.upperBound, j - l.lowerBound < 3, b[j] == 0x20 { j += 1 }
            var n = 0
            while j < l.upperBound, b[j] == fenceChar { j += 1; n += 1 }
            while j < l.upperBound, b[j] == 0x20 || b[j] == 0x0D { j += 1 }
            if n >= fenceLength, j == l.upperBound { break }
            close += 1
        }
        let last = min(close, within.upperBound - 1)
        let range = line.lowerBound..<lines[last].upperBound
        let body = (index + 1)..<max(index + 1, close)
        let bodyLines = lines[body]
        let next = last + 1
        if bodyLines.allSatisfy({ Bytes.isBlank(b, $0) }) { return ([], next) }
        if isPlaceholderOnly(b, bodyLines) { return ([], next) }

        let language: String
        if let named = LanguageTables.aliases[info] {
            language = named
        } else if LanguageTables.dataFormats.contains(info) {
            // A label says what the client wants it taken for: data that is not counted as code is still read.
            guard includeDataFormats else { return (regions(b, lines, body), next) }
            language = info == "yml" ? "yaml" : info
        } else if LanguageTables.textFormats.contains(info) {
            return (regions(b, lines, body), next)
        } else {
            // Unlabelled or unknown: code only if its lines read as code. Error output quotes source lines, so a
            // block that is mostly error output is read line by line instead.
            let scored = bodyLines.map { score(b, $0) }
            guard scored.contains(where: { $0 >= 2 }) else { return ([], next) }
            let written = bodyLines.filter { !Bytes.isBlank(b, $0) }
            if 3 * written.filter({ isErrorOutput(b, $0) }).count >= written.count {
                return (regions(b, lines, body), next)
            }
            if let data = dataFormat(b, bodyLines) {
                guard includeDataFormats else { return (regions(b, lines, body), next) }
                language = data
            } else {
                // An unknown label is the client's text: it never becomes a detector id or a placeholder, which
                // reach logs, the ledger and metric labels. The block's own words name it instead.
                language = guessLanguage(b, bodyLines)
            }
        }
        return ([CodeRegion(range: range, language: language, lines: bodyLines.count, kind: .fenced)], next)
    }

    /// Whether a line, indented or not, is error or tool output (`Diagnostics`, `ToolOutput`).
    func isErrorOutput(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var lo = line.lowerBound
        var hi = line.upperBound
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 || b[hi - 1] == 0x0D { hi -= 1 }
        guard lo < hi else { return false }
        return Diagnostics.isDiagnostic(b, lo..<hi) || ToolOutput.isOutput(b, lo..<hi)
    }

    private func isPlaceholderOnly(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> Bool {
        let nonBlank = lines.filter { !Bytes.isBlank(b, $0) }
        guard nonBlank.count == 1, let line = nonBlank.first else { return false }
        var i = line.lowerBound
        while i < line.upperBound, b[i] == 0x20 { i += 1 }
        return Bytes.equal(b, i, Placeholder.marker)
    }

    // MARK: Diffs

    /// The unified diff whose header is `lines[index]`, ending at the end of the diff or of `lines[..<limit]`.
    private func unifiedDiff(_ b: UnsafeBufferPointer<UInt8>, _ lines: [Range<Int>], at index: Int, limit: Int)
        -> (CodeRegion, Int)?
    {
        let line = lines[index]
        let isHeader =
            Bytes.equal(b, line.lowerBound, "diff --git ")
            || (Bytes.equal(b, line.lowerBound, "--- ") && index + 1 < limit
                && Bytes.equal(b, lines[index + 1].lowerBound, "+++ "))
            || (Bytes.equal(b, line.lowerBound, "@@ -") && hunkHeader(b, line))
        guard isHeader else { return nil }
        var end = index
        var language = "diff"
        var i = index
        while i < limit {
            let l = lines[i]
            if l.isEmpty || Bytes.isBlank(b, l) {
                // A blank line inside a hunk whose context space was trimmed: keep going if the diff continues.
                if i + 1 < limit, isDiffLine(b, lines[i + 1]) {
                    i += 1
                    continue
                }
                break
            }
            guard isDiffLine(b, l) || i == index else { break }
            if Bytes.equal(b, l.lowerBound, "+++ ") {
                let path = String(decoding: b[l], as: UTF8.self)
                if let dot = path.lastIndex(of: "."),
                    let named = LanguageTables.aliases[String(path[path.index(after: dot)...]).lowercased()]
                {
                    language = named
                }
            }
            end = i
            i += 1
        }
        guard end > index else { return nil }
        let range = line.lowerBound..<lines[end].upperBound
        return (CodeRegion(range: range, language: language, lines: end - index + 1, kind: .diff), end + 1)
    }

    private func hunkHeader(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        // @@ -a[,b] +c[,d] @@
        var i = line.lowerBound + 4
        guard i < line.upperBound, b[i].isDigit else { return false }
        while i < line.upperBound, b[i].isDigit || b[i] == UInt8(ascii: ",") { i += 1 }
        guard Bytes.equal(b, i, " +") else { return false }
        i += 2
        guard i < line.upperBound, b[i].isDigit else { return false }
        while i < line.upperBound, b[i].isDigit || b[i] == UInt8(ascii: ",") { i += 1 }
        return Bytes.equal(b, i, " @@")
    }

    private func isDiffLine(_ b: UnsafeBufferPointer<UInt8>, _ l: Range<Int>) -> Bool {
        guard let first = l.isEmpty ? nil : b[l.lowerBound] else { return false }
        switch first {
        case UInt8(ascii: " "), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "\\"): return true
        case UInt8(ascii: "@"): return hunkHeader(b, l)
        default:
            for prefix in [
                "diff --git ", "index ", "new file mode", "deleted file mode", "similarity index", "rename ",
                "old mode", "new mode",
            ]
            where Bytes.equal(b, l.lowerBound, Array(prefix.utf8)) {
                return true
            }
            return false
        }
    }
}
