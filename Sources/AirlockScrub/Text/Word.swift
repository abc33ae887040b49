/// Eight bytes at a time: tests on a whole `UInt64` for "some byte is below n" or "some byte equals c" (exact as
/// yes/no answers), and the exact positions of a byte; used to skip runs of bytes that need no attention.
enum Word {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Bytes `i..<i + 8`, the first in the lowest bits.
    @inline(__always)
    static func load(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self))
    }

    /// The high bit of exactly those bytes of `v` that equal `c`.
    @inline(__always)
    static func matches(_ v: UInt64, _ c: UInt8) -> UInt64 {
        let x = v ^ (ones &* UInt64(c))
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((x & low) &+ low) | x) & highBits
    }

    /// The first index of `c` in `from..<to`, or `to`.
    @inline(__always)
    static func firstIndex(of c: UInt8, in b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from
        while i + 8 <= to {
            let m = matches(load(b, i), c)
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < to, b[i] != c { i += 1 }
        return i
    }

    @inline(__always)
    private static func hasByteBelow(_ v: UInt64, _ n: UInt8) -> Bool {
        (v &- ones &* UInt64(n)) & ~v & highBits != 0
    }

    @inline(__always)
    private static func hasByte(_ v: UInt64, _ c: UInt8) -> Bool {
        let x = v ^ (ones &* UInt64(c))
        return (x &- ones) & ~x & highBits != 0
    }

    /// The first index at or after `i` of an eight-byte block that is not all printable ASCII other than the quote
    /// and the backslash (or where fewer than eight bytes are left).
    @inline(__always)
    static func skipPlainASCII(_ b: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        var i = i
        while i + 8 <= b.count {
            let v = load(b, i)
            if v & highBits != 0 || hasByteBelow(v, 0x20) || hasByte(v, UInt8(ascii: "\""))
                || hasByte(v, UInt8(ascii: "\\"))
            {
                break
            }
            i += 8
        }
        return i
    }

    /// Like `skipPlainASCII`, but bytes of 0x80 and above (UTF-8 that a JSON string carries as it is) pass.
    @inline(__always)
    static func skipUnescaped(_ b: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        var i = i
        while i + 8 <= b.count {
            let v = load(b, i)
            if hasByteBelow(v, 0x20) || hasByte(v, UInt8(ascii: "\"")) || hasByte(v, UInt8(ascii: "\\")) { break }
            i += 8
        }
        return i
    }

    /// A 64-bit fingerprint of `b`, eight bytes per step. Not keyed: for telling apart texts that nobody chose
    /// to collide, or whose collision would be harmless.
    static func fingerprint(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = UInt64(b.count) &* k
        var i = 0
        while i + 8 <= b.count {
            h = (h ^ load(b, i)) &* k
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        while i < b.count {
            tail = tail << 8 | UInt64(b[i])
            i += 1
        }
        h = (h ^ tail) &* k
        h ^= h >> 32
        return h &* k
    }
}
