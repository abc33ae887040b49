import Foundation

/// Finds secrets in UTF-8 text: one automaton pass over the bytes for every rule's keywords,
/// then the owning rule's matcher confirms each hit in a small window around it.
package struct SecretScanner: Sendable {
    package let rules: [SecretRule]
    private let automaton: KeywordAutomaton
    private let keywordRule: [Int]
    private let keywordBytes: [[UInt8]]
    private let keywordExactCase: [Bool]

    /// The catalogue, with the code detector's language markers found in the same pass.
    package static let standard = SecretScanner(rules: SecretCatalogue.rules, markers: WordTables.shared.markerBytes)

    /// Whether `scan(_:markers:)` reports language markers.
    package let findsMarkers: Bool
    private let firstMarker: Int

    /// `markers` are extra keywords reported by `scan(_:markers:)` under their index in this list, so that a pass
    /// over a text also serves the code detector's language guess.
    package init(rules: [SecretRule], markers: [[UInt8]] = []) {
        self.rules = rules
        var keywords: [String] = []
        var keywordRule: [Int] = []
        var exact: [Bool] = []
        for (index, rule) in rules.enumerated() {
            for keyword in rule.keywords {
                keywords.append(keyword)
                keywordRule.append(index)
                exact.append(rule.matcher.matchesKeywordCase)
            }
        }
        // Placeholders from an earlier pass are found in the same pass, under a rule index of -1, whole or cut to
        // fit (`[REDACTED]`, in upload pieces).
        for placeholder in ["[REDACTED:", "[REDACTED]"] {
            keywords.append(placeholder)
            keywordRule.append(-1)
            exact.append(true)
        }
        self.firstMarker = keywords.count
        self.findsMarkers = !markers.isEmpty
        for marker in markers {
            keywords.append(String(decoding: marker, as: UTF8.self))
            keywordRule.append(-2)
            exact.append(false)  // the code detector compares case itself
        }
        self.automaton = KeywordAutomaton(keywords: keywords)
        self.keywordRule = keywordRule
        self.keywordBytes = keywords.map { Array($0.utf8) }
        self.keywordExactCase = exact
    }

    /// Secrets in `text`, ordered by position; a span inside another found span is dropped.
    package func scan(_ text: UnsafeBufferPointer<UInt8>) -> [SecretMatch] {
        var markers: [KeywordAutomaton.Hit] = []
        return scan(text, markers: &markers)
    }

    /// Secrets in `text`, and in `markers` every occurrence of a marker (in order of their ends; ASCII case ignored).
    package func scan(_ text: UnsafeBufferPointer<UInt8>, markers: inout [KeywordAutomaton.Hit]) -> [SecretMatch] {
        var placeholders: [Range<Int>] = []
        return scan(text, markers: &markers, placeholders: &placeholders)
    }

    /// `scan(_:markers:)`, also reporting the placeholders of an earlier pass (`[REDACTED:…]`) found in `text`.
    package func scan(
        _ text: UnsafeBufferPointer<UInt8>, markers: inout [KeywordAutomaton.Hit], placeholders: inout [Range<Int>]
    ) -> [SecretMatch] {
        var commandLines = false
        return scan(text, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
    }

    /// `scan(_:markers:placeholders:)`, also telling whether a command-line client's name (`curl `, `mysql `…) is in
    /// `text`: where a placeholder lands on such a line can change how the line splits into words.
    package func scan(
        _ text: UnsafeBufferPointer<UInt8>, markers: inout [KeywordAutomaton.Hit], placeholders: inout [Range<Int>],
        commandLines: inout Bool
    ) -> [SecretMatch] {
        var hits: [KeywordAutomaton.Hit] = []
        automaton.scan(text, into: &hits)
        guard !hits.isEmpty else { return [] }
        var matches: [SecretMatch] = []
        for hit in hits {
            let keyword = Int(hit.keyword)
            let end = Int(hit.end)
            let start = end - keywordBytes[keyword].count
            if keywordExactCase[keyword], !Bytes.equal(text, start, keywordBytes[keyword]) { continue }
            let ruleIndex = keywordRule[keyword]
            if ruleIndex == -2 {
                markers.append(KeywordAutomaton.Hit(keyword: Int32(keyword - firstMarker), end: hit.end))
                continue
            }
            if ruleIndex < 0 {
                // A whole placeholder runs to its closing bracket; a cut one is that bracket already.
                var close = text[end - 1] == UInt8(ascii: "]") ? end - 1 : end
                while close < text.count, close - start < 200, text[close] != UInt8(ascii: "]") { close += 1 }
                placeholders.append(start..<min(close + 1, text.count))
                continue
            }
            if case .commandLinePassword = rules[ruleIndex].matcher { commandLines = true }
            Matchers.match(rules[ruleIndex].matcher, text, start, end) { range in
                if !range.isEmpty { matches.append(SecretMatch(rule: ruleIndex, range: range)) }
            }
        }
        matches.sort {
            if $0.range.lowerBound != $1.range.lowerBound { return $0.range.lowerBound < $1.range.lowerBound }
            if $0.range.count != $1.range.count { return $0.range.count > $1.range.count }
            return $0.rule < $1.rule
        }
        // Placeholders from an earlier pass are not secrets, and neither is anything that overlaps one.
        var kept: [SecretMatch] = []
        var coveredTo = 0
        for m in matches where m.range.upperBound > coveredTo {
            if placeholders.contains(where: { $0.overlaps(m.range) }) { continue }
            // A vendor's published example value is documentation, whichever rule found it.
            if PublishedExamples.contains(text, m.range) { continue }
            kept.append(m)
            coveredTo = m.range.upperBound
        }
        return kept
    }

    /// Secrets in a value that a name was assigned to (a JSON member's string, a form field), read as the text
    /// `"name": "value"` so that the rules which need the name (`password`, `aws_secret_access_key`, a Docker
    /// config's `auth`) see it. Ranges, and `markers`, are in `value`. Names without any keyword cost one pass
    /// over the name.
    package func scan(
        _ value: UnsafeBufferPointer<UInt8>, assignedTo name: some StringProtocol,
        markers: inout [KeywordAutomaton.Hit], placeholders: inout [Range<Int>], commandLines: inout Bool
    ) -> [SecretMatch] {
        let prefix = name.utf8.count + 5
        guard prefix <= 256 else {
            return scan(value, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
        }
        func writePrefix(_ out: UnsafeMutableBufferPointer<UInt8>) {
            out[0] = 0x22
            _ = UnsafeMutableBufferPointer(rebasing: out[1...]).initialize(from: name.utf8)
            for (i, c) in "\": \"".utf8.enumerated() { out[prefix - 4 + i] = c }
        }
        let named = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix) { out in
            writePrefix(out)
            var hits: [KeywordAutomaton.Hit] = []
            automaton.scan(UnsafeBufferPointer(out), into: &hits)
            return hits.contains { keywordRule[Int($0.keyword)] >= 0 }
        }
        guard named else {
            return scan(value, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
        }
        let text = [UInt8](unsafeUninitializedCapacity: prefix + value.count + 1) { out, count in
            writePrefix(out)
            _ = UnsafeMutableBufferPointer(rebasing: out[prefix...]).initialize(from: value)
            out[prefix + value.count] = 0x22
            count = prefix + value.count + 1
        }
        var shiftedMarkers: [KeywordAutomaton.Hit] = []
        var shiftedPlaceholders: [Range<Int>] = []
        let matches = text.withUnsafeBufferPointer {
            scan($0, markers: &shiftedMarkers, placeholders: &shiftedPlaceholders, commandLines: &commandLines)
        }
        for hit in shiftedMarkers where Int(hit.end) - keywordBytes[firstMarker + Int(hit.keyword)].count >= prefix {
            markers.append(KeywordAutomaton.Hit(keyword: hit.keyword, end: hit.end - Int32(prefix)))
        }
        for range in shiftedPlaceholders where range.lowerBound >= prefix {
            placeholders.append(range.lowerBound - prefix..<min(range.upperBound - prefix, value.count))
        }
        // A match inside the name alone is the name's business (keys are scanned as keys), not the value's.
        return matches.compactMap { match in
            let lower = max(match.range.lowerBound - prefix, 0)
            let upper = min(match.range.upperBound - prefix, value.count)
            return lower < upper ? SecretMatch(rule: match.rule, range: lower..<upper) : nil
        }
    }

    package func scan(_ text: [UInt8]) -> [SecretMatch] {
        text.withUnsafeBufferPointer { scan($0) }
    }
}

extension SecretMatcher {
    /// Whether what the matcher finds is a credential by its shape alone, with no name or context around it.
    var isSelfEvident: Bool {
        switch self {
        case .token, .openAILegacyKey, .jwt, .telegramBotToken, .base64PrivateKey, .sourcegraphToken,
            .maxMindLicenseKey:
            true
        default: false
        }
    }

    /// Token-shaped matchers compare their keyword in exact case; context matchers ignore case.
    var matchesKeywordCase: Bool {
        switch self {
        case .token, .openAILegacyKey, .azureADClientSecret, .telegramBotToken, .newRelicLicenseKey, .mailchimpKey,
            .sourcegraphToken, .maxMindLicenseKey,
            .jwt, .azureSASSignature, .base64PrivateKey, .awsPairedSecret, .twilioPairedSecret:
            true
        default: false
        }
    }
}

/// Small byte helpers shared by the matchers.
enum Bytes {
    @inline(__always)
    static func equal(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ needle: [UInt8]) -> Bool {
        guard at >= 0, at + needle.count <= b.count else { return false }
        for i in 0..<needle.count where b[at + i] != needle[i] { return false }
        return true
    }

    /// `equal` for literals, without allocating.
    @inline(__always)
    static func equal(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard at >= 0, at + count <= b.count else { return false }
        let p = needle.utf8Start
        for i in 0..<count where b[at + i] != p[i] { return false }
        return true
    }

    static func find(_ b: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from: Int, limit: Int) -> Int? {
        let count = needle.utf8CodeUnitCount
        let end = min(limit, b.count) - count
        guard from <= end else { return nil }
        let first = needle.utf8Start[0]
        var i = from
        while i <= end {
            if b[i] == first, equal(b, i, needle) { return i }
            i += 1
        }
        return nil
    }

    /// Case-insensitive search for an ASCII needle (given in lower case) in `range`.
    static func containsFolded(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ needle: [UInt8]) -> Bool {
        guard needle.count <= range.count else { return false }
        var i = range.lowerBound
        let last = range.upperBound - needle.count
        outer: while i <= last {
            for j in 0..<needle.count where b[i + j].lowercasedASCII != needle[j] {
                i += 1
                continue outer
            }
            return true
        }
        return false
    }

    /// The first index of `needle` (exact case) in `from..<limit`.
    static func find(_ b: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], from: Int, limit: Int) -> Int? {
        let end = min(limit, b.count) - needle.count
        guard from <= end, let first = needle.first else { return nil }
        var i = from
        while i <= end {
            if b[i] == first, equal(b, i, needle) { return i }
            i += 1
        }
        return nil
    }

    static func run(_ b: UnsafeBufferPointer<UInt8>, from: Int, _ cls: ByteClass, max: Int) -> Int {
        var i = from
        while i < b.count, i - from <= max, cls.contains(b[i]) { i += 1 }
        return i
    }

    static func runBackwards(_ b: UnsafeBufferPointer<UInt8>, before: Int, _ cls: ByteClass, max: Int) -> Int {
        var i = before
        while i > 0, before - i < max, cls.contains(b[i - 1]) { i -= 1 }
        return i
    }
}

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
