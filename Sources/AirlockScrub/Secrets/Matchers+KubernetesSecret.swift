/// The `kubernetes-secret-data` rule: the values of a Kubernetes Secret, whose `data:` entries are base64 and whose
/// `stringData:` entries are plain text, found from the manifest's `kind: Secret` wherever it sits in the document.
extension Matchers {
    /// Every value under `data:` or `stringData:` in the YAML document (between `---` lines) that holds the keyword
    /// at `start`. `kind: SecretStore` and `kind: ExternalSecret` are other kinds, whose data are references.
    static func kubernetesSecretValues(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [Range<Int>] {
        if b[start] == UInt8(ascii: "\"") {
            // JSON (`kubectl get secret -o json`): the keyword ends with the closing quote.
            return kubernetesJSONSecretValues(b, start, end)
        }
        if start > 0, ByteClass.identifier.contains(b[start - 1]) { return [] }
        if end < b.count, ByteClass.identifier.contains(b[end]) { return [] }
        let document = yamlDocument(b, around: start)
        var values: [Range<Int>] = []
        var lineStart = document.lowerBound
        var section: (indent: Int, encoded: Bool)?
        while lineStart < document.upperBound {
            var lineEnd = lineStart
            while lineEnd < document.upperBound, b[lineEnd] != 0x0A { lineEnd += 1 }
            let line = lineStart..<lineEnd
            lineStart = lineEnd + 1
            let indent = indentation(b, line)
            let content = line.lowerBound + indent..<line.upperBound
            guard !content.isEmpty, b[content.lowerBound] != UInt8(ascii: "#"), b[content.lowerBound] != 0x0D else {
                continue
            }
            if let open = section, indent > open.indent {
                guard let (_, valueStart) = mappingEntry(b, content) else { continue }
                // The whole line: an encoded certificate or key runs to thousands of characters.
                var value = valueStart..<line.upperBound
                while value.upperBound > value.lowerBound, b[value.upperBound - 1] <= 0x20 {
                    value = value.lowerBound..<value.upperBound - 1
                }
                if let comment = Bytes.find(b, " #", from: value.lowerBound, limit: value.upperBound) {
                    value = value.lowerBound..<comment
                }
                if value.count <= 2, value.count >= 1,
                    b[value.lowerBound] == UInt8(ascii: "|") || b[value.lowerBound] == UInt8(ascii: ">")
                {
                    // A block scalar: the lines indented deeper than the entry.
                    var blockEnd = lineStart
                    var last: Range<Int>?
                    while blockEnd < document.upperBound {
                        var next = blockEnd
                        while next < document.upperBound, b[next] != 0x0A { next += 1 }
                        let blockLine = blockEnd..<next
                        let blockIndent = indentation(b, blockLine)
                        if blockIndent < blockLine.count, blockIndent <= indent { break }
                        if blockIndent < blockLine.count {
                            var text = blockLine.lowerBound + blockIndent..<blockLine.upperBound
                            while text.upperBound > text.lowerBound, b[text.upperBound - 1] <= 0x20 {
                                text = text.lowerBound..<text.upperBound - 1
                            }
                            if !text.isEmpty { last = (last?.lowerBound ?? text.lowerBound)..<text.upperBound }
                        }
                        blockEnd = next + 1
                    }
                    lineStart = blockEnd
                    guard let block = last else { continue }
                    value = block
                } else if value.count >= 2, quotes.contains(b[value.lowerBound]),
                    b[value.upperBound - 1] == b[value.lowerBound]
                {
                    value = value.lowerBound + 1..<value.upperBound - 1
                }
                if open.encoded ? isEncodedSecretValue(b, value) : isPlainSecretValue(b, value) {
                    values.append(value)
                }
                continue
            }
            section = nil
            if let (key, valueStart) = mappingEntry(b, content), restOfLine(b, from: valueStart).isEmpty {
                if key.count == 4, Bytes.containsFolded(b, key, Array("data".utf8)) {
                    section = (indent, true)
                } else if key.count == 10, Bytes.containsFolded(b, key, Array("stringdata".utf8)) {
                    section = (indent, false)
                }
            }
        }
        return values
    }

    /// Every string value of the `data` (base64) and `stringData` (plain) objects of the JSON object that holds
    /// `"kind": "Secret"` at `start`, wherever they sit among its members.
    private static func kubernetesJSONSecretValues(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        -> [Range<Int>]
    {
        let reach = 64 * 1024
        // The object's opening brace: the nearest `{` before the keyword that no `}` closes.
        var depth = 0
        var open: Int?
        var i = start
        while i > max(0, start - reach) {
            i -= 1
            if b[i] == UInt8(ascii: "}") {
                depth += 1
            } else if b[i] == UInt8(ascii: "{") {
                if depth == 0 {
                    open = i
                    break
                }
                depth -= 1
            }
        }
        guard let open else { return [] }
        var cursor = JSONCursor(b, at: open + 1, limit: min(b.count, end + reach))
        var values: [Range<Int>] = []
        cursor.members { key, cursor in
            let encoded = cursor.keyIs(key, "data")
            guard encoded || cursor.keyIs(key, "stringData"), cursor.peek == UInt8(ascii: "{") else {
                cursor.skipValue()
                return
            }
            cursor.advance()
            cursor.members { _, cursor in
                guard cursor.peek == UInt8(ascii: "\""), let value = cursor.string() else {
                    cursor.skipValue()
                    return
                }
                if encoded ? isEncodedSecretValue(b, value) : isPlainSecretValue(b, value) { values.append(value) }
            }
        }
        return values
    }

    /// The YAML document around `at`: from the `---` line before it (or the text's start) to the next one.
    private static func yamlDocument(_ b: UnsafeBufferPointer<UInt8>, around at: Int) -> Range<Int> {
        let reach = 64 * 1024
        var lower = at
        while lower > 0, at - lower < reach {
            if b[lower - 1] == 0x0A, Bytes.equal(b, lower, "---") { break }
            lower -= 1
        }
        var upper = at
        while upper < b.count, upper - at < reach {
            if b[upper] == 0x0A, Bytes.equal(b, upper + 1, "---") { break }
            upper += 1
        }
        return lower..<upper
    }

    private static func indentation(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int {
        var i = line.lowerBound
        while i < line.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        return i - line.lowerBound
    }

    /// `key: …` (the key bare or quoted): the key and where the value starts, after the blanks.
    private static func mappingEntry(_ b: UnsafeBufferPointer<UInt8>, _ content: Range<Int>) -> (Range<Int>, Int)? {
        var i = content.lowerBound
        let quote = quotes.contains(b[i]) ? b[i] : nil
        if quote != nil { i += 1 }
        let keyStart = i
        i = Bytes.run(b, from: i, .identifier, max: 253)
        let key = keyStart..<i
        guard !key.isEmpty, i < content.upperBound else { return nil }
        if let quote {
            guard b[i] == quote else { return nil }
            i += 1
        }
        guard i < content.upperBound, b[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard i == content.upperBound || b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D else { return nil }
        while i < content.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        return (key, i)
    }

    /// A `data:` value: base64 (wrapped or not) of six bytes or more, not a template (`{{ .Values.x }}`).
    private static func isEncodedSecretValue(_ b: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
        guard value.count >= 8, let decoded = Base64.decode(b[value]) else { return false }
        guard decoded.bytes.count >= 6, !decoded.urlSafe else { return false }
        return decoded.bytes.withUnsafeBufferPointer { !isPlainNonSecret($0) }
    }

    /// Whether `value` is base64 (eight characters or more, whole groups of four) of text that no one would keep
    /// secret: `password: cGFzc3dvcmQ=` in a Secret's `data:` or a Helm values file says `password: password`.
    static func encodesPlainNonSecret(_ b: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
        guard value.count >= 8, value.count % 4 == 0, b[value].allSatisfy({ ByteClass.base64.contains($0) }),
            let decoded = Base64.decode(b[value]), !decoded.urlSafe
        else { return false }
        return decoded.bytes.withUnsafeBufferPointer { isPlainNonSecret($0) }
    }

    /// Whether a decoded `data:` value is text that no one would keep secret: one word in small letters (`admin`, a
    /// product's name, as default credentials are), a literal such as `password`, the Kubernetes documentation's
    /// example, or an address without credentials (`tcp://10.0.0.1:5705`).
    private static func isPlainNonSecret(_ d: UnsafeBufferPointer<UInt8>) -> Bool {
        let all = 0..<d.count
        guard d.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return false }
        if PublishedExamples.kubernetesExamples.contains(Array(d)) { return true }
        if d.count <= 16, d.allSatisfy({ $0 &- 0x61 < 26 }) { return true }
        if isOne(d, all, of: literalValues) { return true }
        if Bytes.find(d, "://", from: 0, limit: d.count) != nil, !d.contains(UInt8(ascii: "@")) { return true }
        return false
    }

    /// A `stringData:` value: a plausible password, not a template or a variable.
    private static func isPlainSecretValue(_ b: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
        guard value.count >= 6, !Bytes.containsFolded(b, value, Array("{{".utf8)),
            !PublishedExamples.kubernetesExamples.contains(Array(b[value]))
        else { return false }
        return plausiblePassword(b, value) && !b[value].contains(0x20)
    }

    /// `.dockerconfigjson: …` or `.dockercfg: …` (in a Secret, a Helm values file or a pasted fragment of one): the
    /// value, base64 of a registry configuration whose JSON holds `auth` or `password`.
    static func encodedDockerConfig(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        var i = end
        if i < b.count, quotes.contains(b[i]) { i += 1 }
        while i < b.count, b[i] == 0x20 { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        var blank = i
        while blank < b.count, blank - i < 256,
            b[blank] == 0x20 || b[blank] == 0x09 || b[blank] == 0x0A || b[blank] == 0x0D
                || b[blank] == UInt8(ascii: "|") || b[blank] == UInt8(ascii: ">") || b[blank] == UInt8(ascii: "-")
                || quotes.contains(b[blank])
        {
            blank += 1
        }
        let stop = Bytes.run(b, from: blank, .base64, max: 64 * 1024)
        guard stop - blank >= 20 else { return nil }
        let whole = (stop - blank) / 4 * 4
        guard let decoded = Base64.decode(b[blank..<blank + whole])?.bytes else { return nil }
        let found = decoded.withUnsafeBufferPointer { d in
            Bytes.containsFolded(d, 0..<d.count, Array("\"auth".utf8))
                || Bytes.containsFolded(d, 0..<d.count, Array("\"password".utf8))
        }
        return found ? blank..<stop : nil
    }
}

/// A forward reader over the members of a JSON object in text, for matchers that read a pasted document.
private struct JSONCursor {
    let b: UnsafeBufferPointer<UInt8>
    var i: Int
    let limit: Int

    init(_ b: UnsafeBufferPointer<UInt8>, at i: Int, limit: Int) {
        self.b = b
        self.i = i
        self.limit = limit
    }

    var peek: UInt8? { i < limit ? b[i] : nil }

    mutating func advance() { i += 1 }

    mutating func blanks() {
        while i < limit, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
    }

    func keyIs(_ key: Range<Int>, _ name: StaticString) -> Bool {
        key.count == name.utf8CodeUnitCount && Bytes.equal(b, key.lowerBound, name)
    }

    /// A string at the cursor: its contents, escapes left as they are; the cursor after its closing quote.
    mutating func string() -> Range<Int>? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        let open = i + 1
        var j = open
        while j < limit, b[j] != UInt8(ascii: "\"") {
            if b[j] == UInt8(ascii: "\\") { j += 1 }
            j += 1
        }
        guard j < limit else { return nil }
        i = j + 1
        return open..<j
    }

    /// Past the value at the cursor: a string, an object or array with all it holds, or a bare word.
    mutating func skipValue() {
        guard let first = peek else { return }
        if first == UInt8(ascii: "\"") {
            if string() == nil { i = limit }
            return
        }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            var depth = 0
            while i < limit {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    if string() == nil { i = limit }
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return
                    }
                }
                i += 1
            }
            return
        }
        while i < limit, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: "]") { i += 1 }
    }

    /// Each member of the object whose `{` the cursor is past: `body` gets the key and the cursor at the value, and
    /// must move past the value. Stops past the closing brace, or at anything that is not JSON.
    mutating func members(_ body: (Range<Int>, inout JSONCursor) -> Void) {
        while true {
            blanks()
            guard let key = string() else { return }
            blanks()
            guard peek == UInt8(ascii: ":") else { return }
            advance()
            blanks()
            let before = i
            body(key, &self)
            if i == before { skipValue() }
            blanks()
            guard peek == UInt8(ascii: ",") else {
                if peek == UInt8(ascii: "}") { advance() }
                return
            }
            advance()
        }
    }
}
