extension TextScanner {
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
        let matches = secretScanner.scan(
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
}
