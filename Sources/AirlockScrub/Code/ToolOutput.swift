import Foundation

/// Lines that tools print and people paste into prose: log lines, test runners' reports, build progress and the
/// frames of interactive tracebacks, and Markdown's own markup. They hold calls, paths and symbols, but none of them
/// is pasted source code. Only lines that already read somewhat like code are looked at (`CodeDetector.score`).
enum ToolOutput {
    /// Whether a trimmed line is tool output: a log line or a line of a test or build report.
    static func isOutput(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        guard line.count >= 4 else { return false }
        let lo = line.lowerBound
        let hi = line.upperBound
        switch b[lo] {
        case UInt8(ascii: "-"):
            // rustc's pointer to a source location, `--> src/main.rs:5:20`.
            if Bytes.equal(b, lo, "--> "), sourceLocation(b, lo + 4..<hi) { return true }
            // IPython's arrow at the failing line, `----> 5     raise ValueError(…)`; a test's captured output,
            // `---- tests::another stdout ----`.
            if Bytes.equal(b, lo, "---->") { return true }
            if Bytes.equal(b, lo, "---- "), hi - lo > 10, Bytes.equal(b, hi - 5, " ----") { return true }
        case UInt8(ascii: "="):
            // A test runner's banner, `===== short test summary info =====`, `=== 1 failed, 3 passed in 0.12s ===`.
            if Bytes.equal(b, lo, "=== "), Bytes.equal(b, hi - 4, " ===") { return true }
            if Bytes.equal(b, lo, "====="), Bytes.find(b, " ", from: lo, limit: hi) != nil, b[hi - 1] == b[lo] {
                return true
            }
        case UInt8(ascii: "n"):
            // npm's report lines, `npm ERR! code ERESOLVE`, `npm WARN deprecated …`.
            if Bytes.equal(b, lo, "npm ERR!") || Bytes.equal(b, lo, "npm WARN ") || Bytes.equal(b, lo, "npm error ")
                || Bytes.equal(b, lo, "npm warn ")
            {
                return true
            }
        case UInt8(ascii: "|"):
            // The gutter of a compiler's excerpt without a line number (rustc, clang): `|`, then markers under the
            // line above, `|                    ^^^^^ value borrowed here`.
            var j = lo + 1
            while j < hi, b[j] == 0x20 { j += 1 }
            if j == hi || b[j] == UInt8(ascii: "^") || b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: "~")
                || b[j] == UInt8(ascii: "|") || b[j] == UInt8(ascii: "_")
            {
                if j == hi || j > lo + 1 { return true }
            }
            // A row of a Markdown table, `| `timeout` | `30s` | How long `fetch()` waits |`, or its rule, `|---|:-:|`.
            if b[hi - 1] == UInt8(ascii: "|"), b[lo + 1] != UInt8(ascii: "|"), b[lo + 1] != UInt8(ascii: ">") {
                var cells = 0
                for i in lo..<hi where b[i] == UInt8(ascii: "|") { cells += 1 }
                if cells >= 3 { return true }
            }
        case UInt8(ascii: "_"):
            // pytest's header of a failing test, `_____ test_total _____`.
            if Bytes.equal(b, lo, "___ "), b[hi - 1] == UInt8(ascii: "_") { return true }
        case UInt8(ascii: "C"):
            // IPython's frames, `Cell In[3], line 5, in foo(x)`, and cargo's `Compiling adder v0.1.0 (…)`.
            if Bytes.equal(b, lo, "Cell In") { return true }
            if Bytes.equal(b, lo, "Compiling "), Bytes.find(b, " v", from: lo + 10, limit: hi) != nil { return true }
        case UInt8(ascii: "I"):
            if Bytes.equal(b, lo, "Input In [") { return true }
        case UInt8(ascii: "F"):
            // `File ~/code/foo.py:3, in boo(x)`, rspec's `Failure/Error: expect(1).to eq(2)`, cargo's `Finished`.
            if Bytes.equal(b, lo, "File "), sourceLocation(b, lo + 5..<hi) { return true }
            if Bytes.equal(b, lo, "Failure/Error:") || Bytes.equal(b, lo, "Finished `") { return true }
        case UInt8(ascii: "R"):
            if Bytes.equal(b, lo, "Running `") || Bytes.equal(b, lo, "Running unittests ") { return true }
        case UInt8(ascii: "#"):
            // rspec's backtrace lines, `# ./spec/support/sandboxing.rb:16`.
            var i = lo + 1
            while i < hi, b[i] == 0x20 { i += 1 }
            if i > lo + 1, sourceLocation(b, i..<hi) { return true }
        case UInt8(ascii: "t"):
            // A test runner's verdict, `test tests::exploration ... ok`; a panic with the thread's id,
            // `thread 'main' (6017738) panicked at src/main.rs:4:19:`.
            if Bytes.equal(b, lo, "test "),
                Bytes.find(b, " ... ", from: lo + 5, limit: hi) != nil
            {
                return true
            }
            if Bytes.equal(b, lo, "thread '"), Bytes.find(b, " panicked at ", from: lo, limit: hi) != nil {
                return true
            }
        default: break
        }
        if b[lo].isDigit {
            var j = lo
            while j < hi, b[j].isDigit { j += 1 }
            // A line of a compiler's excerpt with its number in a gutter, `5 |     println!("{:?}", names);`.
            var k = j
            while k < hi, b[k] == 0x20 { k += 1 }
            if k > j, k < hi, b[k] == UInt8(ascii: "|"), k + 1 == hi || b[k + 1] == 0x20 { return true }
        } else if b[lo] == UInt8(ascii: "#"), lo + 1 < hi, b[lo + 1].isDigit {
            // A PHP or gdb backtrace's frame, `#0 /var/www/src/Cart.php(14): count(NULL)`, `#1  0x00007f… in main ()`,
            // `#2 {main}`.
            var j = lo + 1
            while j < hi, b[j].isDigit { j += 1 }
            var k = j
            while k < hi, b[k] == 0x20 { k += 1 }
            if k > j, Bytes.equal(b, k, "/") || Bytes.equal(b, k, "0x") || Bytes.equal(b, k, "{main}") { return true }
        }
        if isCommitSubject(b, lo..<hi) { return true }
        // pytest's summary of a failing test, `FAILED tests/test_cart.py::test_total - assert 30 == 40`.
        if b[lo] == UInt8(ascii: "F") || b[lo] == UInt8(ascii: "E"),
            Bytes.equal(b, lo, "FAILED ") || Bytes.equal(b, lo, "ERROR "),
            Bytes.find(b, "::", from: lo, limit: hi) != nil
        {
            return true
        }
        // An exception's name and message, `RuntimeError: no connection (pool_size=10)`,
        // `java.lang.IllegalStateException: closed`: a name that ends in Error or Exception, then `: `.
        if b[lo].isASCIILetter, let colon = Bytes.find(b, ": ", from: lo, limit: min(hi, lo + 120)), colon > lo + 5,
            Bytes.equal(b, colon - 5, "Error") || (colon - 9 >= lo && Bytes.equal(b, colon - 9, "Exception"))
        {
            var plain = true
            for i in lo..<colon
            where
                !(b[i].isASCIIAlphanumeric || b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "_")
                || b[i] == UInt8(ascii: "$"))
            {
                plain = false
                break
            }
            if plain { return true }
        }
        // rspec's failures, `Failure/Error: expect(1).to eq(2)` after a number, `3.1) `.
        if b[lo].isDigit, Bytes.find(b, ") Failure/Error:", from: lo, limit: min(hi, lo + 24)) != nil { return true }
        // A Python object's representation as a test report shows a variable, `self = <app.Test testMethod=run>`.
        if b[hi - 1] == UInt8(ascii: ">"), Bytes.find(b, " = <", from: lo, limit: min(hi, lo + 64)) != nil,
            Bytes.find(b, "</", from: lo, limit: hi) == nil, b[hi - 2] != UInt8(ascii: "/")
        {
            return true
        }
        // A frame whose arguments start with an address in braces (Go), `main.func·001({0x11000000, 2}, 3)`.
        if b[hi - 1] == UInt8(ascii: ")") {
            var open = hi - 2
            while open > lo, hi - open < 256, b[open] != UInt8(ascii: "(") { open -= 1 }
            if open > lo, Bytes.equal(b, open, "({0x") { return true }
        }
        return startsWithTimestamp(b, line) || hasBracketedTimestamp(b, line)
    }

    /// Whether a line holds a timestamp in square brackets among its first fields, as access and server logs write
    /// it after a client's address or a process's fields: `[Sun Mar 13 22:49:12 2016]` (uWSGI),
    /// `[10/Oct/2000:13:55:36 -0700]` (Apache, nginx), `[2016-03-13 22:49:12,123]`. The bracket opens the line or
    /// follows a blank and holds no quote, so an array or a string in code (`a[10:20:30]`, `["22:49:12"]`) is none.
    static func hasBracketedTimestamp(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        guard let base = b.baseAddress else { return false }
        let limit = min(line.upperBound, line.lowerBound + 160)
        var i = line.lowerBound
        while i < limit, let hit = memchr(base + i, Int32(UInt8(ascii: "[")), limit - i) {
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if at == line.lowerBound || b[at - 1] == 0x20, at + 9 < line.upperBound,
                bracketHoldsTime(b, at + 1, min(line.upperBound, at + 48))
            {
                return true
            }
            i = at + 1
        }
        return false
    }

    /// Whether the bytes from `start` up to a closing `]` (before `limit`) are a date and a time of day: digits,
    /// names of days and months, blanks and `-/.,:+` only, with `hh:mm:ss` among them.
    private static func bracketHoldsTime(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ limit: Int) -> Bool {
        var time = false
        var letters = 0
        var i = start
        while i < limit {
            let c = b[i]
            if c == UInt8(ascii: "]") { return time }
            if c.isASCIILetter {
                letters += 1
                if letters > 4 { return false }
            } else {
                letters = 0
                guard
                    c.isDigit || c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: "/")
                        || c == UInt8(ascii: ".") || c == UInt8(ascii: ",") || c == UInt8(ascii: ":")
                        || c == UInt8(ascii: "+")
                else { return false }
                if !time, c.isDigit, i + 7 < limit, b[i + 1].isDigit, b[i + 2] == UInt8(ascii: ":"), b[i + 3].isDigit,
                    b[i + 4].isDigit, b[i + 5] == UInt8(ascii: ":"), b[i + 6].isDigit, b[i + 7].isDigit
                {
                    time = true
                    i += 8
                    continue
                }
            }
            i += 1
        }
        return false
    }

    /// The types of a Conventional Commits subject.
    private static let commitTypes: [StaticString] = [
        "feat", "fix", "chore", "docs", "refactor", "perf", "test", "build", "ci", "style", "revert", "deps",
    ]

    /// Whether a trimmed line is a commit's subject as Conventional Commits writes it, a type, a scope in parentheses
    /// or none, `!` for a breaking change, then `: ` and words: `fix(parser): handle \r\n in read_header()`,
    /// `chore(main): release 2.3.0`, `feat!: drop Node 16`.
    static func isCommitSubject(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        let lo = line.lowerBound
        let hi = line.upperBound
        guard hi - lo >= 6, b[lo] &- 0x61 < 26 else { return false }
        for type in commitTypes where Bytes.equal(b, lo, type) {
            var i = lo + type.utf8CodeUnitCount
            if i < hi, b[i] == UInt8(ascii: "(") {
                let open = i
                while i < hi, i - open < 40, b[i] != UInt8(ascii: ")"), b[i] != 0x20 || i > open + 1 { i += 1 }
                guard i < hi, b[i] == UInt8(ascii: ")"), i > open + 1 else { return false }
                i += 1
            }
            if i < hi, b[i] == UInt8(ascii: "!") { i += 1 }
            guard Bytes.equal(b, i, ": "), i + 2 < hi, b[i + 2].isASCIILetter || b[i + 2] == UInt8(ascii: "`") else {
                return false
            }
            if b[lo + type.utf8CodeUnitCount] != UInt8(ascii: ":") { return true }
            // Without a scope or `!`, words: a Makefile's `test: install_deps` or `build: main.o util.o` names files.
            var j = i + 2
            while j < hi, b[j].isASCIILetter { j += 1 }
            return j > i + 2 && j < hi && b[j] == 0x20
        }
        return false
    }

    /// Whether a line starts with a timestamp, as log lines do: a time of day `hh:mm:ss` after at most a date, a
    /// day's or month's name and a process id (`Nov  3 09:47:02`, `2018-09-18 10:11:45`, `08:09:33.814936`,
    /// `478765 12:21:46.384029`), or a Unix time with a fraction (`1320279581.833299`).
    static func startsWithTimestamp(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var lo = line.lowerBound
        // A logfmt key first, `ts=2018-09-18 10:11:45;thread_name=…`, `time=…`.
        if lo < line.upperBound, b[lo] &- 0x61 < 26 {
            var k = lo
            while k < line.upperBound, k - lo <= 8, b[k] &- 0x61 < 26 || b[k] == UInt8(ascii: "_") { k += 1 }
            guard k < line.upperBound, b[k] == UInt8(ascii: "="), k + 1 < line.upperBound, b[k + 1].isDigit else {
                return false
            }
            lo = k + 1
        }
        let hi = min(line.upperBound, lo + 40)
        // A digit, a bracket, or a capital of a day's or month's name or of a log level comes first.
        guard lo < hi, b[lo].isDigit || b[lo] == UInt8(ascii: "[") || b[lo] &- 0x41 < 26 else { return false }
        var i = lo
        if b[i] == UInt8(ascii: "[") { i += 1 }
        // A Unix time: ten digits, a fraction, a blank.
        var digits = 0
        while i + digits < hi, b[i + digits].isDigit { digits += 1 }
        if digits >= 9, digits <= 10, i + digits < hi, b[i + digits] == UInt8(ascii: ".") {
            var j = i + digits + 1
            while j < hi, b[j].isDigit { j += 1 }
            if j > i + digits + 1, j < hi, b[j] == 0x09 || b[j] == 0x20 { return true }
        }
        // Up to 28 bytes of date, names and numbers before the time.
        var letters = 0
        while i + 7 < hi, i - lo <= 28 {
            let c = b[i]
            if c.isDigit, b[i + 1].isDigit, b[i + 2] == UInt8(ascii: ":"), b[i + 3].isDigit, b[i + 4].isDigit,
                b[i + 5] == UInt8(ascii: ":"), b[i + 6].isDigit, b[i + 7].isDigit
            {
                return i == lo || !b[i - 1].isASCIILetter
            }
            if c.isASCIILetter {
                letters += 1
                // Names of days and months, a log level's letter (`I0912`), not words of a sentence.
                if letters > 4 { return false }
            } else {
                letters = 0
                guard
                    c.isDigit || c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: "/")
                        || c == UInt8(ascii: ".") || c == UInt8(ascii: ",")
                else { return false }
            }
            i += 1
        }
        return false
    }

    /// Whether a trimmed line is Markdown markup that reads like code by its symbols: a heading of level two or
    /// more (`## Options`; `# ` is also a comment in many languages, and stays neutral), or a line of links and
    /// badges (`- [Docs](docs.md)`, `[![Version](https://…)](https://…)`, text with a link to a page).
    static func isMarkup(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        let lo = line.lowerBound
        let hi = line.upperBound
        guard hi - lo >= 3 else { return false }
        if b[lo] == UInt8(ascii: "#") {
            var i = lo
            while i < hi, b[i] == UInt8(ascii: "#") { i += 1 }
            return i - lo >= 2 && i - lo <= 6 && i < hi && b[i] == 0x20
        }
        var i = lo
        // A list item's marker.
        if b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "*") || b[i] == UInt8(ascii: "+"), b[i + 1] == 0x20 {
            i += 2
        }
        if i < hi, b[i] == UInt8(ascii: "!") { i += 1 }
        if i < hi, b[i] == UInt8(ascii: "["), Bytes.find(b, "](", from: i, limit: hi) != nil { return true }
        // A link to a page, `and [`JsonWriter`](https://…)`: `]` is rare, so it is looked for first.
        guard let base = b.baseAddress else { return false }
        var j = lo
        while j < hi - 1, let hit = memchr(base + j, Int32(UInt8(ascii: "]")), hi - 1 - j) {
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if b[at + 1] == UInt8(ascii: "("), Bytes.equal(b, at + 2, "http") { return true }
            j = at + 1
        }
        return false
    }

    /// Whether every backslash in a line joins the parts of a qualified name, as PHP writes them
    /// (`use Psr\Http\Message\RequestInterface;`, `new \GuzzleHttp\Client()`): a capital after it, and a name's
    /// byte or nothing before it. TeX's commands follow a blank or a brace and are mostly small letters.
    static func hasQualifiedNames(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var names = 0
        for i in line where b[i] == UInt8(ascii: "\\") {
            guard i + 1 < line.upperBound, b[i + 1] &- 0x41 < 26 else { return false }
            let before = i > line.lowerBound ? b[i - 1] : 0x20
            guard before.isASCIIAlphanumeric || before == UInt8(ascii: "_") || before == 0x20 else { return false }
            names += 1
        }
        return names > 0
    }

    /// The bytes of a path in a source location.
    private static let pathBytes = ByteClass.identifier.union("/\\@+~")

    /// Whether a line starts with a source location, `path/file.ext:line`.
    private static func sourceLocation(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound
        var dot = -1
        while i < line.upperBound, pathBytes.contains(b[i]) {
            if b[i] == UInt8(ascii: ".") { dot = i }
            i += 1
        }
        guard dot > line.lowerBound, dot + 1 < i, i - dot <= 6, i + 1 < line.upperBound, b[i] == UInt8(ascii: ":"),
            b[i + 1].isDigit
        else { return false }
        return b[(dot + 1)..<i].allSatisfy(\.isASCIILetter)
    }
}
