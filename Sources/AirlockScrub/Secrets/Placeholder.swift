import Foundation

/// Shannon entropy and placeholder filtering: what separates a real credential from `xxxx` or `<your-key>`.
package enum Placeholder {
    static let marker = Array("[REDACTED:".utf8)

    private static let needles: [[UInt8]] = [
        "example", "xxxx", "****", "your", "placeholder", "dummy", "redacted", "changeme", "change_me", "replace",
        "insert", "sample", "${", "{{", "%s", "...", "\u{2026}", "[redacted", "fake", "test1234", "12345678",
        "abcdefgh", "notareal", "not-a-real", "not_a_real",
    ].map { Array($0.utf8) }

    private static let formatDirective = Array("%s".utf8)

    /// For each lowercased byte, the needles that start with it.
    private static let needlesByFirstByte: [[[UInt8]]] = {
        var table = [[[UInt8]]](repeating: [], count: 256)
        for needle in needles { table[Int(needle[0])].append(needle) }
        return table
    }()

    /// Needles short enough to turn up by chance in a long random token (about one 36-character token in
    /// 10,000 holds one of them, and one in 2,000 of the 150-character OpenAI project keys).
    private static let incidental: [[UInt8]] = ["xxxx", "your", "fake"].map { Array($0.utf8) }

    /// Whether the value at `r` is a placeholder or a documented example rather than a credential. With `token`
    /// (a value in a token's own alphabet after a distinctive prefix), a short needle that a random value may hold
    /// by chance counts only when the rest of the value is not random itself.
    static func looksLikePlaceholder(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, token: Bool = false) -> Bool {
        if r.isEmpty { return true }
        if hasAngleBracketName(b, r) { return true }
        // One character repeated (`yyy`, `***`), or a name in capitals in square brackets (`[PASSWORD]`).
        if r.count >= 3, b[r].allSatisfy({ $0 == b[r.lowerBound] }) { return true }
        if r.count >= 5, b[r.lowerBound] == UInt8(ascii: "["), b[r.upperBound - 1] == UInt8(ascii: "]"),
            b[(r.lowerBound + 1)..<(r.upperBound - 1)].allSatisfy({ $0 &- 0x41 < 26 || $0 == UInt8(ascii: "_") })
        {
            return true
        }
        let byFirst = needlesByFirstByte
        var chance: [Range<Int>] = []
        for i in r {
            for needle in byFirst[Int(b[i].lowercasedASCII)] where i + needle.count <= r.upperBound {
                var j = 1
                while j < needle.count, b[i + j].lowercasedASCII == needle[j] { j += 1 }
                guard j == needle.count else { continue }
                // `%s` is a format directive in small letters and on its own, not `%SC` or `%s9` inside a token.
                if needle == formatDirective,
                    b[i + 1] != UInt8(ascii: "s") || (i + 2 < r.upperBound && b[i + 2].isASCIIAlphanumeric)
                {
                    continue
                }
                guard token, incidental.contains(needle) else { return true }
                chance.append(i..<i + needle.count)
            }
        }
        if !chance.isEmpty {
            var rest: [UInt8] = []
            var i = r.lowerBound
            for hit in chance where hit.lowerBound >= i {
                rest += b[i..<hit.lowerBound]
                i = hit.upperBound
            }
            rest += b[i..<r.upperBound]
            let random = rest.withUnsafeBufferPointer {
                $0.count >= 16 && characterKinds($0, 0..<$0.count) >= 3 && entropy($0, 0..<$0.count) >= 3.5
            }
            if !random { return true }
        }
        if countsUp(b, r) { return true }
        var distinct = ByteClass()
        var count = 0
        for i in r where !distinct.contains(b[i]) {
            distinct.insert(b[i])
            count += 1
            if count >= 5 { return false }
        }
        return r.count >= 8
    }

    /// Whether the value counts up, as people type stand-ins for a key (`AbCeFG123`, `abc123def`, `1234abcd`):
    /// six characters or more, and at least three in four neighbouring pairs are a letter and the next letter or
    /// the one after it (case ignored), or a digit and the next digit. A random value has such a pair about once
    /// in twenty.
    static func countsUp(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count >= 6 else { return false }
        var rising = 0
        var previous = b[r.lowerBound]
        for i in r.dropFirst() {
            let c = b[i]
            if previous.isDigit, c.isDigit {
                if c == previous &+ 1 { rising += 1 }
            } else if previous.isASCIILetter, c.isASCIILetter {
                let step = (c | 0x20) &- (previous | 0x20)
                if step == 1 || step == 2 { rising += 1 }
            }
            previous = c
        }
        return rising * 4 >= (r.count - 1) * 3
    }

    /// A name in angle brackets that is most of the value (`<your-key>`, `<PASSWORD>`, `<api token>`): what
    /// documentation writes where a value goes. A `<` or `>` elsewhere in a value is one of its characters.
    static func hasAngleBracketName(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            guard b[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            var j = i + 1
            while j < r.upperBound, j - i <= 40,
                b[j].isASCIILetter || b[j] == UInt8(ascii: "_")
                    || b[j] == UInt8(ascii: "-") || b[j] == 0x20 || b[j].isDigit
            {
                j += 1
            }
            // Three characters or more, and most of the value: `a<bc>d9` is a password with brackets in it.
            if j < r.upperBound, b[j] == UInt8(ascii: ">"), j - i > 3, b[i + 1].isASCIILetter,
                2 * (j + 1 - i) >= r.count
            {
                return true
            }
            i += 1
        }
        return false
    }

    package static func entropy(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double {
        guard !r.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for i in r { counts[Int(b[i])] &+= 1 }
            let n = Double(r.count)
            var h = 0.0
            for i in r where counts[Int(b[i])] != 0 {
                let p = Double(counts[Int(b[i])]) / n
                h -= p * log2(p)
                counts[Int(b[i])] = 0
            }
            return h
        }
    }

    /// The entropy a random string of this alphabet and length comfortably exceeds.
    static func floor(length: Int, alphabet: Int) -> Double {
        let ideal = min(log2(Double(max(alphabet, 2))), log2(Double(max(length, 2))))
        return max(1.5, ideal * 0.6)
    }

    /// Lower case, upper case, digit, other: how many kinds of characters a value mixes.
    static func characterKinds(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int {
        var lower = false
        var upper = false
        var digit = false
        var other = false
        for i in r {
            let c = b[i]
            if c &- 0x61 < 26 {
                lower = true
            } else if c &- 0x41 < 26 {
                upper = true
            } else if c.isDigit {
                digit = true
            } else {
                other = true
            }
        }
        return [lower, upper, digit, other].filter { $0 }.count
    }
}
