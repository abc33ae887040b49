/// HTTP credentials (`Bearer`, `Basic`, credentials in a URI) and armoured blocks (PEM, PuTTY, JWT).
extension Matchers {
    // MARK: HTTP credentials

    static func bearer(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        let keywordStart = end - 7
        if keywordStart > 0, b[keywordStart - 1].isASCIIAlphanumeric { return nil }
        var i = end
        while i < b.count, b[i] == 0x20 { i += 1 }
        let stop = Bytes.run(b, from: i, .b64token, max: 4096)
        let range = i..<stop
        guard range.count >= 16, range.count <= 4096 else { return nil }
        guard Placeholder.entropy(b, range) >= 3.0, !Placeholder.looksLikePlaceholder(b, range) else { return nil }
        return range
    }

    static func basicAuth(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        var i = end
        while i < b.count, b[i] == 0x20 { i += 1 }
        let stop = Bytes.run(b, from: i, .base64, max: 1024)
        guard stop - i >= 8, let decoded = Base64.decode(b[i..<stop].prefix { $0 != UInt8(ascii: "=") })?.bytes,
            let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        // `user:` with no password: the user name is the credential (an API key sent as the user name).
        if colon + 1 == decoded.count, colon < 3 { return nil }
        return i..<stop
    }

    /// Words that stand for a password in a URI template (`user:pass@host`); the first also starts the keywords
    /// whose quoted values may hold spaces (pass phrases).
    static let passwordWords: [[UInt8]] = ["pass", "passwd", "pwd", "pw"].map { Array($0.utf8) }

    static func uriCredentials(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let schemeStart = Bytes.runBackwards(b, before: start, ByteClass.alnum.union("+.-"), max: 32)
        guard start - schemeStart >= 2 || end - start > 3 else { return nil }
        var i = end
        var colon: Int?
        while i < b.count, i - end < 512 {
            let c = b[i]
            if c == UInt8(ascii: "@") { break }
            if c <= 0x20 || c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#")
                || quotes.contains(c) || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "\\")
            {
                return nil
            }
            if c == UInt8(ascii: ":"), colon == nil { colon = i }
            i += 1
        }
        guard i + 1 < b.count, b[i] == UInt8(ascii: "@"), let colon else { return nil }
        let host = b[i + 1]
        guard host.isASCIIAlphanumeric || host == UInt8(ascii: "[") else { return nil }
        let password = colon + 1..<i
        guard plausiblePassword(b, password) else { return nil }
        return password
    }

    // MARK: Armoured blocks

    static func armoredBlock(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ endLine: [UInt8])
        -> Range<Int>?
    {
        let limit = min(b.count, end + 64 * 1024)
        let base64 = ByteClass.base64
        if let close = Bytes.find(b, endLine, from: end, limit: limit) {
            var payload = 0
            for i in end..<close where base64.contains(b[i]) { payload += 1 }
            return payload >= 64 ? start..<close + endLine.count : nil
        }
        // A truncated block is still a key: take the armoured body that follows.
        var i = end
        var payload = 0
        let body = ByteClass.base64.union(" \t\r\n\\:-")
        while i < limit, body.contains(b[i]) {
            if base64.contains(b[i]) { payload += 1 }
            i += 1
        }
        return payload >= 64 ? start..<i : nil
    }

    static func puttyKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
        let limit = min(b.count, start + 32 * 1024)
        guard Bytes.find(b, "Private-Lines:", from: start, limit: limit) != nil,
            let mac = Bytes.find(b, "Private-MAC:", from: start, limit: limit)
        else { return nil }
        var i = mac
        while i < b.count, b[i] != 0x0A { i += 1 }
        return start..<i
    }

    static func jwt(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
        if start > 0, ByteClass.base64URL.contains(b[start - 1]) { return nil }
        let header = Bytes.run(b, from: start, .base64URL, max: 2048)
        guard header - start >= 10, header < b.count, b[header] == UInt8(ascii: "."),
            Bytes.equal(b, header + 1, "eyJ")
        else { return nil }
        let payload = Bytes.run(b, from: header + 1, .base64URL, max: 16384)
        guard payload - header - 1 >= 10, payload < b.count, b[payload] == UInt8(ascii: ".") else { return nil }
        let signature = Bytes.run(b, from: payload + 1, .base64URL, max: 2048)
        guard signature - payload - 1 >= 16 else { return nil }
        return start..<signature
    }
}
