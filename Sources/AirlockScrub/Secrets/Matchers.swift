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

    static func span(
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

    static func token(
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
    static let standardBase64 = ByteClass.alnum.union("+/")

    /// Generic words that some prefixes start with (`key-`, `pat.`): glued to a word they are part of it.
    static let genericPrefixWords: [[UInt8]] = ["key", "pat", "api", "ico", "pul", "secret", "dapi"].map {
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
}
