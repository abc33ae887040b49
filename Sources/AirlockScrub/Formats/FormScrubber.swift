/// The scrubber's reading of `multipart/form-data` bodies: each part is read for what it is.
///
/// - Form fields (`prompt`, `purpose`) are text; structural ones (`model`) are scanned for secrets only.
/// - A file is read by its declared type, then by its bytes when the type says nothing
///   (`application/octet-stream`), as base64 parts are. Images, audio, video, PDFs and archives are binary and
///   counted (or blocked by `scrub.binary`).
/// - Text that is one JSON document, or JSON Lines (an OpenAI batch input or fine-tuning file), is walked as JSON,
///   so escapes and embedded code are read as the provider reads them. A source file (by its type or its name) is
///   code as a whole. Any other text is scanned as text.
/// - Every Content-Disposition parameter (the field's and the file's name) leaves with the part and is scanned
///   for secrets.
///
/// Redactions are spliced into the part; the boundary and every other byte stay as the client sent them. A form
/// that carries a piece of a longer file (OpenAI's Uploads API, `/uploads/{id}/parts`, whose total length was
/// declared when the upload was created) has its file parts read as pieces: by their bytes, which may begin and end
/// inside a UTF-8 sequence, as text, with placeholders fitted to the length of what they replace.
struct FormScrubber {
    let scanner: TextScanner
    let session: Session

    struct Outcome {
        var parts = 0
        var edits: [Edit] = []
        var model: String?
        var stream: Bool?
        /// In a form that carries a piece: the end of the file so far (`ScrubResult.fileEnd`).
        var fileEnd: [UInt8]?
    }

    /// `pieces`: the form carries a piece of an upload, and this is the end of the file before it.
    func scrub(
        _ body: UnsafeBufferPointer<UInt8>, boundary: [UInt8], pieces before: [UInt8]?
    ) throws(ScrubError) -> Outcome {
        let parts = try Multipart.parts(body, boundary: boundary)
        var outcome = Outcome(parts: parts.count)
        for (index, part) in parts.enumerated() {
            let name = part.name.map { String(decoding: body[$0], as: UTF8.self) }
            let path = "$" + (name.map(scanner.pathComponent) ?? "[\(index)]")
            for range in part.parameters where range.count >= 8 {
                try scrubParameter(body, range, path: path, into: &outcome.edits)
            }
            let content = UnsafeBufferPointer(rebasing: body[part.content])
            let offset = part.content.lowerBound
            if part.filename == nil, let name {
                if name == "model" { outcome.model = String(decoding: content.prefix(256), as: UTF8.self) }
                if name == "stream" { outcome.stream = content.elementsEqual("true".utf8) }
            }
            let declared = part.contentType.map { [$0] } ?? []
            let piece = before != nil && part.filename != nil
            // A piece is read after the end of the file before it.
            let fileBefore = piece ? before ?? [] : []
            if piece { outcome.fileEnd = PieceJoint.end(of: fileBefore, then: content) }
            var language: String?
            /// A part not read as text is counted, and its bytes searched for secrets all the same.
            func binary(_ scan: TextScanner.BinaryScan? = nil) {
                session.countBinary(EncodedPart.binaryKind(declaredAs: declared)) { path }
                let spans = scanner.binarySecrets(content, scan: scan, after: fileBefore, path: path, session: session)
                if !spans.isEmpty {
                    outcome.edits.append(Edit(range: part.content, replacement: Span.fitted(spans, to: Array(content))))
                }
            }
            switch EncodedPart.content(declaredAs: declared) {
            case .binary where scanner.policy.binary == .block:
                binary()
                continue
            case .text(let named):
                guard EncodedPart.isUTF8(content, piece: piece) else {
                    throw ScrubError(code: .invalidUTF8, message: "the text part at \(path) is not valid UTF-8")
                }
                language = named
            case .unknown, .binary:
                // A type says what the client claims: a text file sent as `image/png` is read as text.
                var scan: TextScanner.BinaryScan?
                guard scanner.readsAsText(content, piece: piece, after: fileBefore, scan: &scan) else {
                    binary(scan)
                    continue
                }
            }
            if language == nil, let filename = part.filename {
                language = EncodedPart.language(ofFilename: String(decoding: body[filename], as: UTF8.self))
            }
            let structural = part.filename == nil && name.map(Walker.isStructural) == true
            if language == nil, !structural, !piece,
                let edits = try scrubJSONText(content, path: path)
            {
                outcome.edits += edits.map { Edit(range: $0.range.shifted(by: offset), replacement: $0.replacement) }
                continue
            }
            let text = Array(content)
            let spans: [Span]
            if piece, let before {
                spans = try scanner.pieceSpans(
                    content, after: before, path: path, wholeCode: language, session: session)
            } else {
                let reading = TextScanner.Reading(
                    wholeCode: language, secretsOnly: structural, assignedTo: part.filename == nil ? name : nil)
                spans = try scanner.spans(in: text, reading, path: { path }, session: session)
            }
            if !spans.isEmpty {
                let replacement = piece ? Span.fitted(spans, to: text) : Span.apply(spans, to: text)
                outcome.edits.append(Edit(range: part.content, replacement: replacement))
            }
        }
        return outcome
    }

    /// A Content-Disposition parameter's value, scanned for secrets. An unquoted value that is redacted is quoted,
    /// since a placeholder is not a token.
    private func scrubParameter(
        _ body: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, path: String, into edits: inout [Edit]
    ) throws(ScrubError) {
        let text = Array(body[range])
        let spans = try scanner.spans(in: text, .secretsOnly, path: { path + ".{parameter}" }, session: session)
        guard !spans.isEmpty else { return }
        let quoted = range.lowerBound > 0 && body[range.lowerBound - 1] == UInt8(ascii: "\"")
        let redacted = Span.apply(spans, to: text)
        edits.append(Edit(range: range, replacement: quoted ? redacted : [0x22] + redacted + [0x22]))
    }

    /// Text that is one JSON document, or JSON Lines (each non-blank line one), walked as JSON; nil for any other
    /// text. Edits are relative to `text`. JSON nested deeper than the policy allows is refused, not read as text.
    func scrubJSONText(_ text: UnsafeBufferPointer<UInt8>, path: String) throws(ScrubError) -> [Edit]? {
        guard let first = text.first(where: { !$0.isJSONWhitespace }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return nil }
        func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ScrubError) -> JSONNode? {
            do throws(JSONSyntaxError) {
                return try JSONParser.parse(bytes, maxDepth: scanner.policy.maxDepth)
            } catch {
                guard error.code == .tooDeep else { return nil }
                throw ScrubError(code: ScrubError.Code(error.code), message: "the JSON at \(path) is nested too deeply")
            }
        }
        func walk(_ bytes: UnsafeBufferPointer<UInt8>, _ root: JSONNode, prefix: String) throws(ScrubError) -> [Edit] {
            var walker = Walker(
                bytes: bytes, scanner: scanner, session: session, kind: .json, operation: .other, prefix: prefix)
            try walker.walkRoot(root)
            return walker.edits
        }
        if let root = try parse(text) { return try walk(text, root, prefix: path) }
        // JSON Lines: every line is parsed before any is walked, so text that only starts like JSON Lines is
        // scanned once, as text. Paths number the file's lines from 0.
        var lines: [(number: Int, range: Range<Int>, root: JSONNode)] = []
        var start = 0
        var number = 0
        while start < text.count {
            defer { number += 1 }
            let end = text[start...].firstIndex(of: 0x0A) ?? text.count
            let line = start..<(end > start && text[end - 1] == 0x0D ? end - 1 : end)
            if text[line].contains(where: { !$0.isJSONWhitespace }) {
                guard let root = try parse(UnsafeBufferPointer(rebasing: text[line])) else { return nil }
                lines.append((number, line, root))
            }
            start = end + 1
        }
        var edits: [Edit] = []
        for (number, line, root) in lines {
            let bytes = UnsafeBufferPointer(rebasing: text[line])
            for edit in try walk(bytes, root, prefix: "\(path)[\(number)]") {
                edits.append(Edit(range: edit.range.shifted(by: line.lowerBound), replacement: edit.replacement))
            }
        }
        return edits
    }

}

extension Range where Bound == Int {
    fileprivate func shifted(by offset: Int) -> Range<Int> { lowerBound + offset..<upperBound + offset }
}
