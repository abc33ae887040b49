import Foundation
import Testing

@testable import AirlockScrub

/// The parser, decoder and encoder skip plain bytes eight at a time; these put each kind of byte that needs
/// attention at every position of a block, so a block test that let one through would be caught.
@Suite struct JSONStringTests {
    static let filler = Array("abcdefghijklmnopqrstuvwxyz".utf8)

    /// `"` + filler + `special` + filler + `"`, with the special bytes at offsets 0 to 17.
    static func strings(around special: [UInt8]) -> [[UInt8]] {
        (0..<18).map { k in
            [UInt8(ascii: "\"")] + filler.prefix(k) + special + filler.prefix(17 - k) + [UInt8(ascii: "\"")]
        }
    }

    static func parse(_ bytes: [UInt8]) -> Result<JSONNode, JSONSyntaxError> {
        bytes.withUnsafeBufferPointer { b in
            Result { () throws(JSONSyntaxError) in try JSONParser.parse(b, maxDepth: 8) }
        }
    }

    @Test(arguments: [
        ([UInt8(0x0A)], "invalid_json"), ([0x00], "invalid_json"), ([0x1F], "invalid_json"),
        ([0xFF], "invalid_utf8"), ([0xC3], "invalid_utf8"), ([0xED, 0xA0, 0x80], "invalid_utf8"),
        ([0xE2, 0x82], "invalid_utf8"),
    ])
    func badBytesAreRefusedAtEveryAlignment(special: [UInt8], code: String) {
        for string in Self.strings(around: special) {
            guard case .failure(let error) = Self.parse(string) else {
                Issue.record("accepted a string with \(special) in it")
                continue
            }
            #expect(error.code.rawValue == code)
        }
    }

    @Test(arguments: [
        (Array("\\n".utf8), [UInt8(0x0A)]), (Array("\\\"".utf8), [UInt8(ascii: "\"")]),
        (Array("\\\\".utf8), [UInt8(ascii: "\\")]), (Array("\\u00e9".utf8), [0xC3, 0xA9]),
        ([0xC3, 0xA9], [0xC3, 0xA9]), ([0xF0, 0x9F, 0x94, 0x91], [0xF0, 0x9F, 0x94, 0x91]),
    ])
    func escapesAndUTF8DecodeAtEveryAlignment(raw: [UInt8], decoded: [UInt8]) throws {
        for (k, string) in Self.strings(around: raw).enumerated() {
            let node = try Self.parse(string).get()
            guard case .string(let range, let escaped) = node else {
                Issue.record("not a string")
                continue
            }
            #expect(range == 0..<string.count)
            #expect(escaped == (raw.first == UInt8(ascii: "\\")))
            let text = string.withUnsafeBufferPointer { JSONStrings.decode($0, range, escaped: escaped) }
            #expect(text == Array(Self.filler.prefix(k)) + decoded + Self.filler.prefix(17 - k))
        }
    }

    /// Encoding then parsing and decoding gives back every byte string, whatever needs escaping and wherever.
    @Test func encodeRoundTrips() throws {
        var state: UInt64 = 42
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let pieces: [[UInt8]] = [
            Array("plain text ".utf8), [0x0A], [0x0D], [0x09], [0x00], [0x1F], [0x7F], [UInt8(ascii: "\"")],
            [UInt8(ascii: "\\")], [0xC3, 0xA9], [0xE2, 0x80, 0xA6], Array("x".utf8),
        ]
        for _ in 0..<300 {
            var text: [UInt8] = []
            for _ in 0..<(next() % 12) { text += pieces[next() % pieces.count] }
            var encoded: [UInt8] = []
            JSONStrings.encode(text, into: &encoded)
            let node = try Self.parse(encoded).get()
            guard case .string(let range, let escaped) = node else {
                Issue.record("not a string")
                continue
            }
            #expect(encoded.withUnsafeBufferPointer { JSONStrings.decode($0, range, escaped: escaped) } == text)
            let expected = try JSONSerialization.jsonObject(with: Data(encoded), options: .fragmentsAllowed) as? String
            #expect(expected.map { Array($0.utf8) } == text)
        }
    }

    /// Every decoded offset maps to the raw place whose prefix decodes to exactly the text before it, except the
    /// offsets inside what one `\u` escape of a multibyte character decodes to, which have no raw place.
    @Test func rawOffsetsMatchTheDecodedText() throws {
        var state: UInt64 = 7
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        // Raw pieces, and how many decoded offsets inside each have no raw place.
        let pieces: [(String, Int)] = [
            ("plain text ", 0), ("\\n", 0), ("\\\"", 0), ("\\\\", 0), ("\\/", 0), ("\\t", 0), ("\\u0041", 0),
            ("\\u00e9", 1), ("\\u4e2d", 2), ("\\ud83d\\ude00", 3), ("é", 0), ("😀", 0), ("x", 0),
        ]
        for _ in 0..<300 {
            var raw = "\""
            var unmappable = 0
            for _ in 0..<(next() % 14) {
                let (piece, inside) = pieces[next() % pieces.count]
                raw += piece
                unmappable += inside
            }
            raw += "\""
            let bytes = Array(raw.utf8)
            let node = try Self.parse(bytes).get()
            guard case .string(let range, let escaped) = node else {
                Issue.record("not a string")
                continue
            }
            var escapes: [JSONStrings.Escape] = []
            let text = bytes.withUnsafeBufferPointer {
                JSONStrings.decode($0, range, escaped: escaped, escapes: &escapes)
            }
            #expect(text == bytes.withUnsafeBufferPointer { JSONStrings.decode($0, range, escaped: escaped) })
            var missing = 0
            for d in 0...text.count {
                guard let r = JSONStrings.rawOffsets(range, escapes: escapes, of: [d]) else {
                    missing += 1
                    continue
                }
                let prefix = bytes[..<r[0]] + [UInt8(ascii: "\"")]
                let decoded = prefix.withUnsafeBufferPointer { JSONStrings.decode($0, 0..<prefix.count, escaped: true) }
                #expect(decoded == Array(text[..<d]), "\(raw) at \(d)")
            }
            #expect(missing == unmappable, "\(raw)")
            // All offsets at once give the same places as one at a time.
            let all = Array(0...text.count)
            let each = all.map { JSONStrings.rawOffsets(range, escapes: escapes, of: [$0]) }
            let together = JSONStrings.rawOffsets(range, escapes: escapes, of: all)
            #expect(together == (missing == 0 ? each.map { $0![0] } : nil))
            #expect(JSONStrings.rawOffsets(range, escapes: escapes, of: [text.count + 1]) == nil)
        }
    }
}
