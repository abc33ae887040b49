/// Walks a parsed body in its provider's shape and collects the edits: which strings are text to scan,
/// which are JSON inside a string (tool arguments and results), which are binary, which are structural.
struct Walker {
    let bytes: UnsafeBufferPointer<UInt8>
    let scanner: TextScanner
    let session: Session
    let kind: PayloadKind
    let operation: ProviderOperation
    var prefix = "$"
    var depthBudget: Int
    private(set) var edits: [Edit] = []
    private var components: [Component] = []
    /// The string being walked that is a text part read with its neighbours (`textParts`), and what that found.
    private var joint: (range: Range<Int>, found: TextPartJoint)?

    private enum Component {
        case key(String)
        case index(Int)
    }

    init(
        bytes: UnsafeBufferPointer<UInt8>, scanner: TextScanner, session: Session, kind: PayloadKind,
        operation: ProviderOperation, prefix: String = "$", depthBudget: Int? = nil
    ) {
        self.bytes = bytes
        self.scanner = scanner
        self.session = session
        self.kind = kind
        self.operation = operation
        self.prefix = prefix
        self.depthBudget = depthBudget ?? scanner.policy.maxDepth
    }

    /// Keys whose string values are protocol structure, never content.
    static let structuralKeys: Set<String> = [
        "model", "role", "type", "id", "object", "tool_call_id", "call_id", "tool_use_id", "media_type", "mime_type",
        "mimeType", "encoding_format", "finish_reason", "stop_reason", "service_tier", "reasoning_effort", "detail",
        "anthropic_version", "anthropic_beta", "responseMimeType", "response_mime_type", "status",
    ]

    static func isStructural(_ key: String) -> Bool {
        structuralKeys.contains(key) || key.hasSuffix("_id") || key.hasSuffix("Id") || key.hasSuffix("_ids")
    }

    mutating func walkRoot(_ root: JSONNode) throws(ScrubError) {
        try refuseTokenIDs(root)
        var removed: Set<Int> = []
        if case .object(let members, let range) = root, prefix == "$" {
            minimise(members, objectStart: range.lowerBound, removed: &removed)
        }
        try walk(root, key: nil, container: nil, parent: nil, removed: removed)
    }

    /// OpenAI embeddings and completions take token ids in place of text (`input: [[int…]]`, `prompt: [int…]`;
    /// LangChain sends them by default). Token ids are text the scrubber cannot read without the model's
    /// vocabulary, and what cannot be read is refused, never forwarded.
    private func refuseTokenIDs(_ root: JSONNode) throws(ScrubError) {
        guard prefix == "$" else { return }
        let field: String
        switch operation {
        case .embeddings: field = "input"
        case .completions: field = "prompt"
        default: return
        }
        guard case .array(let elements, _)? = root[field] else { return }
        func holdsNumbers(_ node: JSONNode) -> Bool {
            switch node {
            case .scalar(let r): return bytes[r.lowerBound] == UInt8(ascii: "-") || bytes[r.lowerBound].isDigit
            case .array(let inner, _): return inner.contains(where: holdsNumbers)
            default: return false
            }
        }
        guard elements.contains(where: holdsNumbers) else { return }
        throw ScrubError(
            code: .tokenIDsUnreadable,
            message: "$.\(field) holds token ids, which Airlock cannot read; send the text itself")
    }

    // MARK: Minimisation

    private mutating func minimise(_ members: [JSONMember], objectStart: Int, removed: inout Set<Int>) {
        let policy = scanner.policy
        if kind == .openai, operation == .responses, policy.forceStoreFalse {
            if let store = members.last(where: { $0.key == "store" }) {
                if !isLiteral(store.value, "false") {
                    edits.append(Edit(range: store.value.range, replacement: Array("false".utf8)))
                    record("openai-store-disabled", "$.store")
                }
            } else {
                let text = members.isEmpty ? "\"store\":false" : "\"store\":false,"
                edits.append(Edit(range: objectStart + 1..<objectStart + 1, replacement: Array(text.utf8)))
                record("openai-store-disabled", "$.store")
            }
        }
        guard policy.dropIdentifiers, kind == .openai || kind == .anthropic else { return }
        let drop: Set<String> = ["user", "safety_identifier", "metadata"]
        var gone = [Bool](repeating: false, count: members.count)
        for (i, m) in members.enumerated() where drop.contains(m.key) {
            gone[i] = true
            removed.insert(m.keyStart)
            record("identifier-dropped", "$.\(m.key)")
        }
        // Remove each run of dropped members together with one separating comma.
        var i = 0
        while i < members.count {
            guard gone[i] else {
                i += 1
                continue
            }
            var j = i
            while j + 1 < members.count, gone[j + 1] { j += 1 }
            if j + 1 < members.count {
                edits.append(Edit(range: members[i].keyStart..<members[j + 1].keyStart, replacement: []))
            } else if i > 0 {
                edits.append(
                    Edit(
                        range: members[i - 1].value.range.upperBound..<members[j].value.range.upperBound,
                        replacement: []))
            } else {
                edits.append(Edit(range: members[i].keyStart..<members[j].value.range.upperBound, replacement: []))
            }
            i = j + 1
        }
    }

    private func isLiteral(_ node: JSONNode, _ literal: String) -> Bool {
        guard case .scalar(let r) = node else { return false }
        return Array(bytes[r]) == Array(literal.utf8)
    }

    private func record(_ detector: String, _ path: String) {
        session.findings.append(
            ScrubFinding(category: .minimisation, detector: detector, path: path, start: 0, end: 0, action: .redact))
    }

    // MARK: Walking

    private mutating func walk(
        _ node: JSONNode, key: String?, container: String?, parent: JSONNode?, removed: Set<Int> = []
    ) throws(ScrubError) {
        switch node {
        case .object(let members, _):
            for member in members where !removed.contains(member.keyStart) {
                if member.key.utf8.count >= 8 { try scrubKey(member) }
                components.append(.key(member.key))
                try walk(member.value, key: member.key, container: key, parent: node)
                components.removeLast()
            }
        case .array(let elements, _):
            let parts = textParts(elements)
            let outer = joint
            for (i, element) in elements.enumerated() {
                components.append(.index(i))
                joint = parts?[i] ?? outer
                try walk(element, key: key, container: container, parent: parent)
                components.removeLast()
            }
            joint = outer
        case .scalar(let range):
            try scrubNumber(range, key: key)
        case .string(let range, let escaped):
            try scrubString(range: range, escaped: escaped, key: key, container: container, parent: parent)
        }
    }

    /// A number under a password's name (`"password": 84629173`, a PIN in a tool call's input) is that password:
    /// read as the text of its digits, and replaced by a string placeholder when it is one.
    private mutating func scrubNumber(_ range: Range<Int>, key: String?) throws(ScrubError) {
        guard let key, !isArrayElement, bytes[range.lowerBound].isDigit,
            key.utf8.count <= 64, Walker.namesPassword(key)
        else { return }
        let text = Array(bytes[range])
        let spans = try scanner.spans(
            in: text, TextScanner.Reading(secretsOnly: true, assignedTo: key), path: { renderPath() },
            session: session)
        guard !spans.isEmpty else { return }
        var encoded: [UInt8] = []
        JSONStrings.encode(Span.apply(spans, to: text), into: &encoded)
        edits.append(Edit(range: range, replacement: encoded))
    }

    /// Whether a key names a password (`password`, `db_passwd`, `pwd`, `passcode`).
    static func namesPassword(_ key: String) -> Bool {
        let lower = key.lowercased()
        return lower.contains("pass") || lower.contains("pwd")
    }

    private func stringValue(_ node: JSONNode?) -> String? {
        guard case .string(let r, let e)? = node else { return nil }
        return String(decoding: JSONStrings.decode(bytes, r, escaped: e), as: UTF8.self)
    }

    private mutating func scrubString(
        range: Range<Int>, escaped: Bool, key: String?, container: String?, parent: JSONNode?
    ) throws(ScrubError) {
        var escapes: [JSONStrings.Escape] = []
        let text = JSONStrings.decode(bytes, range, escaped: escaped, escapes: &escapes)
        // Structural values (model names, ids, roles) are never code, but a secret there is still a secret.
        if let key, Walker.isStructural(key), !isArrayElement {
            let spans = try scanner.spans(in: text, .secretsOnly, path: { renderPath() }, session: session)
            redact(spans, in: text, at: range, escapes: escapes)
            return
        }

        // Base64 parts: binary ones (images, audio, PDFs) are counted and left alone; text files are decoded and
        // scanned, because the provider reads them as text.
        if let part = encodedPart(key: key, container: container, parent: parent, text: text),
            try scrubEncoded(text, part, at: range)
        {
            return
        }

        // Code by definition: Gemini's executableCode.
        if key == "code", container == "executableCode" || container == "executable_code" {
            // Only names from the detector's own table: the field is client text, and the name reaches the
            // detector id, logs, the ledger and metric labels.
            let language = stringValue(parent?["language"])?.lowercased() ?? "python"
            let name = LanguageTables.aliases[language] ?? "code"
            let spans = try scanner.spans(in: text, .code(name), path: { renderPath() }, session: session)
            redact(spans, in: text, at: range, escapes: escapes)
            return
        }

        // JSON inside a string (tool arguments, tool results): scrub it as JSON so it stays valid.
        if Walker.looksLikeJSONContainer(text), depthBudget > 1 {
            let nested: [UInt8]?? = try text.withUnsafeBufferPointer { inner throws(ScrubError) -> [UInt8]?? in
                guard let root = try? JSONParser.parse(inner, maxDepth: depthBudget - 1) else { return .none }
                var walker = Walker(
                    bytes: inner, scanner: scanner, session: session, kind: .json, operation: operation,
                    prefix: renderPath(), depthBudget: depthBudget - 1)
                try walker.walk(root, key: nil, container: nil, parent: nil)
                return .some(walker.edits.isEmpty ? nil : Edit.apply(walker.edits, to: text))
            }
            if let nested {
                if let rewritten = nested { replace(range, with: rewritten) }
                return
            }
        }

        let reading = TextScanner.Reading(
            assignedTo: isArrayElement ? nil : key, joint: joint?.range == range ? joint!.found : TextPartJoint())
        let spans = try scanner.spans(in: text, reading, path: { renderPath() }, session: session)
        redact(spans, in: text, at: range, escapes: escapes)
    }

    /// The text parts of an array that share secrets or code with their neighbours, with what they share: a text
    /// part is an object's `text` string (OpenAI content parts, Anthropic text blocks, Gemini parts), a message's
    /// `content` string, or a string of the array itself (embedding inputs, completion prompts). A provider reads a
    /// run of neighbouring text parts as one text, and a model reads neighbouring messages and inputs together, so
    /// each run is read as one around its boundaries (`jointFindings`, `jointCode`): a secret split across two
    /// messages or two inputs is found. Anything else between them (an image, a tool call) ends a run. Nil when no
    /// part shares anything.
    private func textParts(_ elements: [JSONNode]) -> [(Range<Int>, TextPartJoint)?]? {
        guard elements.count >= 2 else { return nil }
        var parts: [(Range<Int>, TextPartJoint)?]?
        // The current run: its elements, their text one after another, and where each starts in it.
        var run: [(index: Int, range: Range<Int>)] = []
        var joined: [UInt8] = []
        var starts: [Int] = []
        func endRun() {
            if run.count > 1 {
                let secrets = scanner.jointFindings(joined, starts: starts)
                let code = scanner.jointCode(joined, starts: starts)
                for k in run.indices where !secrets[k].isEmpty || !code[k].isEmpty {
                    if parts == nil { parts = Array(repeating: nil, count: elements.count) }
                    parts![run[k].index] = (run[k].range, TextPartJoint(secrets: secrets[k], code: code[k]))
                }
            }
            run.removeAll(keepingCapacity: true)
            joined.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
        }
        for (i, element) in elements.enumerated() {
            guard let (range, escaped) = Walker.readText(of: element), range.count > 2 else {
                endRun()
                continue
            }
            let start = joined.count
            if escaped {
                joined += JSONStrings.decode(bytes, range, escaped: true)
            } else {
                joined += bytes[range.lowerBound + 1..<range.upperBound - 1]
            }
            let text = joined[start...]
            guard !Walker.looksLikeJSONContainer(text),
                !text.starts(with: "data:".utf8) || EncodedPart.dataURL(Array(text)) == nil
            else {
                joined.removeSubrange(start...)
                endRun()
                continue
            }
            run.append((i, range))
            starts.append(start)
        }
        endRun()
        return parts
    }

    /// The string of an array element that is read as a text part, if any: the element itself, or an object's
    /// `text`, or its `content` when that is a string.
    private static func readText(of element: JSONNode) -> (Range<Int>, Bool)? {
        switch element {
        case .string(let range, let escaped): return (range, escaped)
        case .object:
            if case .string(let range, let escaped)? = element["text"] { return (range, escaped) }
            if case .string(let range, let escaped)? = element["content"] { return (range, escaped) }
            return nil
        default: return nil
        }
    }

    /// A base64 part in a string: where its payload starts, the media types it declares, and whether the string
    /// sits in a field that holds base64 parts (Gemini `inlineData.data`, OpenAI `input_audio.data`, `file_data`
    /// and image URLs, Anthropic `base64` sources), which the provider decodes. Elsewhere only a `data:` URL is
    /// one.
    private struct Part {
        var payloadStart: Int
        var mediaTypes: [String]
        var inBase64Field: Bool
        /// A `data:` URL whose payload is percent-encoded, not base64.
        var percentEncoded = false
    }

    private func encodedPart(key: String?, container: String?, parent: JSONNode?, text: [UInt8]) -> Part? {
        let field: Bool
        switch (key, container) {
        case ("data", "inlineData"), ("data", "inline_data"):
            return Part(
                payloadStart: 0, mediaTypes: declared(in: parent, ["mimeType", "mime_type"]), inBase64Field: true)
        case ("data", "input_audio"): return Part(payloadStart: 0, mediaTypes: ["audio/*"], inBase64Field: true)
        case ("data", "source") where stringValue(parent?["type"]) == "base64":
            return Part(payloadStart: 0, mediaTypes: declared(in: parent, ["media_type"]), inBase64Field: true)
        case ("file_data", _), ("url", "image_url"), ("image_url", _): field = true
        default: field = false
        }
        if let url = EncodedPart.dataURL(text) {
            return Part(payloadStart: url.payloadStart, mediaTypes: [url.mediaType], inBase64Field: field)
        }
        if let url = EncodedPart.percentDataURL(text) {
            return Part(
                payloadStart: url.payloadStart, mediaTypes: [url.mediaType], inBase64Field: field,
                percentEncoded: true)
        }
        return key == "file_data" ? Part(payloadStart: 0, mediaTypes: [], inBase64Field: true) : nil
    }

    /// The values of `keys` in `object`, each occurrence of a duplicated key included.
    private func declared(in object: JSONNode?, _ keys: Set<String>) -> [String] {
        guard case .object(let members, _)? = object else { return [] }
        return members.compactMap { keys.contains($0.key) ? stringValue($0.value) : nil }
    }

    /// A base64 part in a base64 field is decoded. Text (by its declared media type, or by its bytes when the type
    /// says nothing or says binary) is scanned like any other text and written back in the same base64 alphabet.
    /// Binary parts are counted, and their secrets replaced in place: a type is what the client says, not what the
    /// bytes are, so a text file sent as `image/png`, or text after an image's first bytes, does not leave unread.
    /// Base64 that does not decode, or a declared text that is not UTF-8, cannot be read and so is refused.
    /// Anywhere else the model reads the string as it is: a `data:` URL there is decoded only when it may be text
    /// and turns out to be, and false leaves every other string to be scanned as text.
    private mutating func scrubEncoded(_ text: [UInt8], _ part: Part, at range: Range<Int>) throws(ScrubError) -> Bool {
        if part.percentEncoded { return try scrubPercentEncoded(text, part, at: range) }
        var content = EncodedPart.content(declaredAs: part.mediaTypes)
        guard part.inBase64Field || content != .binary else { return false }
        if content == .binary {
            // Where binary parts are refused, one declared binary is refused without being decoded.
            guard scanner.policy.binary != .block else {
                session.countBinary(EncodedPart.binaryKind(declaredAs: part.mediaTypes), path: renderPath)
                return true
            }
            content = .unknown
        }
        guard let decoded = Base64.decode(text[part.payloadStart...]) else {
            guard part.inBase64Field else { return false }
            throw ScrubError(code: .invalidBase64, message: "the base64 part at \(renderPath()) does not decode")
        }
        var language: String?
        if case .text(let named) = content {
            guard decoded.bytes.withUnsafeBufferPointer({ UTF8Validation.isValid($0) }) else {
                guard part.inBase64Field else { return false }
                throw ScrubError(
                    code: .invalidUTF8, message: "the text part at \(renderPath()) is not valid UTF-8 once decoded")
            }
            language = named
        }
        var scan: TextScanner.BinaryScan?
        if content == .unknown, !decoded.bytes.withUnsafeBufferPointer({ scanner.readsAsText($0, scan: &scan) }) {
            guard part.inBase64Field else { return false }
            session.countBinary(EncodedPart.binaryKind(declaredAs: part.mediaTypes), path: renderPath)
            let spans = decoded.bytes.withUnsafeBufferPointer {
                scanner.binarySecrets($0, scan: scan, path: renderPath(), session: session)
            }
            if !spans.isEmpty {
                let encoded = Base64.encode(
                    Span.fitted(spans, to: decoded.bytes), urlSafe: decoded.urlSafe, padded: decoded.padded)
                replace(range, with: Array(text[..<part.payloadStart]) + encoded)
            }
            return true
        }
        let spans = try scanner.spans(in: decoded.bytes, .code(language), path: { renderPath() }, session: session)
        guard !spans.isEmpty else { return true }
        let encoded = Base64.encode(
            Span.apply(spans, to: decoded.bytes), urlSafe: decoded.urlSafe, padded: decoded.padded)
        replace(range, with: Array(text[..<part.payloadStart]) + encoded)
        return true
    }

    /// A `data:` URL whose payload is percent-encoded, read as the provider decodes it, in any field: text (by its
    /// bytes, whatever its type says) is scanned like any other text and written back percent-encoded; anything
    /// else is a binary part, counted, with its secrets replaced in place.
    private mutating func scrubPercentEncoded(_ text: [UInt8], _ part: Part, at range: Range<Int>)
        throws(ScrubError) -> Bool
    {
        let decoded = PercentEncoding.decode(text[part.payloadStart...])
        var language: String?
        if case .text(let named) = EncodedPart.content(declaredAs: part.mediaTypes) { language = named }
        var scan: TextScanner.BinaryScan?
        guard decoded.withUnsafeBufferPointer({ scanner.readsAsText($0, scan: &scan) }) else {
            session.countBinary(EncodedPart.binaryKind(declaredAs: part.mediaTypes), path: renderPath)
            let spans = decoded.withUnsafeBufferPointer {
                scanner.binarySecrets($0, scan: scan, path: renderPath(), session: session)
            }
            if !spans.isEmpty {
                let encoded = PercentEncoding.encode(Span.fitted(spans, to: decoded))
                replace(range, with: Array(text[..<part.payloadStart]) + encoded)
            }
            return true
        }
        let spans = try scanner.spans(in: decoded, .code(language), path: { renderPath() }, session: session)
        guard !spans.isEmpty else { return true }
        let encoded = PercentEncoding.encode(Span.apply(spans, to: decoded))
        replace(range, with: Array(text[..<part.payloadStart]) + encoded)
        return true
    }

    private var isArrayElement: Bool {
        if case .index? = components.last { return true }
        return false
    }

    /// Object keys can carry secrets too (arbitrary JSON in tool arguments); they are scanned for secrets only.
    private mutating func scrubKey(_ member: JSONMember) throws(ScrubError) {
        let keyBytes = Array(member.key.utf8)
        let matches = scanner.secretMatches(keyBytes)
        guard !matches.isEmpty else { return }
        let path = renderPath() + ".{key}"
        var spans: [Span] = []
        for match in matches {
            let span = keyBytes.withUnsafeBufferPointer {
                scanner.found(match, $0[match.range], path: path, session: session)
            }
            if let span { spans.append(span) }
        }
        guard !spans.isEmpty else { return }
        var encoded: [UInt8] = []
        JSONStrings.encode(Span.apply(Span.merged(spans), to: keyBytes), into: &encoded)
        let end = Walker.keyEnd(bytes, from: member.keyStart)
        edits.append(Edit(range: member.keyStart..<end, replacement: encoded))
    }

    private static func keyEnd(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start + 1
        while i < b.count {
            if b[i] == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if b[i] == UInt8(ascii: "\"") { return i + 1 }
            i += 1
        }
        return i
    }

    /// Replaces `spans` of the decoded string `text` whose raw bytes are `range`. The stretches in between keep
    /// the client's own bytes, escapes and all, so only the placeholders are written; when a span edge falls inside
    /// what an escape decodes to, the whole string is encoded again instead.
    private mutating func redact(
        _ spans: [Span], in text: [UInt8], at range: Range<Int>, escapes: [JSONStrings.Escape]
    ) {
        guard !spans.isEmpty else { return }
        let edges = spans.flatMap { [$0.range.lowerBound, $0.range.upperBound] }
        guard let raw = JSONStrings.rawOffsets(range, escapes: escapes, of: edges) else {
            replace(range, with: Span.apply(spans, to: text))
            return
        }
        for (k, span) in spans.enumerated() {
            var placeholder: [UInt8] = []
            JSONStrings.encode(Array(span.placeholder.utf8), into: &placeholder, quoted: false)
            edits.append(Edit(range: raw[2 * k]..<raw[2 * k + 1], replacement: placeholder))
        }
    }

    private mutating func replace(_ range: Range<Int>, with text: [UInt8]) {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.count + 2)
        JSONStrings.encode(text, into: &encoded)
        edits.append(Edit(range: range, replacement: encoded))
    }

    /// `$.messages[0].content`. Keys that are not plain identifiers, or that hold a secret, are not echoed.
    private func renderPath() -> String {
        var out = prefix
        for c in components {
            switch c {
            case .index(let i): out += "[\(i)]"
            case .key(let k): out += scanner.pathComponent(k)
            }
        }
        return out
    }

    static func looksLikeJSONContainer(_ text: some BidirectionalCollection<UInt8>) -> Bool {
        guard let first = text.first(where: { !$0.isJSONWhitespace }),
            let last = text.last(where: { !$0.isJSONWhitespace })
        else { return false }
        return (first == UInt8(ascii: "{") && last == UInt8(ascii: "}"))
            || (first == UInt8(ascii: "[") && last == UInt8(ascii: "]"))
    }
}
