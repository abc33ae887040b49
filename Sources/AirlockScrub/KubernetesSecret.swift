/// The `kubernetes-secret-data` rule: the values of a Kubernetes Secret, whose `data:` entries are base64 and whose
/// `stringData:` entries are plain text, found from the manifest's `kind: Secret` wherever it sits in the document.
extension Matchers {
    /// Every value under `data:` or `stringData:` in the YAML document (between `---` lines) that holds the keyword
    /// at `start`. `kind: SecretStore` and `kind: ExternalSecret` are other kinds, whose data are references.
    static func kubernetesSecretValues(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [Range<Int>] {
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
                var value = restOfLine(b, from: valueStart)
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
                            let text = restOfLine(b, from: blockLine.lowerBound + blockIndent)
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
        return decoded.bytes.count >= 6 && !decoded.urlSafe
    }

    /// A `stringData:` value: a plausible password, not a template or a variable.
    private static func isPlainSecretValue(_ b: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Bool {
        guard value.count >= 6, !Bytes.containsFolded(b, value, Array("{{".utf8)) else { return false }
        return plausiblePassword(b, value) && !b[value].contains(0x20)
    }
}
