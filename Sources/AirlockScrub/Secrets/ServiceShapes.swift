/// Matchers for credentials whose shape has parts (an id and a secret, a tag inside, a fixed suffix), so that a
/// value of the right length but the wrong parts is not one of them.
extension Matchers {
    /// How far after a service's name its value is looked for: the rest of an assignment or a short phrase.
    private static let namedReach = 160

    /// The characters of a Telegram bot token's secret part, after the bot id and `:A`.
    private static let telegramSecret = ByteClass.base64URL

    /// A Telegram bot token after a name holding `telegr` (`TELEGRAM_BOT_TOKEN=…`, `telegram bot: …`), on the same
    /// line: a bot id of 5 to 16 digits standing alone, `:`, then `A` and exactly 34 characters of letters, digits,
    /// `_` and `-`, standing alone too. The id is part of the secret.
    static func telegramNamedToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let limit = min(b.count, end + namedReach)
        var i = end
        while i < limit, b[i] != 0x0A {
            guard b[i].isDigit, i == 0 || !b[i - 1].isASCIIAlphanumeric else {
                i += 1
                continue
            }
            let digits = Bytes.run(b, from: i, .digits, max: 17)
            defer { i = max(digits, i + 1) }
            guard (5...16).contains(digits - i), Bytes.equal(b, digits, ":A") else { continue }
            let secretStart = digits + 2
            let stop = Bytes.run(b, from: secretStart, telegramSecret, max: 35)
            guard stop - secretStart == 34 else { continue }
            let secret = digits + 1..<stop
            guard Placeholder.entropy(b, secret) >= 3.5, !Placeholder.looksLikePlaceholder(b, secret, token: true)
            else { continue }
            return i..<stop
        }
        return nil
    }

    /// A Sourcegraph access token: `sgp_` and 40 hex digits, `sgp_` and a 16-hex-digit instance id, `_` and 40 hex
    /// digits, or `sgp_local_` and 40 hex digits; standing alone, and random.
    static func sourcegraphToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard Bytes.equal(b, start, "sgp_"), start == 0 || !ByteClass.word.contains(b[start - 1]) else { return nil }
        var i = start + 4
        if Bytes.equal(b, i, "local_") {
            i += 6
        } else {
            let id = Bytes.run(b, from: i, .hex, max: 41)
            if id - i == 16, id < b.count, b[id] == UInt8(ascii: "_") { i = id + 1 }
        }
        let stop = Bytes.run(b, from: i, .hex, max: 41)
        guard stop - i == 40, stop == b.count || !ByteClass.word.contains(b[stop]) else { return nil }
        let secret = i..<stop
        guard Placeholder.entropy(b, secret) >= 3.0, !Placeholder.looksLikePlaceholder(b, secret, token: true) else {
            return nil
        }
        return start..<stop
    }

    /// The characters of Dropbox's long-lived and short-lived tokens.
    private static let dropboxBody = ByteClass.base64URL.union("=")

    /// A Dropbox credential assigned to a name holding `dropbox`: an app secret or legacy token (15 letters and
    /// digits), a long-lived token (11 letters and digits, ten `A`s, 43 more) or a short-lived one (`sl.` and 130 or
    /// more); standing alone, random, with a digit when it is letters and digits only.
    static func dropboxToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard let valueStart = keyedValueStart(b, start, end) else { return nil }
        var v = valueStart
        if v < b.count, quotes.contains(b[v]) { v += 1 }
        let shortLived = Bytes.equal(b, v, "sl.")
        let stop = Bytes.run(b, from: shortLived ? v + 3 : v, dropboxBody, max: 1400)
        let value = v..<stop
        let shaped: Bool
        if shortLived {
            shaped = (130...1400).contains(value.count - 3)
        } else if value.count == 64 {
            shaped = Bytes.equal(b, v + 11, "AAAAAAAAAA")
        } else {
            shaped =
                value.count == 15 && b[value].allSatisfy(\.isASCIIAlphanumeric) && b[value].contains(where: \.isDigit)
                && b[value].contains(where: \.isASCIILetter)
        }
        guard shaped, Placeholder.entropy(b, value) >= 3.0, !Placeholder.looksLikePlaceholder(b, value, token: true)
        else { return nil }
        return value
    }

    /// A Facebook app access token, `app id|app secret` (the `|` also URL-encoded as `%7C`), after `facebook` or
    /// `access_token` on the same line: an id of 15 or 16 digits standing alone, then 27 to 40 letters, digits, `_`
    /// and `-` with letters and digits mixed.
    static func facebookAppToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let limit = min(b.count, end + namedReach)
        var i = end
        while i < limit, b[i] != 0x0A {
            guard b[i].isDigit, i == 0 || !b[i - 1].isASCIIAlphanumeric else {
                i += 1
                continue
            }
            let id = Bytes.run(b, from: i, .digits, max: 17)
            defer { i = max(id, i + 1) }
            guard (15...16).contains(id - i) else { continue }
            let secretStart: Int
            if id < b.count, b[id] == UInt8(ascii: "|") {
                secretStart = id + 1
            } else if id + 3 <= b.count, Bytes.containsFolded(b, id..<id + 3, Array("%7c".utf8)) {
                secretStart = id + 3
            } else {
                continue
            }
            let stop = Bytes.run(b, from: secretStart, .base64URL, max: 41)
            let secret = secretStart..<stop
            guard (27...40).contains(secret.count), b[secret].contains(where: \.isDigit),
                b[secret].contains(where: \.isASCIILetter), Placeholder.entropy(b, secret) >= 3.0,
                !Placeholder.looksLikePlaceholder(b, secret, token: true)
            else { continue }
            return i..<stop
        }
        return nil
    }

    /// A MaxMind license key, whose tag is a suffix: 6 letters and digits, `_`, 29 more, and `_mmk` (the keyword),
    /// standing alone and random.
    static func maxMindLicenseKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        guard end == b.count || !ByteClass.word.contains(b[end]) else { return nil }
        let second = Bytes.runBackwards(b, before: start, .alnum, max: 30)
        guard start - second == 29, second >= 8, b[second - 1] == UInt8(ascii: "_") else { return nil }
        let first = Bytes.runBackwards(b, before: second - 1, .alnum, max: 7)
        guard second - 1 - first == 6, first == 0 || !ByteClass.word.contains(b[first - 1]) else { return nil }
        let key = first..<start
        guard Placeholder.entropy(b, key) >= 4.0, !Placeholder.looksLikePlaceholder(b, key, token: true) else {
            return nil
        }
        return first..<end
    }

    /// A HashiCorp Vault service token of the format before Vault 1.10: `s.` and exactly 24 letters and digits,
    /// standing alone, with capitals, small letters and a digit (`s.makeKubeConfigController`, a field in code, has
    /// no digit). The keyword is `s.` after the byte that stands before it.
    static func vaultLegacyToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        let tokenStart = end - 2
        guard b[tokenStart] == UInt8(ascii: "s") else { return nil }
        let stop = Bytes.run(b, from: end, .alnum, max: 25)
        guard stop - end == 24, stop == b.count || !ByteClass.identifier.contains(b[stop]) || b[stop] == 0x2E
        else { return nil }
        let body = end..<stop
        guard Placeholder.characterKinds(b, body) == 3, Placeholder.entropy(b, body) >= 3.5,
            !Placeholder.looksLikePlaceholder(b, body, token: true)
        else { return nil }
        return tokenStart..<stop
    }
}
