/// The hand-written matchers behind `SecretMatcher`. Each gets the text and the keyword's position and finds the
/// secret's span, if there is one. They look only at a bounded window around the keyword.
enum Matchers {
    /// Reports the spans `matcher` finds for one keyword: at most one, but every password on a command line, so
    /// that a second pass finds none left once the first is redacted.
    static func match(
        _ matcher: SecretMatcher, _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        _ found: (Range<Int>) -> Void
    ) {
        if case .commandLinePassword = matcher {
            for range in commandLinePasswords(b, start, end) { found(range) }
        } else if case .kubernetesSecret = matcher {
            for range in kubernetesSecretValues(b, start, end) { found(range) }
        } else if let range = span(matcher, b, start, end) {
            found(range)
        }
    }

    private static func span(
        _ matcher: SecretMatcher, _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int
    ) -> Range<Int>? {
        switch matcher {
        case .token(let body, let length, let entropy):
            return token(b, start, end, body, length, entropy)
        case .keyed(let value, let length, let entropy):
            return keyed(b, start, end, value, length, entropy)
        case .assignment(let minLength):
            return assignment(b, start, end, minLength: minLength)
        case .bearer: return bearer(b, end)
        case .basicAuth: return basicAuth(b, end)
        case .armoredBlock(let endLine): return armoredBlock(b, start, end, Array(endLine.utf8))
        case .puttyKey: return puttyKey(b, start)
        case .jwt: return jwt(b, start)
        case .uriCredentials: return uriCredentials(b, start, end)
        case .awsPairedSecret: return awsPairedSecret(b, start, end)
        case .twilioPairedSecret: return twilioPairedSecret(b, start, end)
        case .directive: return directive(b, start, end)
        case .serviceAssignment: return serviceAssignment(b, start, end)
        case .encodedDockerConfig: return encodedDockerConfig(b, start, end)
        case .bareKey: return bareKey(b, start, end)
        case .oracleThinPassword: return oracleThinPassword(b, end)
        case .connectionCallPassword: return connectionCallPassword(b, end)
        case .urlPath(let body, let minLength):
            let stop = Bytes.run(b, from: end, body, max: 512)
            guard stop - end >= minLength else { return nil }
            // Slack documents its webhook URL with zero ids and a secret of X's.
            if Bytes.containsFolded(b, start..<end, Array("slack".utf8)),
                PublishedExamples.isSlackPlaceholderPath(b, end..<stop)
            {
                return nil
            }
            return end..<stop
        case .openAILegacyKey: return openAILegacyKey(b, start, end)
        case .azureADClientSecret: return azureADClientSecret(b, start, end)
        case .telegramBotToken: return telegramBotToken(b, start, end)
        case .telegramNamedToken: return telegramNamedToken(b, start, end)
        case .sourcegraphToken: return sourcegraphToken(b, start, end)
        case .dropboxToken: return dropboxToken(b, start, end)
        case .facebookAppToken: return facebookAppToken(b, start, end)
        case .maxMindLicenseKey: return maxMindLicenseKey(b, start, end)
        case .vaultLegacyToken: return vaultLegacyToken(b, start, end)
        case .newRelicLicenseKey: return newRelicLicenseKey(b, start, end)
        case .mailchimpKey: return mailchimpKey(b, start, end)
        case .azureSASSignature: return azureSASSignature(b, start, end)
        case .adoConnectionPassword: return adoConnectionPassword(b, start, end)
        case .base64PrivateKey: return base64PrivateKey(b, start)
        case .base64JWT: return base64JWT(b, start)
        case .slackBotToken:
            // The workspace id first, so that words (`xoxb-not-a-real-token`) are no token.
            let id = Bytes.run(b, from: end, .digits, max: 15)
            guard (8...14).contains(id - end), id < b.count, b[id] == UInt8(ascii: "-") else { return nil }
            return token(b, start, end, ByteClass.alnum.union("-"), 27...80, nil)
        case .xmlSettingPassword: return xmlSettingPassword(b, start, end)
        case .registryAuth: return registryAuth(b, end)
        case .commandLinePassword, .kubernetesSecret: return nil  // `match` reports each of them
        case .netrcPassword: return netrcPassword(b, end)
        case .authorizationHeader: return authorizationHeader(b, end)
        case .cookieHeader: return cookieHeader(b, end)
        }
    }

    // MARK: Tokens

    private static func token(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ body: ByteClass, _ length: ClosedRange<Int>,
        _ entropy: Double?
    ) -> Range<Int>? {
        var first = start
        if b[start].isASCIIAlphanumeric {
            // A prefix glued to a word or a number is still its credential when the prefix names it by itself
            // (`q=token%20ghp_…`, where `0` ends the escape, or `id0AKIA…`).
            if start > 0, b[start - 1].isASCIIAlphanumeric, !namesItself(b, start..<end) { return nil }
            // Deep inside a longer run of base64 (an image's bytes, a signed blob) it is a coincidence.
            if start - Bytes.runBackwards(b, before: start, .base64URL, max: 24) >= 24
                || start - Bytes.runBackwards(b, before: start, standardBase64, max: 24) >= 24
            {
                return nil
            }
            // A generic word after a dot or a slash is part of a file or path name (`box.ico-…`, `/API-…`).
            if start > 0, b[start - 1] == UInt8(ascii: ".") || b[start - 1] == UInt8(ascii: "/") {
                var tag = start
                while tag < end, b[tag].isASCIIAlphanumeric { tag += 1 }
                if isOne(b, start..<tag, of: genericPrefixWords) { return nil }
            }
        } else {
            // A prefix such as `.atlasv1.` sits inside the token: the id before it belongs to the secret too.
            first = Bytes.runBackwards(b, before: start, .alnum, max: 32)
        }
        var stop = Bytes.run(b, from: end, body, max: 1024)
        while stop - end > length.lowerBound, b[stop - 1] == UInt8(ascii: ".") { stop -= 1 }
        var count = stop - end
        if count > length.upperBound {
            // A distinctive prefix (`ghp_`, `xoxb-`) glued to more characters is still that credential:
            // redact the whole run rather than let trailing text hide it.
            let distinctive = (start..<end).contains { !b[$0].isASCIIAlphanumeric } && end - start >= 4
            guard distinctive, count <= 2 * length.upperBound else { return nil }
            // Hex digits past a fixed length are another value (a hash, an id), not a token with text after it.
            if length.lowerBound == length.upperBound, b[end..<stop].allSatisfy({ ByteClass.hex.contains($0) }) {
                return nil
            }
            count = length.upperBound
        }
        guard length.contains(count) else { return nil }
        let value = end..<end + count
        let floor = entropy ?? Placeholder.floor(length: count, alphabet: body.count)
        guard Placeholder.entropy(b, value) >= floor, !Placeholder.looksLikePlaceholder(b, value, token: true) else {
            return nil
        }
        // Words after the prefix (`xoxp-not-a-real-user-token`, `sk-proj-this-is-my-key`) are a stand-in someone
        // wrote.
        if count >= 12, readsAsWords(b, value) { return nil }
        return first..<stop
    }

    /// Base64's standard alphabet, without its padding.
    private static let standardBase64 = ByteClass.alnum.union("+/")

    /// Generic words that some prefixes start with (`key-`, `pat.`): glued to a word they are part of it.
    private static let genericPrefixWords: [[UInt8]] = ["key", "pat", "api", "ico", "pul", "secret", "dapi"].map {
        Array($0.utf8)
    }

    /// Whether a token prefix names its credential by itself, wherever it starts: four bytes or more, and either a
    /// vendor's tag of three or more letters and digits before a separator (`ghp_`, `xoxb-`, `sk-ant-api`,
    /// `glpat-`) that is no generic word, or capitals a word does not begin with (`AKIA`, `AIza`, `LTAI`) after a
    /// digit or a small letter, not inside a run of capitals.
    static func namesItself(_ b: UnsafeBufferPointer<UInt8>, _ prefix: Range<Int>) -> Bool {
        guard prefix.count >= 4 else { return false }
        var tag = prefix.lowerBound
        while tag < prefix.upperBound, b[tag].isASCIIAlphanumeric { tag += 1 }
        if tag < prefix.upperBound {
            let word = prefix.lowerBound..<tag
            return word.count >= 3 && !isOne(b, word, of: genericPrefixWords)
        }
        var capitals = 0
        for i in prefix where b[i] &- 0x41 < 26 { capitals += 1 }
        guard capitals >= 2, b[prefix.lowerBound] &- 0x41 < 26, prefix.lowerBound > 0 else { return false }
        let before = b[prefix.lowerBound - 1]
        return before.isDigit || before &- 0x61 < 26
    }

    // MARK: Assignments

    static let quotes = ByteClass([], "\"'`")
    /// Visible ASCII but quotes: the bytes of a bare word such as a resource name.
    private static let unquotedVisible = ByteClass([0x21...0x21, 0x23...0x26, 0x28...0x5F, 0x61...0x7E])

    /// Skips an identifier's tail, closing quote or bracket, and the assignment operator.
    /// Returns where the value starts, or nil when no operator follows.
    private static func operatorEnd(_ b: UnsafeBufferPointer<UInt8>, after end: Int, keywordEnd: UInt8) -> Int? {
        var i = end
        if keywordEnd == UInt8(ascii: "=") || keywordEnd == UInt8(ascii: ":") { return i }
        let quotedName = i < b.count && quotes.contains(b[i])
        if quotedName { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1 }
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        guard i < b.count else { return nil }
        // A type between the name and `=` (Go's `var apiToken string = …`).
        if !quotedName, b[i].isASCIILetter {
            let type = Bytes.run(b, from: i, .identifier, max: 32)
            var j = type
            while j < b.count, b[j] == 0x20 || b[j] == 0x09 { j += 1 }
            guard j > type, j < b.count, b[j] == UInt8(ascii: "="), j + 1 < b.count, b[j + 1] == 0x20 else {
                return nil
            }
            i = j
        }
        if b[i] == UInt8(ascii: ":") {
            // `:`, `:=`, and make's `::=` and `:::=`.
            var colons = i
            while colons < b.count, colons - i < 3, b[colons] == UInt8(ascii: ":") { colons += 1 }
            if colons < b.count, b[colons] == UInt8(ascii: "=") {
                i = colons + 1
            } else {
                i += 1
                if let typed = typedDeclaration(b, after: i) { i = typed }
            }
        } else if (b[i] == UInt8(ascii: "?") || b[i] == UInt8(ascii: ".")) && i + 1 < b.count
            && b[i + 1] == UInt8(ascii: "=")
        {
            // make's `?=`, PHP's `.=`.
            i += 2
        } else if b[i] == UInt8(ascii: ","), quotedName {
            // A name and its value as a call's two arguments: `System.setProperty("API_TOKEN", "…")`.
            i += 1
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            guard i < b.count, quotes.contains(b[i]) else { return nil }
            // `"name": "API_TOKEN", "value": "…"`: a key follows the comma, not the value.
            var close = i + 1
            while close < b.count, close - i < 600, b[close] != b[i], b[close] != 0x0A { close += 1 }
            var after = close + 1
            while after < b.count, b[after] == 0x20 { after += 1 }
            return after < b.count && b[after] == UInt8(ascii: ":") ? nil : i
        } else if b[i] == UInt8(ascii: "=") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "=") || b[i] == UInt8(ascii: "~") { return nil }
            if i < b.count, b[i] == UInt8(ascii: ">") { i += 1 }
        } else {
            return nil
        }
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        return i
    }

    /// After a `:`, a type and then `=` (Kotlin's `val apiToken: String = "…"`): where the value starts.
    private static func typedDeclaration(_ b: UnsafeBufferPointer<UInt8>, after colon: Int) -> Int? {
        var i = colon
        while i < b.count, b[i] == 0x20 { i += 1 }
        guard i < b.count, b[i].isASCIILetter else { return nil }
        let type = Bytes.run(b, from: i, ByteClass.identifier.union("?<>."), max: 48)
        var j = type
        while j < b.count, b[j] == 0x20 { j += 1 }
        // A blank before `=`, as declarations are written: `key: dGVzdA=` is a YAML value with base64 padding.
        guard j > type, j + 1 < b.count, b[j] == UInt8(ascii: "="), b[j + 1] != UInt8(ascii: "=") else { return nil }
        return j + 1
    }

    /// `<apiToken>value</apiToken>`, the value on the same line or the next: where the element's text starts and
    /// ends, when the keyword's name is an element's whole name.
    private static func elementText(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, nameEnd: Int) -> Range<Int>? {
        let nameStart = Bytes.runBackwards(b, before: keyword, .identifier, max: 64)
        guard nameStart > 0, b[nameStart - 1] == UInt8(ascii: "<"), nameEnd < b.count, b[nameEnd] == UInt8(ascii: ">")
        else { return nil }
        var i = nameEnd + 1
        while i < b.count, i - nameEnd < 64, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        var stop = i
        while stop < b.count, stop - i < 600, b[stop] != UInt8(ascii: "<"), b[stop] > 0x20 { stop += 1 }
        return stop > i ? i..<stop : nil
    }

    /// The value after an operator: quoted (to the closing quote on the same line) or bare.
    private static func value(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> (Range<Int>, quoted: Bool)? {
        guard start < b.count else { return nil }
        let open = b[start]
        if quotes.contains(open) {
            var i = start + 1
            while i < b.count, b[i] != open, b[i] != 0x0A, i - start < 600 { i += 1 }
            guard i < b.count, b[i] == open else { return nil }
            return (start + 1..<i, true)
        }
        var i = start
        while i < b.count, !ByteClass.valueTerminator.contains(b[i]), i - start < 600 { i += 1 }
        return (start..<i, false)
    }

    private static func keyed(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ cls: ByteClass, _ length: ClosedRange<Int>,
        _ entropy: Double?
    ) -> Range<Int>? {
        guard let valueStart = keyedValueStart(b, start, end) else { return nil }
        var v = valueStart
        if v < b.count, quotes.contains(b[v]) { v += 1 }
        let stop = Bytes.run(b, from: v, cls, max: length.upperBound)
        guard length.contains(stop - v) else { return nil }
        let range = v..<stop
        let floor = entropy ?? Placeholder.floor(length: range.count, alphabet: cls.count)
        guard Placeholder.entropy(b, range) >= floor, !Placeholder.looksLikePlaceholder(b, range) else { return nil }
        // A name without a digit in it (`sumOfExposures`) is a variable, not a key.
        if !b[range].contains(where: \.isDigit), isName(b, range) { return nil }
        return range
    }

    /// Where the value assigned to the name holding the keyword at `start..<end` starts (its quote included), or nil
    /// when no assignment follows the name.
    static func keyedValueStart(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        // A name that starts with `_` (`.npmrc`'s `_auth=`, `_password=`) is a key of its own, never the tail of a
        // longer name (`POSTGRES_PASSWORD=`).
        if b[start] == UInt8(ascii: "_"), start > 0, b[start - 1].isASCIIAlphanumeric { return nil }
        let last = b[end - 1]
        var i = end
        if last != UInt8(ascii: "=") && last != UInt8(ascii: ":") {
            i = Bytes.run(b, from: end, .identifier, max: 32)
        }
        return operatorEnd(b, after: i, keywordEnd: last)
    }

    /// Identifier tails that turn a keyword into metadata about a secret rather than the secret itself.
    private static let metadataSuffixes: [[UInt8]] = [
        "count", "length", "len", "size", "type", "file", "path", "name", "id", "limit", "expir", "ttl", "header",
        "prefix", "field", "param", "url", "uri", "endpoint", "policy", "min", "max", "format", "version", "hint",
        "label", "placeholder", "env", "var", "regex", "pattern", "rule", "mode", "usage", "budget", "required",
        "reset", "hash", "policy", "strength", "validator", "input", "confirm", "enabled", "location", "store",
    ].map { Array($0.utf8) }

    static let literalValues: [[UInt8]] = [
        "true", "false", "null", "none", "nil", "undefined", "required", "optional", "string", "password", "secret",
        "token", "redacted", "hidden", "masked", "empty", "default", "unset",
    ].map { Array($0.utf8) }

    /// Words in a name that say its value is not a real credential.
    private static let decoyNameWords: [[UInt8]] = [
        "fake", "dummy", "mock", "invalid", "bogus", "nonmatching", "non_matching", "notreal", "not_real", "wrong",
    ].map { Array($0.utf8) }

    /// Fragments of the names of services whose tokens have a shape of their own, found by the service's own rule
    /// wherever the name is (`telegr`: `telegram-bot-token-named`).
    static let shapedServices: [[UInt8]] = [Array("telegr".utf8)]

    /// Whether `range` is one of `words` (given in lower case), in any case.
    static func isOne(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, of words: [[UInt8]]) -> Bool {
        words.contains { $0.count == range.count && Bytes.containsFolded(b, range, $0) }
    }

    /// Values that name where a secret comes from instead of holding it.
    private static let references: [[UInt8]] = [
        "environ", "getenv", "process.env", "env(", "env[", "secrets.", "vault(", "keyring", "arn:aws",
    ].map { Array($0.utf8) }

    static func assignment(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, minLength: Int)
        -> Range<Int>?
    {
        // `tokenizer`, `secretary`, `passwords`: another word, not this keyword.
        if end < b.count, b[end] &- 0x61 < 26 { return nil }
        // Inside an AWS resource name (`arn:aws:secretsmanager:…:secret:name`) or a pattern for one, which names a
        // secret.
        let word = Bytes.runBackwards(b, before: start, unquotedVisible, max: 256)
        if let arn = Bytes.find(b, "arn:", from: word, limit: start), arn == word || !b[arn - 1].isASCIILetter {
            return nil
        }
        let tailEnd = Bytes.run(b, from: end, .identifier, max: 48)
        var tailStart = end
        while tailStart < tailEnd, !b[tailStart].isASCIIAlphanumeric { tailStart += 1 }
        for suffix in metadataSuffixes
        where Bytes.containsFolded(b, tailStart..<min(tailEnd, tailStart + suffix.count), suffix) {
            return nil
        }
        if qualifiedAsNoCredential(b, keyword: start) { return nil }
        // A name that says its value is not a real one (`fakeToken`, `INVALID_API_KEY`, `nonMatchingToken`).
        let nameStart = Bytes.runBackwards(b, before: start, .identifier, max: 64)
        for word in decoyNameWords where Bytes.containsFolded(b, nameStart..<tailEnd, word) { return nil }
        // A service whose tokens have a shape of their own: its name's value is judged by that shape alone, by the
        // service's own rule (`TELEGRAM_BOT_TOKEN=…` holds `bot id:A…` or nothing).
        for service in shapedServices where Bytes.containsFolded(b, nameStart..<tailEnd, service) { return nil }
        let valueStart: Int
        let found: Range<Int>
        let quoted: Bool
        if let element = elementText(b, keyword: start, nameEnd: tailEnd) {
            valueStart = element.lowerBound
            found = element
            quoted = true
        } else if let operatorStop = operatorEnd(b, after: tailEnd, keywordEnd: b[end - 1]) {
            guard let (value, isQuoted) = value(b, at: operatorStop) else { return nil }
            valueStart = operatorStop
            // A literal fallback is a value (`env('SECRET_KEY', '…')`, `${DB_PASS:-…}`).
            if let fallback = defaultArgument(b, at: operatorStop) ?? substitutionDefault(b, at: value.lowerBound) {
                found = fallback
                quoted = true
            } else {
                found = value
                quoted = isQuoted
            }
        } else if let pair = pairedValue(b, keyword: start, nameEnd: tailEnd),
            let (value, isQuoted) = value(b, at: pair)
        {
            valueStart = pair
            found = value
            quoted = isQuoted
        } else {
            return nil
        }
        var range = found
        // A `.env` or YAML line (`DB_PASSWORD=p(a)ss;w0rd`, `password: a&b[c]`): an unquoted value runs to the
        // end of its line, whatever symbols it holds.
        // Keys and tokens are made by machines; people choose passwords, which may be words or phrases.
        let password =
            Bytes.containsFolded(b, start..<min(end, start + 4), passwordWords[0])
            || Bytes.containsFolded(b, start..<min(end, start + 3), passwordWords[2])
        var configLine = !quoted && isConfigLine(b, keyword: start, operatorAt: tailEnd, valueStart: valueStart)
        if configLine {
            let line = restOfLine(b, from: valueStart)
            // `page_token: Optional[str] = None` is a Python annotation with a default, not YAML; words after a
            // token's name are a note, while a password may be a phrase.
            if Bytes.find(b, " = ", from: line.lowerBound, limit: line.upperBound) != nil
                || (!password && b[line].contains(0x20))
            {
                configLine = false
            } else {
                range = line
            }
        }
        guard range.count >= minLength, range.count <= 512, !Placeholder.looksLikePlaceholder(b, range) else {
            return nil
        }
        if isOne(b, range, of: literalValues) { return nil }
        if Bytes.find(b, "://", from: range.lowerBound, limit: range.upperBound) != nil { return nil }
        if restatesName(b, keyword: start, nameEnd: tailEnd, value: range) || isFilePath(b, range) { return nil }
        let first = b[range.lowerBound]
        // Variables, format strings and templates (`$TOKEN`, `%s`, `%(name)s`, `%PASS%`, `@token`, `{password!r}`,
        // `{"a": 1}`); a value that merely starts with `%` is a value.
        if first == UInt8(ascii: "$") || first == UInt8(ascii: "@") || first == UInt8(ascii: "{") { return nil }
        if first == UInt8(ascii: "%"),
            range.count <= 3 || b[range.lowerBound + 1] == UInt8(ascii: "(") || b[range.upperBound - 1] == first
        {
            return nil
        }
        for reference in references where Bytes.containsFolded(b, range, reference) { return nil }
        let kinds = Placeholder.characterKinds(b, range)
        if !quoted {
            // A bare word or dotted name is a variable or expression, not a literal.
            var onlyNameCharacters = true
            for i in range where !(b[i].isASCIILetter || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: ".")) {
                onlyNameCharacters = false
                break
            }
            if onlyNameCharacters { return nil }
            // A call, a subscript or a generic type (`Optional[str]`, `parts['pass']`, `getpass()`).
            if configLine
                ? isCall(b, range) : b[range].contains(where: { $0 == UInt8(ascii: "(") || $0 == UInt8(ascii: "[") })
            {
                return nil
            }
        } else if b[range].contains(0x20) {
            // Prose in quotes, or an expression (`"rate(15 days)"`); only pass phrases may contain spaces.
            if !password || isCall(b, range) { return nil }
        }
        // A PIN or a numeric password is all digits: four or more, under a password's name.
        let digits = b[range].allSatisfy(\.isDigit)
        if kinds < 2 && range.count < 16 && !(password && digits && range.count >= 4) { return nil }
        // Words joined into a name are a name, unless a person chose them (`correct-horse-battery-staple`). A UUID
        // reads as such words only by chance (`59506e43-4f9a-…`): under a key's or token's name it is the key
        // (HubSpot, Snyk, Heroku issue UUIDs).
        if !password, isName(b, range), !isUUID(b, range) { return nil }
        // Base64 of text nobody keeps secret (`cGFzc3dvcmQ=`, `password`) is that text.
        if encodesPlainNonSecret(b, range) { return nil }
        guard Placeholder.entropy(b, range) >= 2.2 else { return nil }
        return range
    }

    /// Whether the value repeats the whole name it is assigned to (`CELERY_PASSWORD=!!!SET CELERY_PASSWORD!!!`):
    /// what templates write where the value is to go. Names shorter than 8 bytes are left out, so that a value
    /// which merely starts with a short word (`token`) is still judged on its own.
    private static func restatesName(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, nameEnd: Int, value: Range<Int>)
        -> Bool
    {
        let nameStart = Bytes.runBackwards(b, before: keyword, .identifier, max: 64)
        let name = nameStart..<nameEnd
        guard name.count >= 8, name.count < value.count else { return false }
        let needle = b[name].map(\.lowercasedASCII)
        return Bytes.containsFolded(b, value, needle)
    }

    /// Calls that read a setting and fall back to their second argument: `env('SECRET_KEY', '…')`,
    /// `os.environ.get("TOKEN", "…")`, `os.getenv('PASSWORD', default='…')`, `config('APP_KEY', '…')`.
    private static let settingReaders: [[UInt8]] = ["env", "getenv", "get", "config", "getproperty", "setting"].map {
        Array($0.utf8)
    }

    /// The string literal given as a setting reader's fallback, when the call starts at `start`.
    private static func defaultArgument(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Range<Int>? {
        let callee = Bytes.run(b, from: start, .identifier, max: 64)
        guard callee > start, callee < b.count, b[callee] == UInt8(ascii: "(") else { return nil }
        var nameStart = callee
        while nameStart > start, b[nameStart - 1] != UInt8(ascii: ".") { nameStart -= 1 }
        guard isOne(b, nameStart..<callee, of: settingReaders) else { return nil }
        let limit = min(b.count, callee + 512)
        var i = callee + 1
        func blanks() { while i < limit, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 } }
        func literal() -> Range<Int>? {
            guard i < limit, quotes.contains(b[i]) else { return nil }
            let open = b[i]
            var close = i + 1
            while close < limit, b[close] != open, b[close] != 0x0A { close += 1 }
            guard close < limit, b[close] == open else { return nil }
            defer { i = close + 1 }
            return i + 1..<close
        }
        blanks()
        guard literal() != nil else { return nil }
        blanks()
        guard i < limit, b[i] == UInt8(ascii: ",") else { return nil }
        i += 1
        blanks()
        if Bytes.equal(b, i, "default=") { i += 8 }
        return literal()
    }

    /// `${NAME:-fallback}`, `${NAME-fallback}` (shell, Compose) or `${NAME:fallback}` (Spring): the fallback.
    private static func substitutionDefault(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Range<Int>? {
        guard Bytes.equal(b, start, "${") else { return nil }
        var i = Bytes.run(b, from: start + 2, .identifier, max: 128)
        guard i > start + 2, i < b.count else { return nil }
        if b[i] == UInt8(ascii: ":") { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i > start + 2, b[i - 1] == UInt8(ascii: ":") || b[i - 1] == UInt8(ascii: "-") else { return nil }
        var close = i
        while close < b.count, close - i < 512, b[close] != UInt8(ascii: "}"), b[close] != 0x0A { close += 1 }
        guard close < b.count, b[close] == UInt8(ascii: "}"), close > i else { return nil }
        return i..<close
    }

    /// A name and its value as two fields of one entry, the keyword in the name's value: Kubernetes'
    /// `- name: DB_PASSWORD` with `value: …` below it, and `{"name": "API_TOKEN", "value": "…"}` (ECS, Helm). Where
    /// the value starts.
    private static func pairedValue(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, nameEnd: Int) -> Int? {
        let nameStart = Bytes.runBackwards(b, before: keyword, .identifier, max: 64)
        var i = nameStart
        if i > 0, quotes.contains(b[i - 1]) { i -= 1 }
        while i > 0, b[i - 1] == 0x20 { i -= 1 }
        // `name:` as in YAML and JSON; HTML's `name="…" value="…"` names a form field, not a setting.
        guard i > 0, b[i - 1] == UInt8(ascii: ":") else { return nil }
        i -= 1
        if i > 0, quotes.contains(b[i - 1]) { i -= 1 }
        guard i >= 4, Bytes.containsFolded(b, i - 4..<i, Array("name".utf8)),
            i == 4 || !b[i - 5].isASCIILetter
        else { return nil }
        var j = nameEnd
        if j < b.count, quotes.contains(b[j]) { j += 1 }
        while j < b.count, b[j] == 0x20 { j += 1 }
        if j < b.count, b[j] == UInt8(ascii: ",") { j += 1 }
        let limit = min(b.count, j + 256)
        while j < limit, b[j] == 0x20 || b[j] == 0x09 || b[j] == 0x0A || b[j] == 0x0D { j += 1 }
        if j < limit, quotes.contains(b[j]) { j += 1 }
        guard Bytes.containsFolded(b, j..<min(limit, j + 5), Array("value".utf8)) else { return nil }
        j += 5
        if j < b.count, quotes.contains(b[j]) { j += 1 }
        while j < b.count, b[j] == 0x20 { j += 1 }
        guard j < b.count, b[j] == UInt8(ascii: ":") else { return nil }
        j += 1
        while j < b.count, b[j] == 0x20 { j += 1 }
        // Away from its name, a value needs a little more to count: eight characters or more.
        guard j < b.count, let (text, _) = value(b, at: j), text.count >= 8 else { return nil }
        return j
    }

    /// An absolute or home-relative path made of names (`/run/secrets/db-password`, `~/.config/app/token`): where a
    /// secret is kept, not the secret.
    private static func isFilePath(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.count >= 4 else { return false }
        let first = b[range.lowerBound]
        guard first == UInt8(ascii: "/") || (first == UInt8(ascii: "~") && b[range.lowerBound + 1] == UInt8(ascii: "/"))
        else { return false }
        // Each part a file or directory name: letters, digits and `._-`, not long, and not mixing capitals, small
        // letters and digits as a random value does.
        var slashes = 0
        var kinds: (upper: Bool, lower: Bool, digit: Bool) = (false, false, false)
        var length = 0
        for i in range {
            let c = b[i]
            if c == UInt8(ascii: "/") || c == UInt8(ascii: "~") {
                if c == UInt8(ascii: "/") { slashes += 1 }
                kinds = (false, false, false)
                length = 0
                continue
            }
            length += 1
            if c &- 0x41 < 26 {
                kinds.upper = true
            } else if c &- 0x61 < 26 {
                kinds.lower = true
            } else if c.isDigit {
                kinds.digit = true
            } else if c != UInt8(ascii: ".") && c != UInt8(ascii: "_") && c != UInt8(ascii: "-") {
                return false
            }
            if length > 40 || (kinds.upper && kinds.lower && kinds.digit) { return false }
        }
        return slashes >= 2
    }

    /// Whether the assignment at `keyword` is a line of a `.env`, shell or YAML file: the name starts its line
    /// (after indentation, `export ` or a YAML `- `), and `=` has no blank on either side or `:` is followed by one.
    private static func isConfigLine(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, operatorAt: Int, valueStart: Int)
        -> Bool
    {
        var i = Bytes.runBackwards(b, before: keyword, .identifier, max: 64)
        if i > 0, b[i - 1] == UInt8(ascii: "$") || quotes.contains(b[i - 1]) { return false }
        if Bytes.equal(b, i - 7, "export ") { i -= 7 } else if Bytes.equal(b, i - 2, "- ") { i -= 2 }
        while i > 0, b[i - 1] == 0x20 || b[i - 1] == 0x09 { i -= 1 }
        guard i == 0 || b[i - 1] == 0x0A, operatorAt < b.count else { return false }
        switch b[operatorAt] {
        case UInt8(ascii: "="): return valueStart == operatorAt + 1
        case UInt8(ascii: ":"): return valueStart > operatorAt + 1 && b[operatorAt + 1] == 0x20
        default: return false
        }
    }

    /// The rest of a line from `start`, without trailing blanks or a ` #` comment.
    static func restOfLine(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int> {
        var end = start
        while end < b.count, b[end] != 0x0A, b[end] != 0x0D, end - start < 600 {
            if b[end] == UInt8(ascii: "#"), end > start, b[end - 1] == 0x20 || b[end - 1] == 0x09 { break }
            end += 1
        }
        while end > start, b[end - 1] == 0x20 || b[end - 1] == 0x09 { end -= 1 }
        return start..<end
    }

    /// Whether `range` is a call or a subscript as a whole: a name, then `(` or `[`, closed at the end.
    private static func isCall(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let name = Bytes.run(b, from: range.lowerBound, .identifier, max: 128)
        guard name > range.lowerBound, name < range.upperBound else { return false }
        let open = b[name]
        let close = b[range.upperBound - 1]
        return (open == UInt8(ascii: "(") && close == UInt8(ascii: ")"))
            || (open == UInt8(ascii: "[") && close == UInt8(ascii: "]"))
    }

    /// Whether a token's body is words someone wrote (`not-a-real-user-token`, `ThisIsNotARealToken1`): three words
    /// or more, split by `-`, `_`, `.` or a capital, each of letters only (a number may end the last), none longer
    /// than twelve, nearly all with a vowel, and three letters in ten or more vowels. A random body soon breaks one
    /// of these: a digit inside, a run of consonants, a long run of small letters, too few vowels.
    static func readsAsWords(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var words = 0
        var voweled = 0
        var length = 0
        var vowel = false
        var digitsSeen = false
        func wordEnds() -> Bool {
            defer { (length, vowel) = (0, false) }
            guard length > 0 else { return true }
            words += 1
            if vowel || length == 1 { voweled += 1 }
            return length <= 12
        }
        for i in range {
            let c = b[i]
            if digitsSeen && !c.isDigit { return false }
            if c &- 0x61 < 26 {
                length += 1
                if "aeiouy".utf8.contains(c) { vowel = true }
            } else if c &- 0x41 < 26 {
                // A capital starts a word, unless it follows capitals (`RSA`).
                if length > 0, b[i - 1] &- 0x61 < 26 { guard wordEnds() else { return false } }
                length += 1
                if "AEIOUY".utf8.contains(c) { vowel = true }
            } else if c.isDigit {
                digitsSeen = true
            } else if c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") {
                guard wordEnds() else { return false }
            } else {
                return false
            }
        }
        guard wordEnds(), words >= 3, voweled * 5 >= words * 4 else { return false }
        // Nearly two letters in five of written words are vowels, one in five of random letters.
        var letters = 0
        var vowels = 0
        for i in range where b[i].isASCIILetter {
            letters += 1
            if "aeiou".utf8.contains(b[i] | 0x20) { vowels += 1 }
        }
        return vowels * 10 >= letters * 3
    }

    /// `8-4-4-4-12` hex digits.
    static func isUUID(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.count == 36 else { return false }
        for (k, i) in range.enumerated() {
            if k == 8 || k == 13 || k == 18 || k == 23 {
                guard b[i] == UInt8(ascii: "-") else { return false }
            } else if !ByteClass.hex.contains(b[i]) {
                return false
            }
        }
        return true
    }

    /// Words joined into a name (`magic_token`, `TEST_API_KEY`, `tok_warn_1`, `RSAPrivateKey`,
    /// `application_default_credentials.json`): each word capitals then small letters, no longer than a word, with
    /// a vowel when it has two letters or more, and at most a short number after it. Random characters, which keys
    /// and tokens are made of, soon break one of these.
    static func isName(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var upper = 0
        var lower = 0
        var digits = 0
        var vowel = false
        // Letters after digits, within one part between separators: a name has a number or two in it
        // (`v1beta1`, `s3Bucket2`), a random value keeps switching (`x1qx6eb76i0ukpfl`). A part of hex digits alone
        // is an id's (`6f1c2a4e` in a UUID) and is left to the word rules.
        var switches = 0
        var beyondHex = false
        var partLength = 0
        func partEnds() -> Bool {
            defer { (switches, beyondHex, partLength) = (0, false, 0) }
            // Sixteen hex digits and more that keep switching are a key or a hash, never words.
            return switches <= 2 || (!beyondHex && partLength < 16)
        }
        func wordEnds() -> Bool {
            defer { (upper, lower, digits, vowel) = (0, 0, 0, false) }
            let letters = upper + lower
            return letters <= 16 && digits <= 5 && (letters < 2 || vowel)
        }
        for i in range {
            let c = b[i]
            let folded = c | 0x20
            partLength += 1
            if folded &- 0x61 < 26 {
                // A letter after small letters or digits, or a capital after small letters, starts the next word
                // (`deleteToken`, `oauth2Token`); small letters after capitals continue it (`RSAPrivate` → `RSA`,
                // `Private` is as good as one word here).
                let capital = c & 0x20 == 0
                if digits > 0 { switches += 1 }
                if folded > UInt8(ascii: "f") { beyondHex = true }
                if digits > 0 || (capital && lower > 0) {
                    if !wordEnds() { return false }
                }
                if capital { upper += 1 } else { lower += 1 }
                if "aeiouy".utf8.contains(folded) { vowel = true }
            } else if c.isDigit {
                digits += 1
            } else if c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "/") || c == UInt8(ascii: ":")
            {
                if !wordEnds() || !partEnds() { return false }
            } else {
                return false
            }
        }
        return wordEnds() && partEnds()
    }

    // MARK: HTTP credentials

    private static func bearer(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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

    private static func basicAuth(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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
    private static let passwordWords: [[UInt8]] = ["pass", "passwd", "pwd", "pw"].map { Array($0.utf8) }

    private static func uriCredentials(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
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

    private static func armoredBlock(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ endLine: [UInt8])
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

    private static func puttyKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
        let limit = min(b.count, start + 32 * 1024)
        guard Bytes.find(b, "Private-Lines:", from: start, limit: limit) != nil,
            let mac = Bytes.find(b, "Private-MAC:", from: start, limit: limit)
        else { return nil }
        var i = mac
        while i < b.count, b[i] != 0x0A { i += 1 }
        return start..<i
    }

    private static func jwt(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
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

    // MARK: Format-specific

    private static let awsSecretBody = ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "+/")
    /// How far from an access key id its secret key is looked for: a CSV row, an `aws configure` transcript or a
    /// constructor's arguments keep them closer.
    private static let awsPairReach = 256

    /// The secret access key that belongs with the access key id at `start`: the nearest run of exactly 40 bytes
    /// of its alphabet, standing alone, that mixes three kinds of character (capitals, small letters, digits, `+/`)
    /// as a random key does and is no placeholder (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`); after the id first,
    /// then before it.
    private static func awsPairedSecret(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        if start > 0, b[start - 1].isASCIIAlphanumeric, !namesItself(b, start..<end) { return nil }
        let idEnd = Bytes.run(b, from: end, .upperAlnum, max: 17)
        guard idEnd - end == 16 else { return nil }
        return pairedSecret(b, id: start..<idEnd, awsSecretBody, length: 40) { range in
            Placeholder.characterKinds(b, range) >= 3 && Placeholder.entropy(b, range) >= 4.0
        }
    }

    /// The auth token that belongs with the Twilio account SID at `start` (`AC` and 32 hex digits): the nearest other
    /// run of exactly 32 hex digits, standing alone, with letters and digits mixed as a random token has them.
    private static func twilioPairedSecret(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
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
    private static func pairedSecret(
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

    private static let webSocketPrefix = Array("websocket-".utf8)

    /// Words that, just before `key` or `token` in a name, make it something other than a credential: a database
    /// key (`primary_key`, `foreignKey`), a public value (`public_token`, `publicKey`), a request-forgery token
    /// (`csrf_token`). gitleaks' generic rule allows the same names.
    private static let notCredentialQualifiers: [[UInt8]] = [
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
    private static let hashNameWords: [[UInt8]] = [
        "sha1", "sha2", "sha3", "sha5", "sha-", "sha_", "hash", "digest", "checksum", "cache", "commit", "integrity",
        "etag", "fingerprint", "object", "idempot", "dedup", "pub",
    ].map { Array($0.utf8) }

    /// The bytes of a key-shaped value: letters, digits and `_-+/=.`.
    private static let keyValue = ByteClass.alnum.union("_-+/=.")

    /// A key after the word `key`, with an operator, `is`, or nothing between (`key: …`, `"key": "…"`, `key is …`,
    /// "set it up with the key …"): 20 to 128 bytes that mix letters and digits as a machine makes them, no name,
    /// no placeholder, and neither a git or SHA-256 hash nor a UUID, which are ids.
    private static func bareKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
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
    private static func directive(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
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
    private static func oracleThinPassword(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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
    private static func connectionCallPassword(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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

    private static func openAILegacyKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let left = Bytes.runBackwards(b, before: start, .base64URL, max: 200)
        guard Bytes.equal(b, left, "sk-") else { return nil }
        let right = Bytes.run(b, from: end, .base64URL, max: 200)
        guard right - left >= 40, end - left >= 20, right - end >= 20 else { return nil }
        return left..<right
    }

    private static let azureSecretBody = ByteClass.alnum.union("_~.")

    private static func azureADClientSecret(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard start >= 4, b[start - 1].isDigit else { return nil }
        for i in start - 4..<start - 1 where !azureSecretBody.contains(b[i]) { return nil }
        if start >= 5, azureSecretBody.contains(b[start - 5]) { return nil }
        let stop = Bytes.run(b, from: end, azureSecretBody.union("-"), max: 34)
        guard (31...34).contains(stop - end) else { return nil }
        let range = start - 4..<stop
        return Placeholder.looksLikePlaceholder(b, range) ? nil : range
    }

    private static func telegramBotToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let digits = Bytes.runBackwards(b, before: start, .digits, max: 10)
        guard (8...10).contains(start - digits) else { return nil }
        // In Bot API URLs the token follows `/bot`.
        if digits > 0, b[digits - 1].isASCIIAlphanumeric, !Bytes.equal(b, digits - 3, "bot") { return nil }
        let stop = Bytes.run(b, from: end, .base64URL, max: 33)
        guard stop - end == 33 else { return nil }
        return digits..<stop
    }

    private static func newRelicLicenseKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let first = Bytes.runBackwards(b, before: start, .lowerHex, max: 37)
        guard start - first == 36, end == b.count || !b[end].isASCIIAlphanumeric else { return nil }
        if first > 0, b[first - 1].isASCIIAlphanumeric { return nil }
        return Placeholder.looksLikePlaceholder(b, first..<start) ? nil : first..<end
    }

    private static func mailchimpKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let first = Bytes.runBackwards(b, before: start, .lowerHex, max: 33)
        guard start - first == 32 else { return nil }
        if first > 0, b[first - 1].isASCIIAlphanumeric { return nil }
        let stop = Bytes.run(b, from: end, .digits, max: 2)
        guard (1...2).contains(stop - end), stop == b.count || !b[stop].isASCIIAlphanumeric else { return nil }
        let key = first..<start
        guard Placeholder.entropy(b, key) >= 2.4, !Placeholder.looksLikePlaceholder(b, key) else { return nil }
        return first..<stop
    }

    private static func azureSASSignature(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard Bytes.containsFolded(b, max(0, start - 1024)..<start, Array("sv=".utf8)) else { return nil }
        let stop = Bytes.run(b, from: end, ByteClass.base64.union("%"), max: 160)
        guard (40...160).contains(stop - end) else { return nil }
        return end..<stop
    }

    private static func adoConnectionPassword(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
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

    // MARK: Encoded keys, credential files and headers

    /// A PEM private key encoded as one base64 value, on one line or wrapped at a fixed width. The keyword is
    /// `-----BEGIN ` as base64 from a value's start; the block's first line, decoded, must name a private key, so
    /// that encoded certificates and public keys (`client-certificate-data`) pass.
    private static func base64PrivateKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
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
    private static func base64JWT(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Range<Int>? {
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
    private static let nugetExamples: [[UInt8]] = ["33f!!lloppa", "hal+9ooo_da!sY"].map { Array($0.utf8) }

    /// `<add key="ClearTextPassword" value="…" />` or `key="Password"`: the value, when it is at least eight
    /// characters, no variable (`%NUGET_PASSWORD%`), placeholder or documented example.
    private static func xmlSettingPassword(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
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
    private static func registryAuth(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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
    private static let netrcWords: [[UInt8]] = ["login", "password", "account", "port"].map { Array($0.utf8) }

    /// `machine HOST login NAME password SECRET`, on one line or across several. The stanza must parse as netrc
    /// (each word one of `netrcWords`, each with a value) up to the password, so prose mentioning a machine's
    /// password does not.
    private static func netrcPassword(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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
    private static let otherAuthorizationSchemes: [[UInt8]] = [
        "basic", "bearer", "digest", "negotiate", "ntlm", "aws4-hmac-sha256", "hoba", "mutual", "vapid",
    ].map { Array($0.utf8) }

    /// `Authorization: Token …`, `Authorization: ApiKey …` or a bare key, in a header or a JSON or dict literal.
    private static func authorizationHeader(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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
    private static let cookieOctet = ByteClass([0x21...0x21, 0x23...0x2B, 0x2D...0x3A, 0x3C...0x5B, 0x5D...0x7E])
    private static let cookieName = ByteClass([
        0x21...0x21, 0x23...0x2B, 0x2D...0x3A, 0x3C...0x3C, 0x3E...0x5B, 0x5D...0x7E,
    ])

    /// The end of a run of `cls` from `from` that stops before `close` too.
    private static func run(
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
    private static func cookieHeader(_ b: UnsafeBufferPointer<UInt8>, _ end: Int) -> Range<Int>? {
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

    private static func isSessionLike(_ b: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
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
