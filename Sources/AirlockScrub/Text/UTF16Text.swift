/// Bytes that are UTF-16 text (Windows PowerShell 5 writes it by default, with a byte-order mark), read as UTF-8
/// so that the rules can find what it holds, with each UTF-8 byte mapped back to the code units it came from.
/// Both byte orders, with a byte-order mark or told by their shape: text is mostly ASCII, so one byte of every
/// two is zero.
struct UTF16Text {
    var bigEndian: Bool
    /// The text as UTF-8.
    var utf8: [UInt8]
    /// For each byte of `utf8`, the bytes of the input its code unit (or surrogate pair) takes.
    var origin: [Range<Int>]

    /// Nil unless `bytes` read as UTF-16 text: a byte-order mark, or a shape with one zero byte in each code unit
    /// for most of the first 256 units; every unit well formed, and no control characters but tabs, line breaks
    /// and form feeds. A piece of a longer file may start at either byte of a unit.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 8 else { return nil }
        var start = 0
        var bigEndian: Bool
        if bytes[0] == 0xFF, bytes[1] == 0xFE {
            bigEndian = false
            start = 2
        } else if bytes[0] == 0xFE, bytes[1] == 0xFF {
            bigEndian = true
            start = 2
        } else {
            guard let shape = Self.shape(bytes) else { return nil }
            (bigEndian, start) = shape
        }
        self.bigEndian = bigEndian
        utf8 = []
        origin = []
        utf8.reserveCapacity((bytes.count - start) / 2)
        origin.reserveCapacity((bytes.count - start) / 2)
        var i = start
        func unit(_ at: Int) -> UInt32 {
            bigEndian ? UInt32(bytes[at]) << 8 | UInt32(bytes[at + 1]) : UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at])
        }
        while i + 1 < bytes.count {
            var scalar = unit(i)
            var length = 2
            if (0xD800..<0xDC00).contains(scalar) {
                guard i + 3 < bytes.count else { break }  // a pair cut by the end of a piece
                let low = unit(i + 2)
                guard (0xDC00..<0xE000).contains(low) else { return nil }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                length = 4
            } else if (0xDC00..<0xE000).contains(scalar) {
                guard i == start else { return nil }  // the second half of a pair cut by the start of a piece
                i += 2
                continue
            }
            if scalar < 0x20, scalar != 0x09, scalar != 0x0A, scalar != 0x0D, scalar != 0x0C { return nil }
            let range = i..<i + length
            let before = utf8.count
            for byte in UTF8.encode(Unicode.Scalar(scalar)!)! { utf8.append(byte) }
            for _ in before..<utf8.count { origin.append(range) }
            i += length
        }
    }

    /// The byte order and first unit of UTF-16 text without a byte-order mark, if its shape says it is: in nine of
    /// ten of the first units, the high byte zero and the low byte not.
    private static func shape(_ bytes: UnsafeBufferPointer<UInt8>) -> (bigEndian: Bool, start: Int)? {
        for start in 0..<2 {
            let units = min(256, (bytes.count - start) / 2)
            guard units >= 4 else { continue }
            var little = 0
            var big = 0
            for k in 0..<units {
                let a = bytes[start + 2 * k]
                let b = bytes[start + 2 * k + 1]
                if a != 0, b == 0 { little += 1 }
                if a == 0, b != 0 { big += 1 }
            }
            if little * 10 >= units * 9 { return (false, start) }
            if big * 10 >= units * 9 { return (true, start) }
        }
        return nil
    }

    /// `span` (over `utf8`) over the input's bytes, its placeholder written in UTF-16 and fitted to them as
    /// `Span.fitted` fits one: cut or padded with spaces to the number of code units it replaces.
    func span(_ span: Span) -> Span {
        let range = origin[span.range.lowerBound].lowerBound..<origin[span.range.upperBound - 1].upperBound
        let units = range.count / 2
        var placeholder = Array(span.placeholder.utf8)
        if placeholder.count > units {
            placeholder = units >= 10 ? Array("[REDACTED]".utf8) : [UInt8](repeating: 0x2A, count: units)
        }
        placeholder += [UInt8](repeating: 0x20, count: units - placeholder.count)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(2 * placeholder.count)
        for byte in placeholder { encoded += bigEndian ? [0, byte] : [byte, 0] }
        return Span(range: range, placeholder: String(decoding: encoded, as: UTF8.self))
    }
}
