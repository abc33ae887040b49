/// A request target split so that its query parameters can be read decoded and written back.
struct RequestTarget {
    let bytes: [UInt8]
    /// Where the path ends: at the `?`, or at the end.
    let pathEnd: Int
    /// The query's `&`-separated pieces, empty when the target has no `?`.
    let pieces: [Range<Int>]

    init(_ target: String) {
        bytes = Array(target.utf8)
        pathEnd = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
        var pieces: [Range<Int>] = []
        if pathEnd < bytes.count {
            var start = pathEnd + 1
            while start <= bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                pieces.append(start..<end)
                start = end + 1
            }
        }
        self.pieces = pieces
    }

    /// The decoded path, then each parameter's decoded name and value (nil without `=`); `+` is a space in a query.
    func decoded() throws(ScrubError) -> (path: [UInt8], parameters: [(name: [UInt8], value: [UInt8]?)]) {
        try bytes.withUnsafeBufferPointer { bytes throws(ScrubError) in
            let path = try Self.percentDecoded(bytes[..<pathEnd], plusIsSpace: false, what: "path")
            var parameters: [(name: [UInt8], value: [UInt8]?)] = []
            let query = "query string"
            for piece in pieces {
                let equals = bytes[piece].firstIndex(of: UInt8(ascii: "="))
                let name = try Self.percentDecoded(
                    bytes[piece.lowerBound..<(equals ?? piece.upperBound)], plusIsSpace: true, what: query)
                var value: [UInt8]?
                if let equals {
                    value = try Self.percentDecoded(
                        bytes[(equals + 1)..<piece.upperBound], plusIsSpace: true, what: query)
                }
                parameters.append((name, value))
            }
            return (path, parameters)
        }
    }

    /// The target with the values of some parameters replaced (decoded; they are percent-encoded here). The
    /// other pieces leave exactly as they came.
    func replacing(_ values: [Int: [UInt8]]) -> String {
        var target = Array(bytes[..<pathEnd])
        for (index, piece) in pieces.enumerated() {
            target.append(UInt8(ascii: index == 0 ? "?" : "&"))
            guard let value = values[index] else {
                target += bytes[piece]
                continue
            }
            target += bytes[piece.lowerBound..<(bytes[piece].firstIndex(of: UInt8(ascii: "=")) ?? piece.upperBound)]
            target.append(UInt8(ascii: "="))
            target += Self.percentEncoded(value)
        }
        return String(decoding: target, as: UTF8.self)
    }

    static func percentDecoded(
        _ bytes: Slice<UnsafeBufferPointer<UInt8>>, plusIsSpace: Bool, what: String
    ) throws(ScrubError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            i += 1
            switch byte {
            case UInt8(ascii: "%"):
                guard i + 2 <= bytes.endIndex, let high = bytes[i].hexValue, let low = bytes[i + 1].hexValue else {
                    throw ScrubError(
                        code: .invalidRequestTarget,
                        message: "the \(what) has a '%' that is not followed by two hex digits")
                }
                out.append(high << 4 | low)
                i += 2
            case UInt8(ascii: "+") where plusIsSpace: out.append(0x20)
            default: out.append(byte)
            }
        }
        return out
    }

    /// Everything but the unreserved characters is percent-encoded, so a placeholder's brackets and colons survive.
    static func percentEncoded(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            if byte.isASCIIAlphanumeric || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return out
    }
}
