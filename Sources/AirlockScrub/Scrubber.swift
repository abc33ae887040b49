/// The scrubber: reads a request body in its provider's shape, finds secrets and source code in every place
/// text lives, and returns the rewritten body (same JSON shape, valid JSON, recomputable length) or a block.
/// Pure and synchronous; the proxy runs it off the event loop for large bodies.
package struct Scrubber: Sendable {
    package var policy: ScrubPolicy
    let secretsScanner: SecretScanner

    package init(policy: ScrubPolicy, secrets: SecretScanner = .standard) {
        self.policy = policy
        self.secretsScanner = secrets
    }

    /// Scrubs one request body. `path` is the request target (it picks the operation); `kind` the provider shape;
    /// `format` how the body is framed. For a piece of an upload, `before` is the end of the file so far as the
    /// client sent it (the previous piece's `ScrubResult.fileEnd`), so that a secret cut by the boundary is found.
    /// The request's target and `headers` (names as sent, in order) are read first (`HeadScrubber`), numbered with
    /// the body.
    package func scrub(
        _ body: [UInt8], kind: PayloadKind, path: String = "", format: BodyFormat = .json, before: [UInt8] = [],
        headers: [(name: String, value: String)] = []
    ) throws(ScrubError) -> ScrubResult {
        let session = Session(policy: policy, deadline: ContinuousClock.now.advanced(by: policy.timeBudget))
        let head = try scanHead(target: path, headers: headers, kind: kind, session: session)
        var result = try scrubBody(body, kind: kind, path: path, format: format, before: before, session: session)
        result.target = head.target
        result.headerValues = head.headerValues
        return result
    }

    /// Scrubs the target and headers of a request without a body: the result's output is empty.
    package func scrub(
        headers: [(name: String, value: String)], kind: PayloadKind, path: String
    ) throws(ScrubError) -> ScrubResult {
        let session = Session(policy: policy, deadline: ContinuousClock.now.advanced(by: policy.timeBudget))
        let head = try scanHead(target: path, headers: headers, kind: kind, session: session)
        var result = session.result(
            output: [], changed: false, operation: ProviderOperation.from(path: path, kind: kind))
        result.target = head.target
        result.headerValues = head.headerValues
        return result
    }

    private func scrubBody(
        _ body: [UInt8], kind: PayloadKind, path: String, format: BodyFormat, before: [UInt8], session: Session
    ) throws(ScrubError) -> ScrubResult {
        switch format {
        case .json: break
        case .form(let boundary):
            return try scrubForm(body, boundary: boundary, path: path, kind: kind, before: before, session: session)
        case .uploadPiece:
            return try scrubUploadPiece(body, path: path, kind: kind, before: before, session: session)
        }
        if kind == .text {
            guard body.withUnsafeBufferPointer({ UTF8Validation.isValid($0) }) else {
                throw ScrubError(code: .invalidUTF8, message: "the payload is not valid UTF-8")
            }
            let spans = try scrubText(body, path: { "$" }, session: session)
            return session.result(
                output: spans.isEmpty ? body : Span.apply(spans, to: body), changed: !spans.isEmpty, operation: .other)
        }
        var model: String?
        var stream: Bool?
        let (edits, operation) = try body.withUnsafeBufferPointer { bytes throws(ScrubError) in
            let root: JSONNode
            switch Result(catching: { () throws(JSONSyntaxError) in
                try JSONParser.parse(bytes, maxDepth: policy.maxDepth)
            }) {
            case .success(let node): root = node
            case .failure(let error):
                let what = error.code == .invalidJSON ? "not valid JSON" : "not acceptable"
                throw ScrubError(
                    code: ScrubError.Code(error.code),
                    message: "the body is \(what): \(error.detail) at byte \(error.offset)")
            }
            let actualKind = kind == .auto ? Scrubber.guessKind(root, bytes) : kind
            if case .string(let r, let e)? = root["model"] {
                model = String(decoding: JSONStrings.decode(bytes, r, escaped: e).prefix(256), as: UTF8.self)
            }
            if case .scalar(let r)? = root["stream"] { stream = bytes[r.lowerBound] == UInt8(ascii: "t") }
            let op = ProviderOperation.from(path: path, kind: actualKind)
            var walker = Walker(bytes: bytes, scrubber: self, session: session, kind: actualKind, operation: op)
            try walker.walkRoot(root)
            return (walker.edits, op)
        }
        var result =
            edits.isEmpty
            ? session.result(output: body, changed: false, operation: operation)
            : session.result(output: Edit.apply(edits, to: body), changed: true, operation: operation)
        result.requestModel = model
        result.stream = stream
        return result
    }

    private func scrubForm(
        _ body: [UInt8], boundary: [UInt8], path: String, kind: PayloadKind, before: [UInt8], session: Session
    ) throws(ScrubError) -> ScrubResult {
        // `/v1/uploads/{id}/parts`: a part of a file whose length was declared when its upload was created.
        let segments = path.prefix { $0 != "?" }.split(separator: "/")
        let pieces = segments.count >= 3 && segments[segments.count - 3] == "uploads" && segments.last == "parts"
        let form = try body.withUnsafeBufferPointer { bytes throws(ScrubError) in
            try scrubForm(bytes, boundary: boundary, pieces: pieces ? before : nil, session: session)
        }
        let operation = ProviderOperation.from(path: path, kind: kind)
        var result = session.result(output: body, changed: false, operation: operation)
        if !form.edits.isEmpty {
            let output = Edit.apply(form.edits, to: body)
            // Placeholders hold no boundary, so the parts stay as they were; checked, since a body whose parts
            // changed must not leave.
            let parts = try output.withUnsafeBufferPointer { bytes throws(ScrubError) in
                try Multipart.parts(bytes, boundary: boundary).count
            }
            guard parts == form.parts else { throw Multipart.failure("its parts would change when redacted") }
            result = session.result(output: output, changed: true, operation: operation)
        }
        result.requestModel = form.model
        result.stream = form.stream
        result.fileEnd = form.fileEnd
        return result
    }

    /// A piece of a file uploaded in pieces. Text (by its bytes; a piece may begin or end inside a UTF-8
    /// sequence) is scanned, with the end of the file before it for secrets that straddle the two, and redacted in
    /// place, each placeholder fitted to the length of what it replaces; anything else is a binary part.
    private func scrubUploadPiece(
        _ body: [UInt8], path: String, kind: PayloadKind, before: [UInt8], session: Session
    ) throws(ScrubError) -> ScrubResult {
        let operation = ProviderOperation.from(path: path, kind: kind)
        var scan: BinaryScan?
        guard body.withUnsafeBufferPointer({ readsAsText($0, piece: true, after: before, scan: &scan) }) else {
            session.countBinary("file") { "$" }
            let spans = body.withUnsafeBufferPointer {
                binarySecrets($0, scan: scan, after: before, path: "$", session: session)
            }
            var result = session.result(
                output: spans.isEmpty ? body : Span.fitted(spans, to: body), changed: !spans.isEmpty,
                operation: operation)
            result.fileEnd = body.withUnsafeBufferPointer { PieceJoint.end(of: before, then: $0) }
            return result
        }
        let spans = try body.withUnsafeBufferPointer { b throws(ScrubError) in
            try scrubPiece(b, before: before, path: "$", session: session)
        }
        var result = session.result(
            output: spans.isEmpty ? body : Span.fitted(spans, to: body), changed: !spans.isEmpty, operation: operation)
        result.fileEnd = body.withUnsafeBufferPointer { PieceJoint.end(of: before, then: $0) }
        return result
    }

    /// The spans to fit into one piece of an upload: its own, and those of secrets it shares with `before`.
    func scrubPiece(
        _ piece: UnsafeBufferPointer<UInt8>, before: [UInt8], path: String, wholeCode language: String? = nil,
        session: Session
    ) throws(ScrubError) -> [Span] {
        try scrubText(
            Array(piece), path: { path }, session: session, wholeCode: language, fitted: true, after: before)
    }

    /// Guesses the provider shape of a JSON body (for `.auto`, as `airlock scan --provider auto` uses).
    package static func guessKind(_ root: JSONNode, _ bytes: UnsafeBufferPointer<UInt8>) -> PayloadKind {
        guard case .object(let members, _) = root else { return .json }
        let keys = Set(members.map(\.key))
        if keys.contains("contents") || keys.contains("systemInstruction") || keys.contains("system_instruction") {
            return .gemini
        }
        if keys.contains("input") || keys.contains("instructions") || keys.contains("prompt") { return .openai }
        if keys.contains("messages") {
            if keys.contains("system") || keys.contains("anthropic_version") { return .anthropic }
            if case .array(let messages, _)? = root["messages"] {
                for message in messages {
                    if case .array(let blocks, _)? = message["content"] {
                        for block in blocks {
                            if case .string(let r, let e)? = block["type"] {
                                let type = String(decoding: JSONStrings.decode(bytes, r, escaped: e), as: UTF8.self)
                                if ["tool_use", "tool_result", "document", "thinking"].contains(type) {
                                    return .anthropic
                                }
                                if type == "image", block["source"] != nil { return .anthropic }
                            }
                        }
                    }
                }
            }
            return .openai
        }
        return .json
    }

    /// Scans one decoded string and returns what to replace in it (in order, overlaps merged; empty when nothing).
    /// `path` is rendered only when there is a finding to report. `name` is what the text was assigned to (a JSON
    /// member's key, a form field's name), if anything. A piece of an upload is `fitted`, and read `after` the end
    /// of the file before it; a text part keeps the secrets found with its neighbours, its `joint` (`PieceJoint`).
    func scrubText(
        _ text: [UInt8], path makePath: () -> String, session: Session, wholeCode language: String? = nil,
        secretsOnly: Bool = false, assignedTo name: String? = nil, fitted: Bool = false, after before: [UInt8] = [],
        joint: TextPartJoint = TextPartJoint()
    ) throws(ScrubError) -> [Span] {
        var spans: [Span] = []
        var rendered: String?
        func path() -> String {
            if rendered == nil { rendered = makePath() }
            return rendered!
        }
        text.withUnsafeBufferPointer { b in
            var markers: [KeywordAutomaton.Hit] = []
            var placeholders: [Range<Int>] = []
            var commandLines = false
            let matches =
                if let name {
                    secretsScanner.scan(
                        b, assignedTo: name, markers: &markers, placeholders: &placeholders,
                        commandLines: &commandLines)
                } else {
                    secretsScanner.scan(b, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
                }
            var own: [Range<Int>] = []
            recordSecrets(
                matches, in: b, commandLines: commandLines, fitted: fitted, path: path, session: session,
                spans: &spans, own: &own)
            recordReadings(b, path: path, session: session, spans: &spans, own: &own)
            // Secrets that began before this piece of an upload, found before code is looked for, as a second pass
            // would see the piece.
            recordJointSecrets(
                b, after: before, commandLines: commandLines, fitted: fitted, path: path, session: session,
                spans: &spans, own: &own)
            // Secrets this text part shares with its neighbours, or that they give away.
            if !joint.secrets.isEmpty {
                let shared = sharedSpans(joint.secrets, redacted: spans, own: own, path: path, session: session)
                if !shared.isEmpty {
                    spans += shared
                    recordSecrets(
                        [], in: b, commandLines: commandLines, fitted: fitted, path: path, session: session,
                        spans: &spans, own: &own)
                }
            }
            var regions: [CodeRegion]
            if secretsOnly {
                regions = []
            } else if let language {
                // A final line break ends the last line; it does not start another.
                let lines = b.reduce(b.last == 0x0A ? 0 : 1) { $0 + ($1 == 0x0A ? 1 : 0) }
                let whole = Bytes.equal(b, 0, Placeholder.marker) || b.isEmpty
                regions = whole ? [] : [CodeRegion(range: 0..<b.count, language: language, lines: lines, kind: .whole)]
            } else {
                // Code is looked for in the text as it will leave, its secrets replaced, and read as a second pass
                // would read it: what the lines around a secret look like then decides, not the secret itself.
                let detector = CodeDetector(includeDataFormats: policy.codeIncludesDataFormats)
                regions = Scrubber.asItLeaves(
                    b, secrets: Span.merged(spans), earlier: placeholders,
                    markers: secretsScanner.findsMarkers ? markers : nil, fitted: fitted
                ) { text, markers, _ in
                    var found = detector.detect(text, markers: markers)
                    // Code written as a string with escaped line breaks, inside prose.
                    guard !fitted, let view = ReadingView.unescaped(text) else { return found }
                    let escaped = view.bytes.withUnsafeBufferPointer { detector.detect($0) }
                    for var region in escaped {
                        region.range = view.original(region.range)
                        if !found.contains(where: { $0.range.overlaps(region.range) }) { found.append(region) }
                    }
                    return found.sorted { $0.range.lowerBound < $1.range.lowerBound }
                }
            }
            if !secretsOnly, language == nil {
                spans += jointCodeSpans(joint.code, regions: &regions, path: path, session: session)
            }
            for region in regions {
                let number = session.number(for: .code, b[region.range])
                session.findings.append(
                    ScrubFinding(
                        category: .code, detector: "code-\(region.language)", path: path(),
                        start: region.range.lowerBound, end: region.range.upperBound, action: policy.code,
                        lines: region.lines))
                if policy.code == .redact {
                    spans.append(
                        Span(
                            range: region.range,
                            placeholder: "[REDACTED:code:\(region.language):\(region.lines)-lines:\(number)]"))
                }
            }
        }
        try session.checkDeadline()
        return Span.merged(spans)
    }
}

extension Scrubber {
    /// The spans of the code blocks this text part shares with its neighbours (`jointCode`), each reported once. A
    /// block of the part's own `regions` that overlaps one of them is part of it, and is taken out of `regions`.
    func jointCodeSpans(
        _ joint: [JointCode], regions: inout [CodeRegion], path: () -> String, session: Session
    ) -> [Span] {
        var spans: [Span] = []
        for code in joint {
            var range = code.range
            regions.removeAll { region in
                guard region.range.overlaps(code.range) else { return false }
                range = min(range.lowerBound, region.range.lowerBound)..<max(range.upperBound, region.range.upperBound)
                return true
            }
            if !code.reportedBefore {
                session.findings.append(
                    ScrubFinding(
                        category: .code, detector: "code-\(code.language)", path: path(), start: range.lowerBound,
                        end: range.upperBound, action: policy.code, lines: code.lines))
            }
            if policy.code == .redact {
                let number = code.text.withUnsafeBufferPointer { session.number(for: .code, $0[...]) }
                spans.append(
                    Span(range: range, placeholder: "[REDACTED:code:\(code.language):\(code.lines)-lines:\(number)]"))
            }
        }
        return spans
    }

    /// Records a secret that `match` found (`text` is what it matched; `at` where, if not `match.range`, as the
    /// finding reports it) and returns the span that replaces it when the policy redacts secrets. `report: false`
    /// only widens what is replaced, for a secret already reported.
    func found(
        _ match: SecretMatch, _ text: Slice<UnsafeBufferPointer<UInt8>>, at range: Range<Int>? = nil, path: String,
        report: Bool = true, session: Session
    ) -> Span? {
        let id = secretsScanner.rules[match.rule].id
        let number = session.number(for: .secret, text)
        let range = range ?? match.range
        if report {
            session.findings.append(
                ScrubFinding(
                    category: .secret, detector: id, path: path, start: range.lowerBound, end: range.upperBound,
                    action: policy.secrets))
        }
        return policy.secrets == .redact ? Span(range: range, placeholder: "[REDACTED:secret:\(id):\(number)]") : nil
    }

    /// Records `matches` (and their ranges in `own`). Then, while the text holds a command line and secrets are
    /// redacted, reads it again as it will leave with `spans` in place and records what that finds: a placeholder
    /// can change how a command line splits into words (it may have replaced a quote, a `;` or an `&`). Returns
    /// whether anything was recorded.
    @discardableResult
    func recordSecrets(
        _ matches: [SecretMatch], in b: UnsafeBufferPointer<UInt8>, commandLines: Bool, fitted: Bool,
        path: () -> String, session: Session, spans: inout [Span], own: inout [Range<Int>]
    ) -> Bool {
        var matches = matches
        var recorded = false
        for round in 0..<4 {
            for match in matches {
                own.append(match.range)
                recorded = true
                if let span = found(match, b[match.range], path: path(), session: session) { spans.append(span) }
            }
            guard commandLines, policy.secrets == .redact, round < 3 else { break }
            let redacted = Span.merged(spans)
            // What a placeholder already covers (a short one written as asterisks may read as a password) is not
            // found again.
            matches = Scrubber.foundAsItLeaves(b, secrets: redacted, fitted: fitted, secretsScanner).filter { m in
                !redacted.contains {
                    $0.range.lowerBound <= m.range.lowerBound && m.range.upperBound <= $0.range.upperBound
                }
            }
            if matches.isEmpty { break }
        }
        return recorded
    }

    /// Records the secrets that only the text as a reader takes it shows (`ReadingView`: percent-encoded bytes
    /// decoded, invisible characters dropped, wrapped lines joined), each over the bytes of the text it was read
    /// from. A secret read across joined lines counts only when its rule's shape names it (a prefixed token, a
    /// JWT): a password rule would otherwise take in the next line's first word.
    func recordReadings(
        _ b: UnsafeBufferPointer<UInt8>, path: () -> String, session: Session, spans: inout [Span],
        own: inout [Range<Int>]
    ) {
        let (decoded, joined) = ReadingView.windows(b)
        for window in decoded + joined {
            recordReading(window, path: path, session: session, spans: &spans, own: &own)
        }
    }

    private func recordReading(
        _ window: ReadingView.Window, path: () -> String, session: Session, spans: inout [Span],
        own: inout [Range<Int>]
    ) {
        window.bytes.withUnsafeBufferPointer { v in
            for match in secretsScanner.scan(v) {
                let range = window.original(match.range)
                if !window.joins.isEmpty {
                    // Across a join only: a token that ends one line whole does not take in the next line's
                    // first word, and a rule that reads its context does not read it across a join.
                    guard window.joinsLines(match.range), secretsScanner.rules[match.rule].matcher.isSelfEvident,
                        !own.contains(where: { $0.overlaps(range) })
                    else { continue }
                }
                if own.contains(where: { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound }) {
                    continue
                }
                own.append(range)
                if let span = found(match, v[match.range], at: range, path: path(), session: session) {
                    spans.append(span)
                }
            }
        }
    }

    /// Records the secrets that began in `before` (the end of the file before this piece of an upload) and end in
    /// `b`; their placeholders can change a command line in the piece in turn, which is read again.
    func recordJointSecrets(
        _ b: UnsafeBufferPointer<UInt8>, after before: [UInt8], commandLines: Bool, fitted: Bool,
        path: () -> String, session: Session, spans: inout [Span], own: inout [Range<Int>]
    ) {
        guard !before.isEmpty else { return }
        for _ in 0..<3 {
            let joint = jointSpans(
                b, before: before, redacted: Span.merged(spans), own: own, path: path, session: session)
            guard !joint.isEmpty else { break }
            spans += joint
            guard
                recordSecrets(
                    [], in: b, commandLines: commandLines, fitted: fitted, path: path, session: session,
                    spans: &spans, own: &own)
            else { break }
        }
    }

    /// The secrets in a part's bytes, found by the secret rules alone: what decides whether a part whose type says
    /// nothing is text, and what is redacted in it if it is not, from one pass.
    struct BinaryScan {
        var matches: [SecretMatch]
        var commandLines: Bool
    }

    func binaryScan(_ bytes: UnsafeBufferPointer<UInt8>) -> BinaryScan {
        var markers: [KeywordAutomaton.Hit] = []
        var placeholders: [Range<Int>] = []
        var commandLines = false
        let matches = secretsScanner.scan(
            bytes, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
        return BinaryScan(matches: matches, commandLines: commandLines)
    }

    /// Whether a part whose type says nothing is read as text: by its bytes, or by its bytes with what its
    /// redaction would replace taken out, since a stray byte inside a secret must not decide it (the redacted part
    /// would read as text, and a second pass would read it differently). That is its secrets, those a command line
    /// read again as it will leave gives away, and, for a piece of an upload read `after` the end of the file before
    /// it, those that began there. When it is not text, `scan` holds its secrets for `binarySecrets`.
    func readsAsText(
        _ bytes: UnsafeBufferPointer<UInt8>, piece: Bool = false, after before: [UInt8] = [], scan: inout BinaryScan?
    ) -> Bool {
        if EncodedPart.looksLikeText(bytes, piece: piece) { return true }
        let found = binaryScan(bytes)
        scan = found
        var secrets = found.matches.map(\.range)
        if !before.isEmpty || found.commandLines {
            // What the part's scrub would redact besides: the secrets that began in the piece before, and those a
            // command line read again as it will leave gives away. Found, not reported: the part's scrub reports them.
            let probe = Session(policy: policy, deadline: .now + .seconds(60))
            secrets += binarySecrets(bytes, scan: found, after: before, path: "$", session: probe).map(\.range)
        }
        guard !secrets.isEmpty else { return false }
        var blanked = Array(bytes)
        for range in secrets {
            blanked.replaceSubrange(range, with: repeatElement(0x20, count: range.count))
        }
        return EncodedPart.looksLikeText(blanked, piece: piece)
    }

    /// The secrets in the bytes of a part that is not read as text (an image's metadata, a PDF's uncompressed
    /// text, a text file in another character set or with a stray control byte): a secret is ASCII wherever it
    /// sits, so the rules find it (`scan`, when `readsAsText` already looked). Each is replaced by a placeholder
    /// fitted to its length, so that the part keeps its size and every offset inside it. Nothing is looked for when
    /// binary parts are blocked anyway. A piece of an upload is read `after` the end of the file before it, since a
    /// secret may begin there and end in a piece that does not read as text.
    func binarySecrets(
        _ bytes: UnsafeBufferPointer<UInt8>, scan: BinaryScan? = nil, after before: [UInt8] = [], path: String,
        session: Session
    ) -> [Span] {
        guard policy.binary != .block else { return [] }
        if let text = UTF16Text(bytes) {
            // UTF-16 text, read as the text it is; its secrets are replaced in UTF-16. A secret cut by the start
            // of a piece of an upload is not joined with the piece before.
            var spans: [Span] = []
            var own: [Range<Int>] = []
            text.utf8.withUnsafeBufferPointer { utf8 in
                let found = binaryScan(utf8)
                recordSecrets(
                    found.matches, in: utf8, commandLines: found.commandLines, fitted: true, path: { path },
                    session: session, spans: &spans, own: &own)
                recordReadings(utf8, path: { path }, session: session, spans: &spans, own: &own)
            }
            return Span.merged(spans).map { text.span($0) }
        }
        let found = scan ?? binaryScan(bytes)
        var spans: [Span] = []
        var own: [Range<Int>] = []
        recordSecrets(
            found.matches, in: bytes, commandLines: found.commandLines, fitted: true, path: { path },
            session: session, spans: &spans, own: &own)
        recordJointSecrets(
            bytes, after: before, commandLines: found.commandLines, fitted: true, path: { path }, session: session,
            spans: &spans, own: &own)
        return Span.merged(spans)
    }

    private static let secretPlaceholder = Array("[REDACTED:secret:".utf8)

    private static let cutPlaceholder = Array("[REDACTED]".utf8)

    /// Whether the code detector reads the placeholder at `range` as a plain word: a secret's, or one cut to fit
    /// (`[REDACTED]`, in upload pieces) inside a line. A cut one that starts a line may stand for a removed block,
    /// which parts the lines around it (`CodeDetector`), so it is left as it is.
    static func readsAsWord(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if Bytes.equal(text, range.lowerBound, secretPlaceholder) { return true }
        guard range.count == cutPlaceholder.count, Bytes.equal(text, range.lowerBound, cutPlaceholder) else {
            return false
        }
        return !startsLine(text, range.lowerBound)
    }

    /// Whether only blanks come before `offset` on its line.
    static func startsLine(_ text: UnsafeBufferPointer<UInt8>, _ offset: Int) -> Bool {
        var i = offset
        while i > 0, text[i - 1] == 0x20 || text[i - 1] == 0x09 { i -= 1 }
        return i == 0 || text[i - 1] == 0x0A
    }

    /// The secrets a second pass would find in `text` with `secrets` (merged, in order) replaced as `Span.apply` (or,
    /// `fitted`, `Span.fitted`) writes them, mapped back to `text`; one that takes in part of a placeholder takes in
    /// the whole secret it replaced.
    static func foundAsItLeaves(
        _ text: UnsafeBufferPointer<UInt8>, secrets: [Span], fitted: Bool, _ scanner: SecretScanner
    ) -> [SecretMatch] {
        let out = fitted ? Span.fitted(secrets, to: Array(text)) : Span.apply(secrets, to: Array(text))
        let found = out.withUnsafeBufferPointer { scanner.scan($0) }
        guard !fitted else { return found }
        // Where each placeholder sits in `out`, and how far the text after it moved.
        var moved: [(from: Range<Int>, to: Range<Int>)] = []
        var shift = 0
        for span in secrets {
            let start = span.range.lowerBound + shift
            let length = span.placeholder.utf8.count
            moved.append((span.range, start..<start + length))
            shift += length - span.range.count
        }
        func original(_ offset: Int, upper: Bool) -> Int {
            var shift = 0
            for (from, to) in moved {
                if offset <= to.lowerBound { break }
                if offset < to.upperBound { return upper ? from.upperBound : from.lowerBound }
                shift = from.upperBound - to.upperBound
            }
            return offset + shift
        }
        return found.map {
            let lower = original($0.range.lowerBound, upper: false)
            return SecretMatch(rule: $0.rule, range: lower..<original($0.range.upperBound, upper: true))
        }
    }

    /// Runs `detect` on `text` as a second pass would read the output: each of `secrets` (merged, in order) replaced
    /// by its placeholder as `Span.apply` (or, `fitted`, `Span.fitted`) writes it, and every placeholder, new or
    /// from an earlier pass, that `readsAsWord` written as one plain word of the same length, as the detector saw
    /// the secret it replaced (a placeholder's brackets and colons would make a line look more like code). The
    /// regions found are mapped back to `text`; one that starts or ends at a placeholder takes in the whole secret.
    /// Text with nothing to replace is not copied. `offsets` in `text` are passed on to `detect` where they land in
    /// the text it reads (one inside a secret, where its placeholder starts).
    static func asItLeaves(
        _ text: UnsafeBufferPointer<UInt8>, secrets: [Span], earlier: [Range<Int>],
        markers: [KeywordAutomaton.Hit]?, fitted: Bool, offsets: [Int] = [],
        _ detect: (UnsafeBufferPointer<UInt8>, [KeywordAutomaton.Hit]?, [Int]) -> [CodeRegion]
    ) -> [CodeRegion] {
        if secrets.isEmpty, !earlier.contains(where: { readsAsWord(text, $0) }) {
            return detect(text, markers, offsets)
        }
        let x = UInt8(ascii: "x")
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        /// Writes `replacement` at the end of `out`, or a plain word in its place where `readsAsWord` says so.
        func write(_ replacement: some Collection<UInt8>, maskable: Int) {
            let start = out.count
            out += replacement
            let masked = out.withUnsafeBufferPointer { readsAsWord($0, start..<start + maskable) }
            if masked { out.replaceSubrange(start..<start + maskable, with: repeatElement(x, count: maskable)) }
        }
        // Placeholders already in `text`, and for each secret, where its replacement sits in `out`.
        let earlier = earlier.sorted { $0.lowerBound < $1.lowerBound }
        var nextEarlier = 0
        var moved: [(from: Range<Int>, to: Range<Int>)] = []
        var cursor = 0
        func copy(upTo end: Int) {
            while nextEarlier < earlier.count, earlier[nextEarlier].upperBound <= end {
                let range = earlier[nextEarlier]
                nextEarlier += 1
                guard range.lowerBound >= cursor else { continue }
                out += text[cursor..<range.lowerBound]
                write(text[range], maskable: range.count)
                cursor = range.upperBound
            }
            out += text[cursor..<end]
            cursor = end
        }
        for span in secrets {
            copy(upTo: span.range.lowerBound)
            let start = out.count
            let placeholder = span.placeholder.utf8
            if fitted {
                let replacement = Span.fitted(
                    [Span(range: 0..<span.range.count, placeholder: span.placeholder)], to: Array(text[span.range]))
                write(
                    replacement,
                    maskable: min(
                        placeholder.count <= span.range.count ? placeholder.count : cutPlaceholder.count,
                        replacement.count))
            } else {
                write(placeholder, maskable: placeholder.count)
            }
            moved.append((span.range, start..<out.count))
            cursor = span.range.upperBound
        }
        copy(upTo: text.count)

        /// `offset` in `out`, back in `text`, for offsets that never decrease from one call to the next (regions
        /// come in order and do not overlap). Regions are whole lines, so they start and end outside a replacement
        /// or at its edges, except inside the padding of a fitted one, which has the secret's length.
        var passed = 0
        var shiftBack = 0
        func original(_ offset: Int) -> Int {
            while passed < moved.count, moved[passed].to.upperBound <= offset {
                shiftBack = moved[passed].from.upperBound - moved[passed].to.upperBound
                passed += 1
            }
            if passed < moved.count, offset > moved[passed].to.lowerBound {
                let (from, to) = moved[passed]
                return from.lowerBound + min(offset - to.lowerBound, from.count)
            }
            return offset + shiftBack
        }
        // The language markers found in `text`, moved with the text around them; those that end inside a secret
        // are gone with it. (The detector checks each marker's bytes where it lands.)
        let shifted = markers.map { markers in
            var kept: [KeywordAutomaton.Hit] = []
            kept.reserveCapacity(markers.count)
            var next = 0
            var shift = 0
            for hit in markers {
                let end = Int(hit.end)
                while next < moved.count, moved[next].from.upperBound < end {
                    shift = moved[next].to.upperBound - moved[next].from.upperBound
                    next += 1
                }
                if next < moved.count, end > moved[next].from.lowerBound { continue }
                kept.append(KeywordAutomaton.Hit(keyword: hit.keyword, end: Int32(end + shift)))
            }
            return kept
        }
        let landed = offsets.map { offset in
            var shift = 0
            for (from, to) in moved {
                if offset < from.upperBound { return offset > from.lowerBound ? to.lowerBound : offset + shift }
                shift = to.upperBound - from.upperBound
            }
            return offset + shift
        }
        let regions = out.withUnsafeBufferPointer { detect($0, shifted, landed) }.sorted {
            $0.range.lowerBound < $1.range.lowerBound
        }
        return regions.map { region in
            var region = region
            let lower = original(region.range.lowerBound)
            region.range = lower..<max(lower, original(region.range.upperBound))
            return region
        }
    }
}
