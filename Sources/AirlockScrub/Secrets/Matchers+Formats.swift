/// Format-specific matchers: paired secrets (AWS, Twilio), bare keys after a service's name, connection strings and
/// vendor shapes that need more than a prefix and a length.
extension Matchers {
    // MARK: Format-specific

    static let awsSecretBody = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "+/")
    /// How far from an access key id its secret key is looked for: a CSV row, an `aws configure` transcript or a
    /// constructor's arguments keep them closer.
    static let awsPairReach = 256

    /// The secret access key that belongs with the access key id at `start`: the nearest run of exactly 40 bytes
    /// of its alphabet, standing alone, that mixes three kinds of character (capitals, small letters, digits, `+/`)
    /// as a random key does and is no placeholder (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`); after the id first,
    /// then before it.
    static func awsPairedSecret(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        if start > 0, b[start - 1].isASCIIAlphanumeric, !namesItself(b, start..<end) { return nil }
        let idEnd = Bytes.run(b, from: end, .upperAlnum, max: 17)
        guard idEnd - end == 16 else { return nil }
        return pairedSecret(b, id: start..<idEnd, awsSecretBody, length: 40) { range in
            Placeholder.characterKinds(b, range) >= 3 && Placeholder.entropy(b, range) >= 4.0
        }
    }

    /// The auth token that belongs with the Twilio account SID at `start` (`AC` and 32 hex digits): the nearest other
    /// run of exactly 32 hex digits, standing alone, with letters and digits mixed as a random token has them.
    static func twilioPairedSecret(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        if start > 0, b[start - 1].isASCIIAlphanumeric { return nil }
        let idEnd = Bytes.run(b, from: end, .lowerHex, max: 33)
        guard idEnd - end == 32, idEnd == b.count || !b[idEnd].isASCIIAlphanumeric else { return nil }
        return pairedSecret(b, id: start..<idEnd, .lowerHex, length: 32) { range in
            var letters = 0
            for k in range where !b[k].isDigit { letters += 1 }
            return letters >= 4 && letters <= 28 && Placeholder.entropy(b, range) >= 3.2
        }
    }

    /// The nearest run of exactly `length` bytes of `body`, standing alone, within `awsPairReach` of `id` (after it
    /// first, then before it), that `random` accepts and that is no placeholder.
    static func pairedSecret(
        _ b: UnsafeBufferPointer<UInt8>, id: Range<Int>, _ body: ByteClass, length: Int,
        _ random: (Range<Int>) -> Bool
    ) -> Range<Int>? {
        func candidate(at i: Int) -> Range<Int>? {
            // Standing alone: no byte of a longer run before it (`=` before it assigns it), and no padding after.
            guard i == 0 || !body.contains(b[i - 1]) && !(b[i - 1].isASCIIAlphanumeric) else { return nil }
            let stop = Bytes.run(b, from: i, body, max: length + 1)
            guard stop - i == length,
                stop == b.count
                    || !body.contains(b[stop]) && b[stop] != UInt8(ascii: "=") && !b[stop].isASCIIAlphanumeric
            else { return nil }
            let range = i..<stop
            guard random(range), !Placeholder.looksLikePlaceholder(b, range) else { return nil }
            return range
        }
        // Run by run: a candidate starts where a run of the alphabet does.
        var i = id.upperBound
        let after = min(b.count, id.upperBound + awsPairReach)
        while i < after {
            guard body.contains(b[i]) else {
                i += 1
                continue
            }
            let stop = Bytes.run(b, from: i, body, max: 1024)
            if stop - i == length, let range = candidate(at: i) { return range }
            i = stop
        }
        // Then back from the id, run by run, nearest first.
        let before = max(0, id.lowerBound - awsPairReach - length)
        var end = id.lowerBound
        while end > before {
            guard body.contains(b[end - 1]) else {
                end -= 1
                continue
            }
            let start = Bytes.runBackwards(b, before: end, body, max: 1024)
            if end - start == length, let range = candidate(at: start) { return range }
            end = start
        }
        return nil
    }

    static let webSocketPrefix = Array("websocket-".utf8)

    /// Words that, just before `key` or `token` in a name, make it something other than a credential: a database
    /// key (`primary_key`, `foreignKey`), a public value (`public_token`, `publicKey`), a request-forgery token
    /// (`csrf_token`). gitleaks' generic rule allows the same names.
    static let notCredentialQualifiers: [[UInt8]] = [
        "csrf", "xsrf", "public", "pub", "bucket", "foreign", "hot", "idx", "natural", "primary", "schema", "sequence",
    ].map { Array($0.utf8) }

    /// Whether the word before the keyword at `start` in its name (`primary_` in `primary_key`, `csrf` in
    /// `csrfToken`) is one of `notCredentialQualifiers`.
    static func qualifiedAsNoCredential(_ b: UnsafeBufferPointer<UInt8>, keyword start: Int) -> Bool {
        var i = start
        if i > 0, b[i - 1] == UInt8(ascii: "_") || b[i - 1] == UInt8(ascii: "-") || b[i - 1] == UInt8(ascii: ".") {
            i -= 1
        } else if !(i > 0 && b[i - 1] &- 0x61 < 26 && b[start] &- 0x41 < 26) {
            // Glued on without a separator, a word is only a word when the keyword starts with a capital.
            return false
        }
        // The word: small letters after one capital (`Primary`), or capitals alone (`PRIMARY`).
        var wordStart = i
        while wordStart > 0, i - wordStart < 12, b[wordStart - 1] &- 0x61 < 26 { wordStart -= 1 }
        if wordStart < i {
            if wordStart > 0, b[wordStart - 1] &- 0x41 < 26 { wordStart -= 1 }
        } else {
            while wordStart > 0, i - wordStart < 12, b[wordStart - 1] &- 0x41 < 26 { wordStart -= 1 }
        }
        return isOne(b, wordStart..<i, of: notCredentialQualifiers)
    }

    /// Words in a name before `key` that make a 64-hex-digit value a hash rather than a key.
    static let hashNameWords: [[UInt8]] = [
        "sha1", "sha2", "sha3", "sha5", "sha-", "sha_", "hash", "digest", "checksum", "cache", "commit", "integrity",
        "etag", "fingerprint", "object", "idempot", "dedup", "pub",
    ].map { Array($0.utf8) }

    /// The bytes of a key-shaped value: letters, digits and `_-+/=.`.
    static let keyValue = ByteClass.alnum.union("_-+/=.")

    /// A key after the word `key`, with an operator, `is`, or nothing between (`key: …`, `"key": "…"`, `key is …`,
    /// "set it up with the key …"): 20 to 128 bytes that mix letters and digits as a machine makes them, no name,
    /// no placeholder, and neither a git or SHA-256 hash nor a UUID, which are ids.
    static func bareKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        // The word itself, or a name's last word (`SIGNING_KEY`), never the first of a longer name (`KEY_ID`).
        if start > 0, b[start - 1].isASCIIAlphanumeric { return nil }
        if qualifiedAsNoCredential(b, keyword: start) { return nil }
        // `Sec-WebSocket-Key` is a nonce the server answers, not a secret.
        if start >= 10, Bytes.containsFolded(b, start - 10..<start, webSocketPrefix) { return nil }
        if end < b.count, ByteClass.identifier.contains(b[end]) { return nil }
        var i = end
        if i < b.count, quotes.contains(b[i]) || b[i] == UInt8(ascii: "]") { i += 1 }
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: ":") || b[i] == UInt8(ascii: "=") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "=") || b[i] == UInt8(ascii: ">") { i += 1 }
        } else if Bytes.equal(b, i, "is ") {
            i += 3
        }
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        if i < b.count, quotes.contains(b[i]) { i += 1 }
        var stop = Bytes.run(b, from: i, keyValue, max: 129)
        while stop > i, b[stop - 1] == UInt8(ascii: ".") { stop -= 1 }  // a sentence's full stop
        // `=` only as base64's padding at the end: one inside is an assignment the value does not hold.
        if let equals = (i..<stop).first(where: { b[$0] == UInt8(ascii: "=") }),
            (equals..<stop).contains(where: { b[$0] != UInt8(ascii: "=") })
        {
            return nil
        }
        let value = i..<stop
        guard (20...128).contains(value.count), stop == b.count || !b[stop].isASCIIAlphanumeric else { return nil }
        var letters = false
        var digits = false
        var hex = true
        var dashes = 0
        for k in value {
            let c = b[k]
            if c.isDigit { digits = true } else if c.isASCIILetter { letters = true }
            if c == UInt8(ascii: "-") { dashes += 1 } else if !ByteClass.hex.contains(c) { hex = false }
        }
        guard letters, digits else { return nil }
        if hex, value.count == 40 || (value.count == 36 && dashes == 4) { return nil }
        // 64 hex digits after the key (`key: …`, `SIGNING_KEY=…`, "with the key …") are a 256-bit key, unless the
        // name or the words just before it say hash, digest, cache or public (`cache_key: …`, "the public key …").
        if hex, value.count == 64 {
            var before = Bytes.runBackwards(b, before: start, .identifier, max: 64)
            var reach = 0
            while before > 0, reach < 32, b[before - 1] != 0x0A {
                before -= 1
                reach += 1
            }
            if hashNameWords.contains(where: { Bytes.containsFolded(b, before..<start, $0) }) { return nil }
        }
        guard Placeholder.entropy(b, value) >= 3.3, !isName(b, value), !Placeholder.looksLikePlaceholder(b, value)
        else { return nil }
        return value
    }

    /// `requirepass secret` or `masterauth "secret"` at the start of a line: the value, to the end of the line.
    static func directive(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        var lineStart = start
        while lineStart > 0, b[lineStart - 1] == 0x20 || b[lineStart - 1] == 0x09 { lineStart -= 1 }
        guard lineStart == 0 || b[lineStart - 1] == 0x0A, end < b.count, b[end] == 0x20 || b[end] == 0x09 else {
            return nil
        }
        var i = end
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        var range = restOfLine(b, from: i)
        if range.count >= 2, quotes.contains(b[range.lowerBound]), b[range.upperBound - 1] == b[range.lowerBound] {
            range = range.lowerBound + 1..<range.upperBound - 1
        }
        return plausiblePassword(b, range) && !b[range].contains(0x20) ? range : nil
    }

    /// `jdbc:oracle:thin:scott/tiger@//host:1521/service`: the password between the `/` and the `@`.
    static func oracleThinPassword(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        let user = Bytes.run(b, from: end, .identifier, max: 128)
        guard user > end, user < b.count, b[user] == UInt8(ascii: "/") else { return nil }
        var at = user + 1
        while at < b.count, at - user < 256, b[at] != UInt8(ascii: "@"), !ByteClass.valueTerminator.contains(b[at]) {
            at += 1
        }
        guard at < b.count, b[at] == UInt8(ascii: "@") else { return nil }
        let password = user + 1..<at
        return plausiblePassword(b, password) ? password : nil
    }

    /// `getConnection(url, "user", "password")` (JDBC's `DriverManager`, and calls shaped like it): the third
    /// argument, when it is a string literal.
    static func connectionCallPassword(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
        var i = end
        var argument = 0
        var depth = 0
        let limit = min(b.count, end + 1024)
        while i < limit {
            let c = b[i]
            if quotes.contains(c) {
                var close = i + 1
                while close < limit, b[close] != c, b[close] != 0x0A {
                    if b[close] == UInt8(ascii: "\\") { close += 1 }
                    close += 1
                }
                guard close < limit, b[close] == c else { return nil }
                if argument == 2, depth == 0 {
                    let password = i + 1..<close
                    return plausiblePassword(b, password) ? password : nil
                }
                i = close + 1
                continue
            }
            switch c {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0 { return nil }
                depth -= 1
            case UInt8(ascii: ","): if depth == 0 { argument += 1 }
            case UInt8(ascii: ";"): return nil
            default: break
            }
            i += 1
        }
        return nil
    }

    static func openAILegacyKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let left = Bytes.runBackwards(b, before: start, .base64URL, max: 200)
        guard Bytes.equal(b, left, "sk-") else { return nil }
        let right = Bytes.run(b, from: end, .base64URL, max: 200)
        guard right - left >= 40, end - left >= 20, right - end >= 20 else { return nil }
        return left..<right
    }

    static let azureSecretBody = ByteClass.alnum.union("_~.")

    static func azureADClientSecret(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard start >= 4, b[start - 1].isDigit else { return nil }
        for i in start - 4..<start - 1 where !azureSecretBody.contains(b[i]) { return nil }
        if start >= 5, azureSecretBody.contains(b[start - 5]) { return nil }
        let stop = Bytes.run(b, from: end, azureSecretBody.union("-"), max: 34)
        guard (31...34).contains(stop - end) else { return nil }
        let range = start - 4..<stop
        return Placeholder.looksLikePlaceholder(b, range) ? nil : range
    }

    static func telegramBotToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let digits = Bytes.runBackwards(b, before: start, .digits, max: 10)
        guard (8...10).contains(start - digits) else { return nil }
        // In Bot API URLs the token follows `/bot`.
        if digits > 0, b[digits - 1].isASCIIAlphanumeric, !Bytes.equal(b, digits - 3, "bot") { return nil }
        let stop = Bytes.run(b, from: end, .base64URL, max: 33)
        guard stop - end == 33 else { return nil }
        return digits..<stop
    }

    static func newRelicLicenseKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let first = Bytes.runBackwards(b, before: start, .lowerHex, max: 37)
        guard start - first == 36, end == b.count || !b[end].isASCIIAlphanumeric else { return nil }
        if first > 0, b[first - 1].isASCIIAlphanumeric { return nil }
        return Placeholder.looksLikePlaceholder(b, first..<start) ? nil : first..<end
    }

    static func mailchimpKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let first = Bytes.runBackwards(b, before: start, .lowerHex, max: 33)
        guard start - first == 32 else { return nil }
        if first > 0, b[first - 1].isASCIIAlphanumeric { return nil }
        let stop = Bytes.run(b, from: end, .digits, max: 2)
        guard (1...2).contains(stop - end), stop == b.count || !b[stop].isASCIIAlphanumeric else { return nil }
        let key = first..<start
        guard Placeholder.entropy(b, key) >= 2.4, !Placeholder.looksLikePlaceholder(b, key) else { return nil }
        return first..<stop
    }

    static func azureSASSignature(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard Bytes.containsFolded(b, max(0, start - 1024)..<start, Array("sv=".utf8)) else { return nil }
        let stop = Bytes.run(b, from: end, ByteClass.base64.union("%"), max: 160)
        guard (40...160).contains(stop - end) else { return nil }
        return end..<stop
    }

    static func adoConnectionPassword(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        -> Range<Int>?
    {
        let context = max(0, start - 512)..<start
        let anchors = ["server=", "data source=", "host=", "uid=", "user id=", "database="]
        guard anchors.contains(where: { Bytes.containsFolded(b, context, Array($0.utf8)) }) else { return nil }
        var i = end
        while i < b.count, b[i] != UInt8(ascii: ";"), b[i] != 0x0A, !quotes.contains(b[i]), i - end < 256 { i += 1 }
        let range = end..<i
        guard range.count >= 3, !Placeholder.looksLikePlaceholder(b, range) else { return nil }
        return range
    }
}
