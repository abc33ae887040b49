/// The scrubber: reads a request body in its provider's shape, finds secrets and source code in every place
/// text lives, and returns the rewritten body (same JSON shape, valid JSON, recomputable length) or a block.
/// Pure and synchronous; the proxy runs it off the event loop for large bodies.
package struct Scrubber: Sendable {
    /// What every format reader reads text with.
    private(set) var scanner: TextScanner

    package var policy: ScrubPolicy {
        get { scanner.policy }
        set { scanner = TextScanner(policy: newValue, secrets: scanner.secretScanner) }
    }

    var secretsScanner: SecretScanner { scanner.secretScanner }

    package init(policy: ScrubPolicy, secrets: SecretScanner = .standard) {
        self.scanner = TextScanner(policy: policy, secrets: secrets)
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
        let head = try HeadScrubber.scan(target: path, headers: headers, kind: kind, scanner: scanner, session: session)
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
        let head = try HeadScrubber.scan(target: path, headers: headers, kind: kind, scanner: scanner, session: session)
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
            let spans = try scanner.spans(in: body, path: { "$" }, session: session)
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
            var walker = Walker(bytes: bytes, scanner: scanner, session: session, kind: actualKind, operation: op)
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
            try FormScrubber(scanner: scanner, session: session).scrub(
                bytes, boundary: boundary, pieces: pieces ? before : nil)
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
        var scan: TextScanner.BinaryScan?
        guard body.withUnsafeBufferPointer({ scanner.readsAsText($0, piece: true, after: before, scan: &scan) }) else {
            session.countBinary("file") { "$" }
            let spans = body.withUnsafeBufferPointer {
                scanner.binarySecrets($0, scan: scan, after: before, path: "$", session: session)
            }
            var result = session.result(
                output: spans.isEmpty ? body : Span.fitted(spans, to: body), changed: !spans.isEmpty,
                operation: operation)
            result.fileEnd = body.withUnsafeBufferPointer { PieceJoint.end(of: before, then: $0) }
            return result
        }
        let spans = try body.withUnsafeBufferPointer { b throws(ScrubError) in
            try scanner.pieceSpans(b, after: before, path: "$", session: session)
        }
        var result = session.result(
            output: spans.isEmpty ? body : Span.fitted(spans, to: body), changed: !spans.isEmpty, operation: operation)
        result.fileEnd = body.withUnsafeBufferPointer { PieceJoint.end(of: before, then: $0) }
        return result
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
}

extension Scrubber {
    /// What neighbouring text parts `joined` one after another share (`TextScanner.jointFindings`).
    func jointFindings(_ joined: [UInt8], starts: [Int]) -> [[JointFinding]] {
        scanner.jointFindings(joined, starts: starts)
    }

    /// The secrets a second pass would find in `text` (`TextScanner.foundAsItLeaves`).
    static func foundAsItLeaves(
        _ text: UnsafeBufferPointer<UInt8>, secrets: [Span], fitted: Bool, _ scanner: SecretScanner
    ) -> [SecretMatch] {
        TextScanner.foundAsItLeaves(text, secrets: secrets, fitted: fitted, scanner)
    }
}
