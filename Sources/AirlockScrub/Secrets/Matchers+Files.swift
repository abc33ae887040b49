/// Encoded keys, credential files and headers: base64 private keys and JWTs, .NET settings, registry auth, `.netrc`,
/// `Authorization` and `Cookie` headers.
extension Matchers {
    // MARK: Encoded keys, credential files and headers

    /// A PEM private key encoded as one base64 value, on one line or wrapped at a fixed width. The keyword is
    /// `-----BEGIN ` as base64 from a value's start; the block's first line, decoded, must name a private key, so
    /// that encoded certificates and public keys (`client-certificate-data`) pass.
    static func base64PrivateKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
        if start > 0, ByteClass.base64.contains(b[start - 1]) { return nil }
        let limit = 64 * 1024
        var stop = Bytes.run(b, from: start, .base64, max: limit)
        let width = stop - start
        guard width >= 64, let head = Base64.decode(b[start..<start + 64])?.bytes else { return nil }
        let firstLine = head.prefix { $0 != 0x0A }
        guard firstLine.starts(with: "-----BEGIN ".utf8),
            firstLine.withUnsafeBufferPointer({ Bytes.find($0, "PRIVATE KEY", from: 0, limit: $0.count) }) != nil
        else { return nil }
        // Wrapped: every line but the last is `width` long; a line break may be followed by indentation.
        var lineStart = start
        while stop - lineStart == width, stop - start < limit {
            var i = stop
            if i < b.count, b[i] == 0x0D { i += 1 }
            guard i < b.count, b[i] == 0x0A else { break }
            i += 1
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            let next = Bytes.run(b, from: i, .base64, max: width)
            guard next > i, next - i <= width else { break }
            lineStart = i
            stop = next
        }
        return stop - start >= 120 ? start..<stop : nil
    }

    /// A JSON Web Token encoded once more as base64, as a whole (`ZXlK…`, which decodes to `eyJ…`): the run of
    /// base64 from the keyword, which must decode to a token of three parts whose header is JSON. Only its
    /// standard or URL-safe alphabet, in exact case, and standing alone.
    static func base64JWT(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
        let body = ByteClass.base64URL.union("+/")
        guard Bytes.equal(b, start, "ZXlK"), start == 0 || !body.contains(b[start - 1]) else { return nil }
        var stop = Bytes.run(b, from: start, body, max: 24 * 1024)
        // Shorter than a header and a payload of a few claims is no token.
        guard stop - start >= 60 else { return nil }
        let whole = (stop - start) / 4 * 4
        guard let decoded = Base64.decode(b[start..<start + whole])?.bytes else { return nil }
        let isToken = decoded.withUnsafeBufferPointer { d in
            guard let token = jwt(d, 0) else { return false }
            // The header decodes to a JSON object.
            let header = Bytes.run(d, from: 0, .base64URL, max: 2048) / 4 * 4
            guard let json = Base64.decode(d[0..<header])?.bytes else { return false }
            return token.count + 3 >= d.count && json.first == UInt8(ascii: "{") && json.contains(UInt8(ascii: ":"))
        }
        guard isToken else { return nil }
        while stop < b.count, stop - start < 24 * 1024 + 2, b[stop] == UInt8(ascii: "=") { stop += 1 }
        return start..<stop
    }

    /// The documentation's example passwords (learn.microsoft.com, "nuget.config reference").
    static let nugetExamples: [[UInt8]] = ["33f!!lloppa", "hal+9ooo_da!sY"].map { Array($0.utf8) }

    /// `<add key="ClearTextPassword" value="…" />` or `key="Password"`: the value, when it is at least eight
    /// characters, no variable (`%NUGET_PASSWORD%`), placeholder or documented example.
    static func xmlSettingPassword(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        // `<add ` before the keyword.
        var i = start
        while i > 0, b[i - 1] == 0x20 || b[i - 1] == 0x09 { i -= 1 }
        guard i >= 4, Bytes.containsFolded(b, i - 4..<i, Array("<add".utf8)), i < start else { return nil }
        var j = end
        while j < b.count, j - end < 64, b[j] == 0x20 || b[j] == 0x09 || b[j] == 0x0A || b[j] == 0x0D { j += 1 }
        guard j + 7 < b.count, Bytes.containsFolded(b, j..<j + 6, Array("value=".utf8)),
            b[j + 6] == UInt8(ascii: "\"") || b[j + 6] == UInt8(ascii: "'")
        else { return nil }
        let quote = b[j + 6]
        var stop = j + 7
        while stop < b.count, stop - j < 600, b[stop] != quote, b[stop] != 0x0A { stop += 1 }
        guard stop < b.count, b[stop] == quote else { return nil }
        let value = j + 7..<stop
        guard value.count >= 8, plausiblePassword(b, value), !isOne(b, value, of: nugetExamples),
            !b[value].contains(0x20), Placeholder.characterKinds(b, value) >= 2, Placeholder.entropy(b, value) >= 2.2
        else { return nil }
        return value
    }

    /// `"auth": "…"` in a Docker or Podman credentials file, where the value is base64 of `user:password`.
    static func registryAuth(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        var i = end
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        let value = i + 1..<Bytes.run(b, from: i + 1, .base64, max: 1024)
        guard value.upperBound < b.count, b[value.upperBound] == UInt8(ascii: "\""), value.count >= 8,
            let decoded = Base64.decode(b[value].prefix { $0 != UInt8(ascii: "=") })?.bytes,
            decoded.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":")), colon > 0, decoded.count - colon > 3
        else { return nil }
        return value
    }

    /// A password in a URL, on a command line or in a credentials file: long enough, not a placeholder, a literal
    /// such as `password`, or a reference to a variable (`$PASS`, `%PASS%`).
    static func plausiblePassword(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.count >= 3, range.count <= 512, !Placeholder.looksLikePlaceholder(b, range) else { return false }
        let percent = UInt8(ascii: "%")
        if b[range.lowerBound] == UInt8(ascii: "$")
            || b[range.lowerBound] == percent && b[range.upperBound - 1] == percent
        {
            return false
        }
        return !isOne(b, range, of: literalValues) && !isOne(b, range, of: passwordWords)
    }

    /// The netrc words that may follow a machine name, each with a value.
    static let netrcWords: [[UInt8]] = ["login", "password", "account", "port"].map { Array($0.utf8) }

    /// `machine HOST login NAME password SECRET`, on one line or across several. The stanza must parse as netrc
    /// (each word one of `netrcWords`, each with a value) up to the password, so prose mentioning a machine's
    /// password does not.
    static func netrcPassword(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        var words = ShellWords(b, from: end, limit: min(b.count, end + 1024), multiline: true)
        guard words.next() != nil else { return nil }  // the machine name
        while let word = words.next() {
            guard isOne(b, word, of: netrcWords), let value = words.next() else { return nil }
            if Bytes.containsFolded(b, word, netrcWords[1]) {
                return plausiblePassword(b, value) ? value : nil
            }
        }
        return nil
    }

    /// Schemes whose credentials other rules find (Basic, Bearer) or that carry no reusable secret.
    static let otherAuthorizationSchemes: [[UInt8]] = [
        "basic", "bearer", "digest", "negotiate", "ntlm", "aws4-hmac-sha256", "hoba", "mutual", "vapid",
    ].map { Array($0.utf8) }

    /// `Authorization: Token …`, `Authorization: ApiKey …` or a bare key, in a header or a JSON or dict literal.
    static func authorizationHeader(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        var i = end
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        if i < b.count, quotes.contains(b[i]) { i += 1 }
        let first = i..<Bytes.run(b, from: i, .b64token, max: 4096)
        var credentials = first
        if first.upperBound < b.count, b[first.upperBound] == 0x20 {
            // A scheme, then the credentials.
            guard first.count <= 24, b[first].allSatisfy({ $0.isASCIILetter || $0 == UInt8(ascii: "-") }),
                !isOne(b, first, of: otherAuthorizationSchemes)
            else { return nil }
            var j = first.upperBound
            while j < b.count, b[j] == 0x20 { j += 1 }
            credentials = j..<Bytes.run(b, from: j, .b64token, max: 4096)
        }
        guard credentials.count >= 16, Placeholder.entropy(b, credentials) >= 3.0,
            !Placeholder.looksLikePlaceholder(b, credentials)
        else { return nil }
        return credentials
    }

    /// The bytes RFC 6265 allows in a cookie value: visible ASCII but `"`, `,`, `;` and `\`; a name has no `=`.
    static let cookieOctet = ByteClass([0x21...0x21, 0x23...0x2B, 0x2D...0x3A, 0x3C...0x5B, 0x5D...0x7E])
    static let cookieName = ByteClass([
        0x21...0x21, 0x23...0x2B, 0x2D...0x3A, 0x3C...0x3C, 0x3E...0x5B, 0x5D...0x7E,
    ])

    /// The end of a run of `cls` from `from` that stops before `close` too.
    static func run(
        _ b: UnsafeBufferPointer<UInt8>, from: Int, _ cls: ByteClass, until close: UInt8, limit: Int
    )
        -> Int
    {
        var i = from
        while i < limit, b[i] != close, cls.contains(b[i]) { i += 1 }
        return i
    }

    /// The cookies of a `Cookie` or `Set-Cookie` header (or curl's `-b '…'`), from the first session-like value to
    /// the last. A session-like value is 16 or more cookie bytes that look random: high entropy, letters and
    /// digits interleaved, as session ids and signed tokens are and words joined by `_` (`ROCKET_LAUNCHER_0001`)
    /// are not. The header ends at the line's end, or at the quote it was opened with.
    static func cookieHeader(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        var i = end
        var close = b[end - 1]
        if !quotes.contains(close) {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            close = i < b.count && quotes.contains(b[i]) ? b[i] : 0x0A
            if close != 0x0A { i += 1 }
        }
        let limit = min(b.count, i + 4096)
        var found: Range<Int>?
        while i < limit {
            // One `name=value` pair, then `;` and optional blanks before the next.
            let name = run(b, from: i, cookieName, until: close, limit: min(limit, i + 256))
            guard name > i, name < limit, b[name] == UInt8(ascii: "=") else { break }
            var start = name + 1
            let quoted = start < limit && b[start] == UInt8(ascii: "\"") && close != UInt8(ascii: "\"")
            if quoted { start += 1 }
            let stop = run(b, from: start, cookieOctet, until: close, limit: limit)
            if isSessionLike(b, start..<stop) { found = (found?.lowerBound ?? start)..<stop }
            i = quoted && stop < limit && b[stop] == UInt8(ascii: "\"") ? stop + 1 : stop
            guard i < limit, b[i] == UInt8(ascii: ";") else { break }
            i += 1
            while i < limit, b[i] == 0x20 { i += 1 }
        }
        return found
    }

    static func isSessionLike(_ b: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
        guard value.count >= 16 else { return false }
        var alternations = 0
        var previousWasDigit: Bool?
        for i in value where b[i].isASCIIAlphanumeric {
            let digit = b[i].isDigit
            if let previousWasDigit, previousWasDigit != digit { alternations += 1 }
            previousWasDigit = digit
        }
        return alternations >= 3 && Placeholder.entropy(b, value) >= 3.5 && !Placeholder.looksLikePlaceholder(b, value)
    }
}
