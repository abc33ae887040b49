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
