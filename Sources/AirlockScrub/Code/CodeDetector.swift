import Foundation

/// Finds source code in chat text: fenced blocks, unified diffs and, above all, code pasted into prose
/// without fences. Every line gets a score from its shape; runs of code lines become one region, so the
/// sentences around a snippet survive and identifiers mentioned inline (`retryCount`, `fetchUser()`) stay.
package struct CodeDetector: Sendable {
    /// Whether JSON, YAML, CSV and similar data count as code.
    package var includeDataFormats: Bool

    /// Whether the text may hold infrastructure code (`InfrastructureCode.mayHold`), found once for the whole text.
    private var mayHoldInfrastructure = true

    /// Language markers found in the whole text by an earlier pass (`SecretScanner.scan(_:markers:)`), indexed
    /// like `WordTables.markerBytes`; without them each block is scanned for markers on its own.
    private var markers: [KeywordAutomaton.Hit]?

    /// The shared tables, looked up once rather than for every line.
    private let tables = WordTables.shared

    package init(includeDataFormats: Bool = false) {
        self.includeDataFormats = includeDataFormats
    }

    private struct Line {
        var range: Range<Int>
        var score: Double
        var blank: Bool
    }

    private enum LineKind { case code, neutral, blank, prose }

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
    private func regions(_ b: UnsafeBufferPointer<UInt8>, _ lines: [Range<Int>], _ within: Range<Int>)
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
            let blank = isBlank(b, lines[k])
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
    private static func lines(_ b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
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
        if bodyLines.allSatisfy({ isBlank(b, $0) }) { return ([], next) }
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
            let written = bodyLines.filter { !isBlank(b, $0) }
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
    private func isErrorOutput(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var lo = line.lowerBound
        var hi = line.upperBound
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 || b[hi - 1] == 0x0D { hi -= 1 }
        guard lo < hi else { return false }
        return Diagnostics.isDiagnostic(b, lo..<hi) || ToolOutput.isOutput(b, lo..<hi)
    }

    private func isPlaceholderOnly(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> Bool {
        let nonBlank = lines.filter { !isBlank(b, $0) }
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
            if l.isEmpty || isBlank(b, l) {
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

    // MARK: Unfenced code

    private func kind(of score: Double, blank: Bool) -> LineKind {
        if blank { return .blank }
        if score >= 2 { return .code }
        if score > 0 { return .neutral }
        return .prose
    }

    /// `known` holds the scores of some of the lines, by their index in `lines` (NaN where not known).
    private func unfenced(
        _ b: UnsafeBufferPointer<UInt8>, lines: ArraySlice<Range<Int>>, known: [Double]? = nil
    ) -> [CodeRegion] {
        guard lines.count >= 2 else { return [] }
        // Infrastructure as code is code by its documents' shapes, whatever its lines score; the lines between such
        // blocks are scored as usual.
        let infrastructure = mayHoldInfrastructure ? InfrastructureCode.blocks(b, lines) : []
        guard infrastructure.isEmpty else {
            var regions: [CodeRegion] = []
            var start = lines.startIndex
            for block in infrastructure {
                var end = start
                while end < lines.endIndex, lines[end].upperBound <= block.range.lowerBound { end += 1 }
                regions += scoredRegions(b, lines: lines[start..<end], known: known)
                regions.append(block)
                start = end
                while start < lines.endIndex, lines[start].lowerBound < block.range.upperBound { start += 1 }
            }
            return regions + scoredRegions(b, lines: lines[start...], known: known)
        }
        return scoredRegions(b, lines: lines, known: known)
    }

    /// The blocks among `lines` whose lines score as code.
    private func scoredRegions(
        _ b: UnsafeBufferPointer<UInt8>, lines: ArraySlice<Range<Int>>, known: [Double]? = nil
    ) -> [CodeRegion] {
        guard lines.count >= 2 else { return [] }
        var scored: [Line] = []
        scored.reserveCapacity(lines.count)
        var previousCode = false
        // The indentation of the line before when it is a traceback's frame, which the lines indented under it quote.
        var frameIndent = -1
        // Whether the lines that start with a tab are a Makefile rule's recipe.
        var recipe = false
        for index in lines.indices {
            let line = lines[index]
            let blank = isBlank(b, line)
            var s = blank ? 0 : known.flatMap { $0[index].isNaN ? nil : $0[index] } ?? score(b, line)
            if !blank, s > 0, frameIndent >= 0, indentation(b, line) > frameIndent { s = -3 }
            // A Makefile rule: a target at the start of a line, then its recipe, lines that start with a tab. Each
            // reads as a word or two alone (`fmt:`, `\tluacheck inspect.lua`); together they are a rule.
            if !blank {
                if b[line.lowerBound] == 0x09 {
                    if recipe, s > -1 { s = max(s, 2) }
                } else {
                    recipe = false
                    if s > -1, index + 1 < lines.endIndex, isRecipe(b, lines[index + 1]), isMakeTarget(b, line) {
                        s = max(s, 2.5)
                        recipe = true
                    }
                }
            }
            // An indented line right after code continues it.
            if !blank, previousCode, s > -1, indentation(b, line) >= 2 { s += 1 }
            scored.append(Line(range: line, score: s, blank: blank))
            if !blank {
                previousCode = s >= 2
                // A frame that reads as prose by its words (`File "/app/main.py", line 5, in main`) quotes too.
                frameIndent = s <= 0 && isFrame(b, line) ? indentation(b, line) : -1
            }
        }
        // Two statements or more in a row that read as prose alone are code together: a paste of imports
        // (`import com.acme.Job` twice), of `using` lines, of a notebook's magics.
        var run = 0
        for k in 0...scored.count {
            if k < scored.count, !scored[k].blank, scored[k].score > -3, scored[k].score < 2.5,
                isStatement(b, scored[k].range)
            {
                run += 1
                continue
            }
            if run >= 2 {
                for m in (k - run)..<k { scored[m].score = max(scored[m].score, 2.5) }
            }
            run = 0
        }
        // The line a Java, JavaScript or C# stack's first frame follows is the exception or the thread it is the stack
        // of (`java.lang.IllegalStateException: closed`, `"main" #1 prio=5`, a profiler's `@com.acme.Job.run()`); a
        // line with a source location indented under it is a frame (Go's `main.(*Cache).Put(...)` over
        // `\t/app/cache.go:21 +0x45`) or a line a compiler quotes above its caret.
        var k = scored.count - 2
        while k >= 0 {
            if !scored[k].blank, scored[k].score > -3, !scored[k + 1].blank {
                let own = indentation(b, scored[k].range)
                let next = scored[k + 1].range
                let under = indentation(b, next)
                if under >= own, isJavaFrame(b, next) {
                    scored[k].score = -3
                } else if under > own, scored[k].score > 0, isErrorOutput(b, next), !isJavaFrame(b, next) {
                    scored[k].score = -3
                }
            }
            k -= 1
        }
        var regions: [CodeRegion] = []
        var i = 0
        var floor = 0  // the first line after the last block, which a block's lines before it may not reach back past
        while i < scored.count {
            guard kind(of: scored[i].score, blank: scored[i].blank) == .code else {
                i += 1
                continue
            }
            // Lines just before the block that only its neighbourhood shows to be code: imports, a notebook's
            // magics and cell markers (`isStatement`).
            var first = i
            var k = i - 1
            var blanks = 0
            while k >= floor, i - k <= 12 {
                if scored[k].blank {
                    blanks += 1
                    if blanks > 2 { break }
                } else {
                    blanks = 0
                    if scored[k].score > -3, isStatement(b, scored[k].range) {
                        scored[k].score = 2
                        first = k
                    } else if k == first - 1, scored[k].score > 0, scored[k].score < 2, isComment(b, scored[k].range) {
                        // A comment right above the code, with no blank line between, is the code's.
                        first = k
                    } else if let open = docstringStart(b, scored, closing: k, floor: floor),
                        scored[open].score > 0 || isStatement(b, scored[open].range)
                    {
                        // A docstring above the code (`@moduledoc """` … `"""`) is the code's, with the line that opens it.
                        first = open
                        k = open - 1
                        continue
                    } else if scored[k].score <= 0 || scored[k].score >= 2 {
                        break
                    }
                }
                k -= 1
            }
            i = first
            var last = i
            var codeLines = 0
            var total = 0.0
            for k in i..<last + 1 where kind(of: scored[k].score, blank: scored[k].blank) == .code {
                codeLines += 1
                total += scored[k].score
            }
            // The lines of docstrings, and of comments between runs of code, which count for neither code nor prose.
            var merged = 0
            if let end = docstringEnd(b, scored, from: i) {
                for k in (i + 1)...end where !scored[k].blank { merged += 1 }
                last = end
            }
            var j = last + 1
            var gapProse = 0
            var gapOther = 0
            while j < scored.count {
                if !scored[j].blank, scored[j].score < 2, scored[j].score > -3, isStatement(b, scored[j].range) {
                    scored[j].score = 2
                }
                let lineKind = kind(of: scored[j].score, blank: scored[j].blank)
                // A docstring's lines read as prose, but they are the code's.
                if !scored[j].blank, let end = docstringEnd(b, scored, from: j) {
                    if lineKind == .code {
                        codeLines += 1
                        total += scored[j].score
                    }
                    for k in (j + 1)...end where !scored[k].blank { merged += 1 }
                    last = end
                    gapProse = 0
                    gapOther = 0
                    j = end + 1
                    continue
                }
                switch lineKind {
                case .code:
                    last = j
                    codeLines += 1
                    total += scored[j].score
                    gapProse = 0
                    gapOther = 0
                case .neutral, .blank:
                    gapOther += 1
                case .prose:
                    gapProse += 1
                }
                // A sentence by several of its marks (words without symbols, a full stop or a question mark, small
                // words) is the text around the code, as a question between two halves of a snippet is.
                if lineKind == .prose, scored[j].score <= -4, !isComment(b, scored[j].range) { break }
                if gapProse > 1 || gapOther + gapProse > 3 {
                    // Comments and blank lines between two runs of code belong to them, after a run of two code lines or more.
                    guard gapProse == 0, codeLines >= 2, let next = codeAfterComments(scored, from: j + 1) else {
                        break
                    }
                    for k in (last + 1)..<next where !scored[k].blank { merged += 1 }
                    gapOther = 0
                    j = next
                    continue
                }
                j += 1
            }
            var nonBlank = 0
            for k in i...last where !scored[k].blank { nonBlank += 1 }
            if codeLines >= 2, Double(codeLines) >= 0.5 * Double(nonBlank - merged), total >= 5,
                !quotedByFailingTest(b, scored, after: last), hasWord(b, scored, i...last)
            {
                let ranges = lines[(lines.startIndex + i)...(lines.startIndex + last)]
                let data = dataFormat(b, ranges)
                if data == nil || includeDataFormats {
                    let language = data ?? guessLanguage(b, ranges)
                    regions.append(
                        CodeRegion(
                            range: scored[i].range.lowerBound..<scored[last].range.upperBound, language: language,
                            lines: last - i + 1, kind: .unfenced))
                }
            }
            i = last + 1
            floor = i
        }
        return regions
    }

    /// Whether a line starts as a comment does in common languages: `#`, `//`, `/*`, `*` or `--`.
    private func isComment(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var lo = line.lowerBound
        while lo < line.upperBound, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        guard lo + 1 < line.upperBound else { return false }
        switch b[lo] {
        case UInt8(ascii: "#"), UInt8(ascii: "*"): return true
        case UInt8(ascii: "/"): return b[lo + 1] == UInt8(ascii: "/") || b[lo + 1] == UInt8(ascii: "*")
        case UInt8(ascii: "-"): return b[lo + 1] == UInt8(ascii: "-")
        default: return false
        }
    }

    /// Whether one of the code lines among `scored[range]` holds a letter: brackets and commas alone (`,`, `]`, `});`)
    /// close something, and what they close was not taken for code.
    private func hasWord(_ b: UnsafeBufferPointer<UInt8>, _ scored: [Line], _ range: ClosedRange<Int>) -> Bool {
        for k in range where scored[k].score >= 2 {
            for i in scored[k].range where b[i].isASCIILetter { return true }
        }
        return false
    }

    /// Whether a line is a frame of a Java, JavaScript or C# stack, `at com.acme.Job.run(Job.java:42)`.
    private func isJavaFrame(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var lo = line.lowerBound
        var hi = line.upperBound
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        guard Bytes.equal(b, lo, "at ") else { return false }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x0D { hi -= 1 }
        return hi - lo > 5 && b[hi - 1] == UInt8(ascii: ")") && b[lo + 3] != 0x20
    }

    /// Whether a line, at the start of its line, is a Makefile rule's target and prerequisites: `test: install_deps`,
    /// `%.o: %.c`, `$(BIN)/app: main.go | dirs`, `clean:`. Names and paths only, no sentence's punctuation.
    private func isMakeTarget(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var hi = line.upperBound
        while hi > line.lowerBound, b[hi - 1] == 0x20 || b[hi - 1] == 0x0D { hi -= 1 }
        // A capitalised word is a label of prose (`Conflicts:`, `Changes:`), which a tab-indented list may follow.
        if hi - line.lowerBound > 1, b[line.lowerBound] &- 0x41 < 26, b[line.lowerBound + 1] &- 0x61 < 26 {
            return false
        }
        var i = line.lowerBound
        var colon = -1
        var words = 0
        while i < hi {
            let c = b[i]
            if c == UInt8(ascii: ":") {
                guard colon < 0, i > line.lowerBound, b[i - 1] != 0x20 else { return false }
                // `:=` assigns, `::` is a double-colon rule or another language's path.
                if i + 1 < hi, b[i + 1] == UInt8(ascii: "=") || b[i + 1] == UInt8(ascii: ":") { return false }
                colon = i
            } else if c == 0x20 {
                if i + 1 < hi, b[i + 1] != 0x20 { words += 1 }
            } else if !(c.isASCIIAlphanumeric || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "/") || c == UInt8(ascii: "%")
                || c == UInt8(ascii: "$") || c == UInt8(ascii: "(") || c == UInt8(ascii: ")")
                || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: "|")
                || c == UInt8(ascii: "\\") || c == UInt8(ascii: "*"))
            {
                return false
            }
            i += 1
        }
        return colon > line.lowerBound && words <= 16
    }

    /// Whether a line is shaped as a Makefile recipe's command: a tab, then a command, a variable, or `@`, `-` or
    /// `+` before one; not a list item or a sentence.
    private func isRecipe(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        guard line.count >= 2, b[line.lowerBound] == 0x09 else { return false }
        var lo = line.lowerBound
        while lo < line.upperBound, b[lo] == 0x09 || b[lo] == 0x20 { lo += 1 }
        var hi = line.upperBound
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x0D { hi -= 1 }
        guard hi > lo else { return false }
        let c = b[lo]
        if c == UInt8(ascii: "-") || c == UInt8(ascii: "@") || c == UInt8(ascii: "+") {
            return hi - lo > 1 && b[lo + 1] != 0x20
        }
        return (c &- 0x61 < 26 || c == UInt8(ascii: "$") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/"))
            && b[hi - 1] != UInt8(ascii: ".")
    }

    /// The index of the next code line after `start` when only neutral lines (comments) and blank lines, no more
    /// than three of them in a row, come before it, looking at most 40 lines on.
    private func codeAfterComments(_ scored: [Line], from start: Int) -> Int? {
        var k = start
        var blanks = 0
        while k < scored.count, k - start < 40 {
            switch kind(of: scored[k].score, blank: scored[k].blank) {
            case .code: return k
            case .prose: return nil
            case .neutral: blanks = 0
            case .blank:
                blanks += 1
                if blanks > 3 { return nil }
            }
            k += 1
        }
        return nil
    }

    /// The index of the line that closes the triple-quoted string (`"""`) that `scored[index]` opens, if it opens
    /// one, looking at most 80 lines on.
    private func docstringEnd(_ b: UnsafeBufferPointer<UInt8>, _ scored: [Line], from index: Int) -> Int? {
        guard let base = b.baseAddress else { return nil }
        // `"` is rare enough in a line to be looked for first.
        func quotes(_ line: Range<Int>) -> Int {
            var n = 0
            var i = line.lowerBound
            while i + 2 < line.upperBound, let hit = memchr(base + i, 0x22, line.upperBound - 2 - i) {
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if b[at + 1] == 0x22, b[at + 2] == 0x22 {
                    n += 1
                    i = at + 3
                } else {
                    i = at + 1
                }
            }
            return n
        }
        guard quotes(scored[index].range) % 2 == 1 else { return nil }
        for k in (index + 1)..<min(scored.count, index + 80) where quotes(scored[k].range) > 0 { return k }
        return nil
    }

    /// Whether a line that does not read as code alone may be code by the lines around it: a statement `isStatement`
    /// finds, or a Makefile rule's target or recipe line.
    private func mayBeCodeByContext(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, score: Double) -> Bool {
        if isStatement(b, line) { return true }
        guard score > -1, !line.isEmpty else { return false }
        if score > 0, isComment(b, line) { return true }
        return b[line.lowerBound] == 0x09 || isMakeTarget(b, line)
    }

    /// The index of the line that opens the triple-quoted string `scored[closing]` closes, when that line ends one
    /// (it holds a single `"""`, alone or after text), looking at most 80 lines back and not before `floor`.
    private func docstringStart(_ b: UnsafeBufferPointer<UInt8>, _ scored: [Line], closing: Int, floor: Int) -> Int? {
        func quotes(_ line: Range<Int>) -> Int {
            var n = 0
            var i = line.lowerBound
            while i + 2 < line.upperBound {
                if b[i] == 0x22, b[i + 1] == 0x22, b[i + 2] == 0x22 {
                    n += 1
                    i += 3
                } else {
                    i += 1
                }
            }
            return n
        }
        guard quotes(scored[closing].range) == 1 else { return nil }
        var k = closing - 1
        while k >= max(floor, closing - 80) {
            let n = quotes(scored[k].range)
            if n == 1 { return k }
            if n > 1 { return nil }
            k -= 1
        }
        return nil
    }

    /// Whether a line is a statement that reads as prose by its words, found only next to code: an import
    /// (`import com.acme.Job`, `from IPython import display`, `package com.acme`, `using System.Text;`), a
    /// notebook's magic or shell escape (`%pip install -q numpy`, `!ls data`), or a notebook's cell marker
    /// (`# In[3]:`, `In [3]: df.head()`).
    private func isStatement(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var lo = line.lowerBound
        var hi = line.upperBound
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x0D { hi -= 1 }
        guard hi - lo >= 4 else { return false }
        switch b[lo] {
        case UInt8(ascii: "%"), UInt8(ascii: "!"):
            var i = lo + 1
            if b[lo] == UInt8(ascii: "%"), b[i] == UInt8(ascii: "%") { i += 1 }
            var n = 0
            while i < hi, b[i] &- 0x61 < 26 || b[i] == UInt8(ascii: "_") { i += 1; n += 1 }
            return n >= 2 && (i == hi || b[i] == 0x20)
        case UInt8(ascii: "#"):
            var i = lo + 1
            while i < hi, b[i] == 0x20 { i += 1 }
            return Bytes.equal(b, i, "In[") || Bytes.equal(b, i, "In [")
        case UInt8(ascii: "I"):
            return Bytes.equal(b, lo, "In [") && Bytes.find(b, "]: ", from: lo, limit: min(hi, lo + 10)) != nil
        case UInt8(ascii: "d"):
            // An Elixir module, `defmodule Plug.Conn.Utils do`.
            return Bytes.equal(b, lo, "defmodule ") && Bytes.equal(b, hi - 3, " do")
        case UInt8(ascii: "i"), UInt8(ascii: "f"), UInt8(ascii: "p"), UInt8(ascii: "u"):
            let rest: Int
            if Bytes.equal(b, lo, "import ") {
                rest = lo + 7
            } else if Bytes.equal(b, lo, "package ") {
                rest = lo + 8
            } else if Bytes.equal(b, lo, "using ") {
                rest = lo + 6
            } else if Bytes.equal(b, lo, "from ") {
                // `from module import names`
                var i = lo + 5
                while i < hi, ByteClass.identifier.contains(b[i]) || b[i] == UInt8(ascii: ".") { i += 1 }
                guard i > lo + 5, Bytes.equal(b, i, " import ") else { return false }
                rest = i + 8
            } else {
                return false
            }
            // A module's path and names, not a sentence: no sentence's punctuation, no stopwords' room.
            var words = 1
            for i in rest..<hi {
                let c = b[i]
                if c == 0x20, i + 1 < hi, b[i + 1] != 0x20 { words += 1 }
                if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") || words > 8 { return false }
            }
            return b[hi - 1] != UInt8(ascii: ".") || words == 1
        default:
            return false
        }
    }

    /// Whether the lines up to `last` are a test's source as pytest quotes it: a line of the test's own lines
    /// follows them, then the failing line (`>       assert 0`).
    private func quotedByFailingTest(_ b: UnsafeBufferPointer<UInt8>, _ scored: [Line], after last: Int) -> Bool {
        for k in (last + 1)..<min(scored.count, last + 4) {
            guard !scored[k].blank else { return false }
            var i = scored[k].range.lowerBound
            while i < scored[k].range.upperBound, b[i] == 0x20 { i += 1 }
            if Bytes.equal(b, i, ">       ") { return true }
        }
        return false
    }

    /// Whether a line is a frame of a Python or IPython traceback, which quotes the source line under it:
    /// `File "app.py", line 2, in total`, `File ~/code/foo.py:3, in boo`, `Cell In [6], line 2 in myfunc`.
    private func isFrame(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound
        while i < line.upperBound, b[i] == 0x20 { i += 1 }
        return Bytes.equal(b, i, "File ") || Bytes.equal(b, i, "Cell In") || Bytes.equal(b, i, "Input In [")
    }

    /// A line that is a code placeholder of an earlier pass, whole or cut to fit an upload piece (`[REDACTED]`,
    /// or asterisks where even that is too long).
    private func isCodePlaceholder(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound
        while i < line.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        guard i < line.upperBound else { return false }
        if b[i] == UInt8(ascii: "*") {
            var end = line.upperBound
            while end > i, b[end - 1] == 0x20 || b[end - 1] == 0x0D { end -= 1 }
            return end - i >= 3 && b[i..<end].allSatisfy { $0 == UInt8(ascii: "*") }
        }
        return b[i] == UInt8(ascii: "[") && (Bytes.equal(b, i, "[REDACTED:code:") || Bytes.equal(b, i, "[REDACTED]"))
    }

    private func isBlank(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        for i in line where b[i] != 0x20 && b[i] != 0x09 && b[i] != 0x0D { return false }
        return true
    }

    private func indentation(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int {
        var n = 0
        for i in line {
            if b[i] == 0x20 { n += 1 } else if b[i] == 0x09 { n += 4 } else { break }
        }
        return n
    }

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

    // MARK: Data formats and languages

    /// `json`, `yaml` or `csv` when the lines read as data rather than code.
    private func dataFormat(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> String? {
        var n = 0
        for line in lines where !isBlank(b, line) { n += 1 }
        guard n > 0 else { return nil }
        var json = 0
        var yaml = 0
        var firstCommas = -1
        var sameCommas = true
        var codeish = 0
        for line in lines where !isBlank(b, line) {
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

    private func guessLanguage(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> String {
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
            while i < line.upperBound, b[i].isASCIIAlphanumeric || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: "'") {
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
