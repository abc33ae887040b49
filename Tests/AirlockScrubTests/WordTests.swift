import Testing

@testable import AirlockScrub

@Suite struct WordTests {
    /// The eight-at-a-time searches agree with a byte loop on texts full of near misses (bytes that differ from the
    /// one sought in a single bit, and bytes with the high bit set), at every length and start.
    @Test func findsEveryByteABytewiseLoopFinds() {
        var state: UInt64 = 7
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let alphabet: [UInt8] = [0x0A, 0x0B, 0x08, 0x2A, 0x8A, 0x5C, 0x5D, 0xDC, 0x00, 0xFF, 0x41]
        for length in 0..<70 {
            let text = (0..<length).map { _ in alphabet[next() % alphabet.count] }
            text.withUnsafeBufferPointer { b in
                for c: UInt8 in [0x0A, 0x5C] {
                    for from in 0...length {
                        let expected = text[from...].firstIndex(of: c) ?? length
                        #expect(Word.firstIndex(of: c, in: b, from: from, to: length) == expected)
                    }
                }
            }
        }
    }

    /// A packed word set answers as a `Set` does, for a small set (one slot per word) and a large one (probed), for
    /// its words and for words near them.
    @Test(arguments: [45, 1_500])
    func packedWordSetsAnswerAsASetDoes(size: Int) {
        var state: UInt64 = 0x853C_49E6_748F_EA9B
        func word() -> String {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = 1 + Int(state >> 61)
            return String((0..<length).map { Character(Unicode.Scalar(UInt8(97 + (state >> UInt64(8 * $0)) % 26))) })
        }
        let words = Set((0..<size).map { _ in word() })
        let set = PackedWordSet(words)
        let map = PackedWordSet(
            values: Dictionary(words.map { (PackedWordSet.pack($0), UInt32($0.utf8.count)) }) { a, _ in a })
        for candidate in words.union((0..<20_000).map { _ in word() }) {
            let packed = PackedWordSet.pack(candidate)
            #expect(set.contains(packed) == words.contains(candidate), "\(candidate)")
            #expect(map.value(packed) == (words.contains(candidate) ? UInt32(candidate.utf8.count) : 0))
        }
        #expect(!set.contains(0) && map.value(0) == 0)
        #expect(set.direct == (size < 256))
        #expect(WordTables.shared.stopwords.direct && WordTables.shared.statementStarts.direct)
    }
}
