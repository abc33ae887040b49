/// Reads one text for what a format reader hands it: secrets by the rule catalogue (`SecretScanner`), source code by
/// the `CodeDetector`, each recorded in the request's `Session` and acted on as the policy says. Returns the spans to
/// replace. Every format reader (`Walker`, `FormScrubber`, `HeadScrubber`, upload pieces) reads text through it.
struct TextScanner: Sendable {
    let policy: ScrubPolicy
    let secretScanner: SecretScanner
    let codeDetector: CodeDetector

    init(policy: ScrubPolicy, secrets: SecretScanner) {
        self.policy = policy
        self.secretScanner = secrets
        self.codeDetector = CodeDetector(includeDataFormats: policy.codeIncludesDataFormats)
    }

    /// How a text is read.
    struct Reading {
        /// The text is code as a whole, in this language (Gemini's `executableCode`, a source file).
        var wholeCode: String?
        /// Secrets only, never code (structural values, names and parameters).
        var secretsOnly = false
        /// What the text was assigned to (a JSON member's key, a form field's name), if anything.
        var assignedTo: String?
        /// A piece of an upload: placeholders are fitted to the length of what they replace.
        var fitted = false
        /// For a piece of an upload, the end of the file before it, read in front of it (`PieceJoint`).
        var after: [UInt8] = []
        /// For a text part, what it shares with its neighbours (`TextPartJoint`).
        var joint = TextPartJoint()

        static let secretsOnly = Reading(secretsOnly: true)

        static func code(_ language: String?) -> Reading { Reading(wholeCode: language) }
    }

    /// Scans one decoded string, read as `reading` says, records what it finds in `session` and returns what to
    /// replace in it (in order, overlaps merged; empty when nothing). `path` is rendered only when there is a finding
    /// to report.
    func spans(
        in text: [UInt8], _ reading: Reading = Reading(), path makePath: () -> String, session: Session
    ) throws(ScrubError) -> [Span] {
        let language = reading.wholeCode
        let secretsOnly = reading.secretsOnly
        let name = reading.assignedTo
        let fitted = reading.fitted
        let before = reading.after
        let joint = reading.joint
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
                    secretScanner.scan(
                        b, assignedTo: name, markers: &markers, placeholders: &placeholders,
                        commandLines: &commandLines)
                } else {
                    secretScanner.scan(b, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
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
                let detector = codeDetector
                regions = TextScanner.asItLeaves(
                    b, secrets: Span.merged(spans), earlier: placeholders,
                    markers: secretScanner.findsMarkers ? markers : nil, fitted: fitted
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

    /// The spans to fit into one piece of an upload: its own, and those of secrets it shares with `before`.
    func pieceSpans(
        _ piece: UnsafeBufferPointer<UInt8>, after before: [UInt8], path: String, wholeCode language: String? = nil,
        session: Session
    ) throws(ScrubError) -> [Span] {
        try spans(
            in: Array(piece), Reading(wholeCode: language, fitted: true, after: before), path: { path },
            session: session)
    }

    func secretMatches(_ text: [UInt8]) -> [SecretMatch] { secretScanner.scan(text) }

    /// `.key` for a path, or `.{key}` when the key is not a short plain name or holds a secret: paths reach
    /// error messages and scan reports.
    func pathComponent(_ key: String) -> String {
        let plain =
            !key.isEmpty && key.utf8.count <= 64
            && key.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        return plain && secretMatches(Array(key.utf8)).isEmpty ? "." + key : ".{key}"
    }

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
        let id = secretScanner.rules[match.rule].id
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
            matches = TextScanner.foundAsItLeaves(b, secrets: redacted, fitted: fitted, secretScanner).filter { m in
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
            for match in secretScanner.scan(v) {
                let range = window.original(match.range)
                if !window.joins.isEmpty {
                    // Across a join only: a token that ends one line whole does not take in the next line's
                    // first word, and a rule that reads its context does not read it across a join.
                    guard window.joinsLines(match.range), secretScanner.rules[match.rule].matcher.isSelfEvident,
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
}
