/// Decoding and encoding of JSON string contents.
package enum JSONStrings {
    /// The decoded UTF-8 bytes of a string whose raw range (with quotes) was validated by the parser.
    package static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> [UInt8] {
        var unused: [Escape] = []
        return decode(bytes, range, escaped: escaped, recording: false, escapes: &unused)
    }

    /// Where an escape starts and ends in the raw bytes and in the decoded text.
    package struct Escape {
        var raw: Range<Int>
        var decoded: Range<Int>
    }

    /// `decode`, also listing where each escape is, for `rawOffsets`.
    package static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool, escapes: inout [Escape]
    ) -> [UInt8] {
        decode(bytes, range, escaped: escaped, recording: true, escapes: &escapes)
    }

    @inline(__always)
    private static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool, recording: Bool,
        escapes: inout [Escape]
    ) -> [UInt8] {
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        guard escaped else { return Array(bytes[inner]) }
        // Every escape is longer than what it stands for, so the raw length bounds the decoded one.
        return [UInt8](unsafeUninitializedCapacity: inner.count) { out, count in
            var o = 0
            @inline(__always) func put(_ byte: UInt8) {
                out[o] = byte
                o += 1
            }
            var i = inner.lowerBound
            while i < inner.upperBound {
                // Copy the run up to the next escape in one go.
                let next = Word.firstIndex(of: UInt8(ascii: "\\"), in: bytes, from: i, to: inner.upperBound)
                if next > i {
                    (out.baseAddress! + o).initialize(from: bytes.baseAddress! + i, count: next - i)
                    o += next - i
                }
                i = next
                guard i < inner.upperBound else { break }
                let escapeStart = (raw: i, decoded: o)
                let kind = bytes[i + 1]
                i += 2
                switch kind {
                case UInt8(ascii: "b"): put(0x08)
                case UInt8(ascii: "f"): put(0x0C)
                case UInt8(ascii: "n"): put(0x0A)
                case UInt8(ascii: "r"): put(0x0D)
                case UInt8(ascii: "t"): put(0x09)
                case UInt8(ascii: "u"):
                    var scalar = hex4(bytes, i)
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        let low = hex4(bytes, i + 2)
                        i += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    switch scalar {
                    case 0..<0x80:
                        put(UInt8(scalar))
                    case 0x80..<0x800:
                        put(UInt8(0xC0 | scalar >> 6))
                        put(UInt8(0x80 | scalar & 0x3F))
                    case 0x800..<0x10000:
                        put(UInt8(0xE0 | scalar >> 12))
                        put(UInt8(0x80 | (scalar >> 6) & 0x3F))
                        put(UInt8(0x80 | scalar & 0x3F))
                    default:
                        put(UInt8(0xF0 | scalar >> 18))
                        put(UInt8(0x80 | (scalar >> 12) & 0x3F))
                        put(UInt8(0x80 | (scalar >> 6) & 0x3F))
                        put(UInt8(0x80 | scalar & 0x3F))
                    }
                default: put(kind)
                }
                if recording { escapes.append(Escape(raw: escapeStart.raw..<i, decoded: escapeStart.decoded..<o)) }
            }
            count = o
        }
    }

    /// Where offsets into a decoded string lie in its raw bytes `range` (with quotes), given the escapes `decode`
    /// listed; nil when one falls inside the bytes an escape decodes to (a `\u` escape of a multibyte character),
    /// where the raw text has no such place. An offset at an escape maps to its backslash.
    package static func rawOffsets(_ range: Range<Int>, escapes: [Escape], of offsets: [Int]) -> [Int]? {
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        // Between escapes, and before the first and after the last, raw and decoded bytes pair one to one.
        let decodedCount =
            escapes.last.map { $0.decoded.upperBound + inner.upperBound - $0.raw.upperBound } ?? inner.count
        var result: [Int] = []
        result.reserveCapacity(offsets.count)
        for offset in offsets {
            guard offset >= 0, offset <= decodedCount else { return nil }
            // The last escape that starts at or before `offset`.
            var lo = 0
            var hi = escapes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if escapes[mid].decoded.lowerBound <= offset { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0 else {
                result.append(inner.lowerBound + offset)
                continue
            }
            let escape = escapes[lo - 1]
            if offset == escape.decoded.lowerBound {
                result.append(escape.raw.lowerBound)
            } else if offset >= escape.decoded.upperBound {
                result.append(escape.raw.upperBound + offset - escape.decoded.upperBound)
            } else {
                return nil
            }
        }
        return result
    }

    static func decodeKey(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> String {
        if !escaped {
            return String(decoding: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)], as: UTF8.self)
        }
        return String(decoding: decode(bytes, range, escaped: true), as: UTF8.self)
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in at..<at + 4 { value = value << 4 | UInt32(bytes[i].hexValue ?? 0) }
        return value
    }

    /// Appends `text` as a JSON string literal (with quotes, unless `quoted` is false). Non-ASCII stays as UTF-8.
    package static func encode(_ text: [UInt8], into out: inout [UInt8], quoted: Bool = true) {
        out.reserveCapacity(out.count + text.count + 16)
        if quoted { out.append(UInt8(ascii: "\"")) }
        text.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                // Copy the run of bytes that need no escaping in one go.
                let runStart = i
                i = Word.skipUnescaped(b, from: i)
                while i < b.count, b[i] >= 0x20, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i])) }
                guard i < b.count else { break }
                let byte = b[i]
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(hex.utf8Start[Int(byte >> 4)])
                    out.append(hex.utf8Start[Int(byte & 0xF)])
                }
                i += 1
            }
        }
        if quoted { out.append(UInt8(ascii: "\"")) }
    }
}
