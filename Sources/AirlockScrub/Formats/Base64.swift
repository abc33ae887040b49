/// RFC 4648 base64, both alphabets: base64 parts of request bodies, and `Authorization: Basic` values.
enum Base64 {
    /// Per byte: its six-bit value; `pad` for `=`, `space` for ASCII whitespace, `invalid` for anything else.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        table[Int(UInt8(ascii: "+"))] = 62
        table[Int(UInt8(ascii: "/"))] = 63
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        table[Int(UInt8(ascii: "="))] = pad
        for c in [0x20, 0x09, 0x0A, 0x0D] { table[c] = space }
        return table
    }()
    private static let invalid: UInt8 = 0x80
    private static let pad: UInt8 = 0x81
    private static let space: UInt8 = 0x82
    /// Per byte: 1 for the standard alphabet's `+` and `/`, 2 for the URL-safe `-` and `_`.
    private static let alphabets: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        table[Int(UInt8(ascii: "+"))] = 1
        table[Int(UInt8(ascii: "/"))] = 1
        table[Int(UInt8(ascii: "-"))] = 2
        table[Int(UInt8(ascii: "_"))] = 2
        return table
    }()
    private static let standardAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The decoded bytes, whether the text used the URL-safe alphabet, and whether text written back in its style
    /// pads. Accepts either alphabet (not mixed), padding or none, and ASCII whitespace between characters; nil for
    /// anything else.
    static func decode(_ text: some Collection<UInt8>) -> (bytes: [UInt8], urlSafe: Bool, padded: Bool)? {
        let contiguous = text.withContiguousStorageIfAvailable { decode($0) }
        return contiguous ?? Array(text).withUnsafeBufferPointer { decode($0) }
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], urlSafe: Bool, padded: Bool)? {
        var accumulator: UInt32 = 0
        var count = 0
        var padding = 0
        var seen: UInt8 = 0
        var failed = false
        let bytes = values.withUnsafeBufferPointer { values in
            alphabets.withUnsafeBufferPointer { alphabets in
                [UInt8](unsafeUninitializedCapacity: text.count / 4 * 3 + 3) { out, written in
                    var o = 0
                    var i = 0
                    let n = text.count
                    while i < n {
                        // Four plain characters at a time: the common case, one test for all four.
                        if count == 0, i + 4 <= n {
                            let a = values[Int(text[i])]
                            let b = values[Int(text[i + 1])]
                            let c = values[Int(text[i + 2])]
                            let d = values[Int(text[i + 3])]
                            if (a | b | c | d) & 0x80 == 0 {
                                guard padding == 0 else {
                                    failed = true
                                    break
                                }
                                seen |=
                                    alphabets[Int(text[i])] | alphabets[Int(text[i + 1])]
                                    | alphabets[Int(text[i + 2])] | alphabets[Int(text[i + 3])]
                                let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                                out[o] = UInt8(truncatingIfNeeded: v >> 16)
                                out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                                out[o + 2] = UInt8(truncatingIfNeeded: v)
                                o += 3
                                i += 4
                                continue
                            }
                        }
                        let value = values[Int(text[i])]
                        i += 1
                        if value == space { continue }
                        if value == pad {
                            padding += 1
                            continue
                        }
                        // Nothing but whitespace and padding may follow padding.
                        guard value != invalid, padding == 0 else {
                            failed = true
                            break
                        }
                        seen |= alphabets[Int(text[i - 1])]
                        accumulator = accumulator << 6 | UInt32(value)
                        count += 1
                        if count == 4 {
                            out[o] = UInt8(truncatingIfNeeded: accumulator >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: accumulator)
                            o += 3
                            accumulator = 0
                            count = 0
                        }
                    }
                    if !failed {
                        switch count {
                        case 0: failed = padding != 0
                        case 2:
                            failed = padding != 0 && padding != 2
                            out[o] = UInt8(truncatingIfNeeded: accumulator >> 4)
                            o += 1
                        case 3:
                            failed = padding != 0 && padding != 1
                            out[o] = UInt8(truncatingIfNeeded: accumulator >> 10)
                            out[o + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
                            o += 2
                        default: failed = true
                        }
                    }
                    written = o
                }
            }
        }
        guard !failed, seen != 3 else { return nil }
        // Text that needed no padding does not say whether its writer pads: the standard alphabet usually does,
        // the URL-safe one usually does not.
        return (bytes, seen == 2, padding > 0 || (count == 0 && seen != 2))
    }

    static func encode(_ bytes: [UInt8], urlSafe: Bool = false, padded: Bool = true) -> [UInt8] {
        let left = bytes.count % 3
        let length = bytes.count / 3 * 4 + (left == 0 ? 0 : (padded ? 4 : left + 1))
        return (urlSafe ? urlSafeAlphabet : standardAlphabet).withUnsafeBufferPointer { alphabet in
            bytes.withUnsafeBufferPointer { input in
                [UInt8](unsafeUninitializedCapacity: length) { out, written in
                    var o = 0
                    var i = 0
                    while i + 3 <= input.count {
                        let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        out[o] = alphabet[Int(v >> 18)]
                        out[o + 1] = alphabet[Int(v >> 12 & 63)]
                        out[o + 2] = alphabet[Int(v >> 6 & 63)]
                        out[o + 3] = alphabet[Int(v & 63)]
                        o += 4
                        i += 3
                    }
                    if left > 0 {
                        let v = UInt32(input[i]) << 16 | (left == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        out[o] = alphabet[Int(v >> 18)]
                        out[o + 1] = alphabet[Int(v >> 12 & 63)]
                        o += 2
                        if left == 2 {
                            out[o] = alphabet[Int(v >> 6 & 63)]
                            o += 1
                        }
                        while padded, o < length {
                            out[o] = UInt8(ascii: "=")
                            o += 1
                        }
                    }
                    written = o
                }
            }
        }
    }
}
