import Foundation

/// Lines of error output and of maths: stack frames, tracebacks, panics, test failures and TeX. Prose quotes them
/// (a bug report, a paper) and they quote source lines, but they are diagnostics and formulas, not pasted code.
enum Diagnostics {
    /// Whether a trimmed line is a line of error output.
    static func isDiagnostic(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        guard !line.isEmpty else { return false }
        let lo = line.lowerBound
        let hi = line.upperBound
        let first = b[lo]
        let last = b[hi - 1]
        switch first {
        case UInt8(ascii: "a"):
            // Java, JavaScript and C# frames: `at com.acme.Job.run(Job.java:42)`.
            if Bytes.equal(b, lo, "at "), last == UInt8(ascii: ")") || sourceLocation(b, lo + 3..<hi) { return true }
        case UInt8(ascii: "F"), UInt8(ascii: "T"):
            if Bytes.equal(b, lo, "File \"") || Bytes.equal(b, lo, "Traceback (") { return true }
        case UInt8(ascii: "E"):
            // pytest's failure lines: `E       assert 1 == 2`.
            if Bytes.equal(b, lo, "E   ") { return true }
        case UInt8(ascii: ">"):
            // pytest's failing source line, `>       assert f() == 2`: seven spaces, and four more a level, where a
            // quoted line of four-space code has one, then four a level.
            var spaces = 0
            while lo + 1 + spaces < hi, b[lo + 1 + spaces] == 0x20 { spaces += 1 }
            if spaces >= 7, (spaces - 7) % 4 == 0 { return true }
        case UInt8(ascii: "g"):
            // Go: `goroutine 7 [running]:`.
            if Bytes.equal(b, lo, "goroutine "), hi - lo > 10, b[lo + 10].isDigit { return true }
        case UInt8(ascii: "t"):
            // Rust: `thread 'main' panicked at src/main.rs:4:19:`.
            if Bytes.equal(b, lo, "thread '"), Bytes.find(b, "' panicked at", from: lo, limit: hi) != nil {
                return true
            }
        case UInt8(ascii: "f"):
            // Ruby: `from app/models/user.rb:12:in 'save'`.
            if Bytes.equal(b, lo, "from "), sourceLocation(b, lo + 5..<hi) { return true }
        case UInt8(ascii: "^"), UInt8(ascii: "~"):
            // A caret line pointing into the line above it.
            if b[line].allSatisfy({ $0 == UInt8(ascii: "^") || $0 == UInt8(ascii: "~") || $0 == 0x20 }) { return true }
        default: break
        }
        // A frame whose last call's arguments start with an address (Go, C): `main.run(0xc000010000, 0x9)`.
        if last == UInt8(ascii: ")") {
            var open = hi - 1
            while open > lo, hi - open < 512, b[open] != UInt8(ascii: "(") { open -= 1 }
            if open > lo, Bytes.equal(b, open, "(0x") { return true }
        }
        return sourceLocation(b, line)
    }

    /// The bytes of a path in a source location.
    private static let pathBytes = ByteClass.identifier.union("/\\@+~")

    /// Whether a line starts with a source location, `path/file.ext:line` (`pprof.go:665 +0x9d`,
    /// `example.py:7: AssertionError`, `test.rb:1:in '<main>'`, `src/main.rs:4:19`).
    private static func sourceLocation(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var i = line.lowerBound
        let path = pathBytes
        var dot = -1
        while i < line.upperBound, path.contains(b[i]) {
            if b[i] == UInt8(ascii: ".") { dot = i }
            i += 1
        }
        // An extension of letters, then a colon and a line number.
        guard dot > line.lowerBound, dot + 1 < i, b[(dot + 1)..<i].allSatisfy(\.isASCIILetter), i - dot <= 6,
            i + 1 < line.upperBound, b[i] == UInt8(ascii: ":"), b[i + 1].isDigit
        else { return false }
        return true
    }

    /// Whether a trimmed line is TeX: it opens or closes an environment, ends a row with `\\`, or holds two commands
    /// or more (`\mbox{…} & \mathbf{tr}(CX)`).
    static func isMaths(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        guard line.count >= 2, let base = b.baseAddress,
            memchr(base + line.lowerBound, Int32(UInt8(ascii: "\\")), line.count) != nil
        else { return false }
        let lo = line.lowerBound
        if Bytes.equal(b, lo, "\\begin{") || Bytes.equal(b, lo, "\\end{") { return true }
        if b[line.upperBound - 1] == UInt8(ascii: "\\"), b[line.upperBound - 2] == UInt8(ascii: "\\") { return true }
        var commands = 0
        var i = lo
        while i + 1 < line.upperBound {
            if b[i] == UInt8(ascii: "\\"), b[i + 1].isASCIILetter {
                var j = i + 1
                while j < line.upperBound, b[j].isASCIILetter { j += 1 }
                // `\frac{`, `\mathbf{`, `\alpha`: a command; `\n` in a string is an escape, too short to count.
                if j - i >= 3 { commands += 1 }
                i = j
            } else {
                i += 1
            }
        }
        return commands >= 2
    }
}
