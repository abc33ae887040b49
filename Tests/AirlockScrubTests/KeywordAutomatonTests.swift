import Testing

@testable import AirlockScrub

@Suite struct KeywordAutomatonTests {
    /// Every occurrence by brute force, case-folded, ordered as the automaton reports them.
    static func naive(_ keywords: [String], _ text: [UInt8]) -> [KeywordAutomaton.Hit] {
        let folded = keywords.map { Array($0.utf8).map(\.lowercasedASCII) }
        let lower = text.map(\.lowercasedASCII)
        var hits: [KeywordAutomaton.Hit] = []
        for end in 0...lower.count {
            for (k, keyword) in folded.enumerated() where keyword.count <= end {
                if lower[(end - keyword.count)..<end].elementsEqual(keyword) {
                    hits.append(KeywordAutomaton.Hit(keyword: Int32(k), end: Int32(end)))
                }
            }
        }
        return hits
    }

    static func sorted(_ hits: [KeywordAutomaton.Hit]) -> [KeywordAutomaton.Hit] {
        hits.sorted { $0.end != $1.end ? $0.end < $1.end : $0.keyword < $1.keyword }
    }

    /// Texts long enough to be split into interleaved lanes, with keywords planted across every seam.
    @Test(arguments: [0, 1, 17, 511, 2_000, 4_099, 65_537])
    func findsWhatBruteForceFinds(length: Int) {
        let keywords = ["password", "ghp_", "AKIA", "sk-ant-", "pass", "word", "[REDACTED:", "a"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(length)
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let alphabet = Array("bcdefghijklmnopqrstuvwxyzBCDEF 0123456789_-\n".utf8)
        var text = (0..<length).map { _ in alphabet[next() % alphabet.count] }
        // Keywords at random places, and one straddling each quarter and half boundary.
        var places = (0..<(length / 200)).map { _ in next() % max(length, 1) }
        for seam in [length / 4, length / 2, 3 * length / 4] { places += [seam - 3, seam - 1, seam] }
        for place in places where place >= 0 {
            let keyword = Array(keywords[next() % keywords.count].utf8)
            for (i, byte) in keyword.enumerated() where place + i < text.count {
                text[place + i] = next() % 2 == 0 ? byte : byte.uppercasedASCII
            }
        }
        let automaton = KeywordAutomaton(keywords: keywords)
        var hits: [KeywordAutomaton.Hit] = []
        text.withUnsafeBufferPointer { automaton.scan($0, into: &hits) }
        let expected = Self.naive(keywords, text)
        let found = Self.sorted(hits)
        let firstDifference =
            zip(found, expected).enumerated().first { $1.0 != $1.1 }?.offset ?? min(found.count, expected.count)
        #expect(
            found == expected,
            "\(found.count) hits, \(expected.count) expected; first difference at hit \(firstDifference)")
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.end <= $1.end }, "hits come in order of their ends")
    }
}

extension UInt8 {
    fileprivate var uppercasedASCII: UInt8 { self &- 0x61 < 26 ? self & ~0x20 : self }
}
