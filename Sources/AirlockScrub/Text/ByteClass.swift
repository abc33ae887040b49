/// A set of bytes, tested with one shift and mask; the scanner's character classes.
package struct ByteClass: Sendable, Hashable {
    fileprivate var words: (UInt64, UInt64, UInt64, UInt64)

    package init(_ ranges: [ClosedRange<UInt8>] = [], _ singles: String = "") {
        words = (0, 0, 0, 0)
        for r in ranges { for b in r { insert(b) } }
        for b in singles.utf8 { insert(b) }
    }

    package mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    @inline(__always)
    package func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    package var count: Int {
        words.0.nonzeroBitCount + words.1.nonzeroBitCount + words.2.nonzeroBitCount + words.3.nonzeroBitCount
    }

    package static func == (a: ByteClass, b: ByteClass) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
    package func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    static let digits = ByteClass([0x30...0x39])
    static let lowerHex = ByteClass([0x30...0x39, 0x61...0x66])
    static let hex = ByteClass([0x30...0x39, 0x61...0x66, 0x41...0x46])
    static let upperAlnum = ByteClass([0x30...0x39, 0x41...0x5A])
    static let lowerAlnum = ByteClass([0x30...0x39, 0x61...0x7A])
    static let letters = ByteClass([0x41...0x5A, 0x61...0x7A])
    static let alnum = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A])
    /// `[A-Za-z0-9_]`
    static let word = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "_")
    /// `[A-Za-z0-9_-]`
    static let base64URL = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "_-")
    /// `[A-Za-z0-9+/=]`
    static let base64 = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "+/=")
    /// RFC 4648 base32 upper case.
    static let base32 = ByteClass([0x41...0x5A, 0x32...0x37])
    /// Bech32's data alphabet in upper case.
    static let bech32Upper = ByteClass([], "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
    /// Characters that may continue an identifier in most languages and configuration formats.
    static let identifier = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "_-.")
    /// Bytes that end an unquoted value.
    static let valueTerminator = ByteClass([0x00...0x20], "\"'`,;)}]<>&")
    /// Token bytes of `Authorization: Bearer` credentials (RFC 6750 b64token).
    static let b64token = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "-._~+/=")
}

extension ByteClass {
    package mutating func formUnion(_ other: ByteClass) {
        words.0 |= other.words.0
        words.1 |= other.words.1
        words.2 |= other.words.2
        words.3 |= other.words.3
    }
}
