/// Assignments: a value after a credential's name (`password = …`, `api_key: …`, typed declarations, XML elements,
/// /// name/value pairs, literal fallbacks), and what makes a value a name, a path, a call or words rather than a secret.
extension Matchers {
    // MARK: Assignments

    static let quotes = ByteClass([], "\"'`")
    /// Visible ASCII but quotes: the bytes of a bare word such as a resource name.
    static let unquotedVisible = ByteClass([0x21...0x21, 0x23...0x26, 0x28...0x5F, 0x61...0x7E])

    /// Skips an identifier's tail, closing quote or bracket, and the assignment operator.
    /// Returns where the value starts, or nil when no operator follows.
    static func operatorEnd(_ b: UnsafeBufferPointer<UInt8>, after end: Int, keywordEnd: UInt8) -> Int? {
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
    static func typedDeclaration(_ b: UnsafeBufferPointer<UInt8>, after colon: Int) -> Int? {
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
    static func elementText(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, nameEnd: Int) -> Range<Int>? {
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
    static func value(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> (Range<Int>, quoted: Bool)? {
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

    static func keyed(
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
    static let metadataSuffixes: [[UInt8]] = [
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
    static let decoyNameWords: [[UInt8]] = [
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
    static let references: [[UInt8]] = [
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
    static func restatesName(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, nameEnd: Int, value: Range<Int>)
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
    static let settingReaders: [[UInt8]] = ["env", "getenv", "get", "config", "getproperty", "setting"].map {
        Array($0.utf8)
    }

    /// The string literal given as a setting reader's fallback, when the call starts at `start`.
    static func defaultArgument(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Range<Int>? {
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
    static func substitutionDefault(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Range<Int>? {
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
    static func pairedValue(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, nameEnd: Int) -> Int? {
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
    static func isFilePath(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
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
    static func isConfigLine(_ b: UnsafeBufferPointer<UInt8>, keyword: Int, operatorAt: Int, valueStart: Int)
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
    static func isCall(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
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
}
