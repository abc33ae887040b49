import Foundation

extension CodeDetector {
    // MARK: Unfenced code

    func kind(of score: Double, blank: Bool) -> LineKind {
        if blank { return .blank }
        if score >= 2 { return .code }
        if score > 0 { return .neutral }
        return .prose
    }

    /// `known` holds the scores of some of the lines, by their index in `lines` (NaN where not known).
    func unfenced(
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
    func scoredRegions(
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
            let blank = Bytes.isBlank(b, line)
            var s = blank ? 0 : known.flatMap { $0[index].isNaN ? nil : $0[index] } ?? score(b, line)
            if !blank, s > 0, frameIndent >= 0, Bytes.indentation(b, line) > frameIndent { s = -3 }
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
            if !blank, previousCode, s > -1, Bytes.indentation(b, line) >= 2 { s += 1 }
            scored.append(Line(range: line, score: s, blank: blank))
            if !blank {
                previousCode = s >= 2
                // A frame that reads as prose by its words (`File "/app/main.py", line 5, in main`) quotes too.
                frameIndent = s <= 0 && isFrame(b, line) ? Bytes.indentation(b, line) : -1
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
                let own = Bytes.indentation(b, scored[k].range)
                let next = scored[k + 1].range
                let under = Bytes.indentation(b, next)
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
    func mayBeCodeByContext(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, score: Double) -> Bool {
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
    func isStatement(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
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
    func isFrame(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound
        while i < line.upperBound, b[i] == 0x20 { i += 1 }
        return Bytes.equal(b, i, "File ") || Bytes.equal(b, i, "Cell In") || Bytes.equal(b, i, "Input In [")
    }

    /// A line that is a code placeholder of an earlier pass, whole or cut to fit an upload piece (`[REDACTED]`,
    /// or asterisks where even that is too long).
    func isCodePlaceholder(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
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

}
