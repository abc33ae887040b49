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
                    var found: [Int] = []
                    Word.forEachIndex(of: c, in: b) { found.append($0) }
                    #expect(found == text.indices.filter { text[$0] == c })
                    for from in 0...length {
                        let expected = text[from...].firstIndex(of: c) ?? length
                        #expect(Word.firstIndex(of: c, in: b, from: from, to: length) == expected)
                    }
                }
            }
        }
    }
}
