/// What happens when a category of finding turns up.
package enum ScrubAction: String, Sendable, CaseIterable, Codable {
    /// Replace each span with a typed, numbered placeholder and forward.
    case redact
    /// Refuse the request; nothing is forwarded.
    case block
    /// Forward unchanged; only count.
    case monitor
}

/// The scrubber's settings: one global policy, which allowlist entries may override per category.
package struct ScrubPolicy: Sendable, Equatable {
    package var secrets: ScrubAction = .redact
    package var code: ScrubAction = .redact
    /// Binary base64 parts (images, audio, PDFs), which cannot be scanned: `monitor` forwards and counts them,
    /// `block` refuses the request. There is nothing to redact them to.
    package var binary: ScrubAction = .monitor
    /// Whether JSON, YAML and CSV blocks count as code.
    package var codeIncludesDataFormats = false
    /// Force `store: false` on OpenAI Responses requests, so the provider keeps no copy.
    package var forceStoreFalse = true
    /// Remove top-level `user`, `safety_identifier` and `metadata` fields, which carry end-user identifiers.
    package var dropIdentifiers = false
    /// Deepest JSON nesting accepted; deeper bodies are refused.
    package var maxDepth = 64
    /// Longest time one request may take to scan; slower requests are refused, never forwarded unscanned.
    package var timeBudget: Duration = .seconds(2)
    /// Tell the client what was scrubbed from its request: an `X-Airlock-Scrubbed` response header with detector
    /// ids and counts (`github-pat:1,code-python:1`), never matched text.
    package var findingsHeader = true

    package init() {}

    /// This policy with an allowlist entry's overrides applied.
    package func overriding(secrets: ScrubAction?, code: ScrubAction?, binary: ScrubAction? = nil) -> ScrubPolicy {
        var copy = self
        if let secrets { copy.secrets = secrets }
        if let code { copy.code = code }
        if let binary { copy.binary = binary }
        return copy
    }
}

/// Which provider's request shape a body has.
package enum PayloadKind: String, Sendable, CaseIterable {
    case openai, anthropic, gemini
    /// Any JSON: every string except structural keys is scanned.
    case json
    /// JSON whose shape is guessed from its keys (offline scans, where no host says which provider it is for).
    case auto
    /// Plain text, not JSON.
    case text
}

/// How a request body is framed.
package enum BodyFormat: Sendable, Equatable {
    case json
    /// `multipart/form-data` (file uploads, audio transcription, image edits).
    case form(boundary: [UInt8])
    /// A piece of a file uploaded in pieces (Gemini's resumable uploads): raw bytes whose total length was declared
    /// when the upload started, so redaction must not change it.
    case uploadPiece
}

/// The API operation a request performs, from its path.
package enum ProviderOperation: String, Sendable {
    case chat, responses, embeddings, completions, messages, countTokens = "count_tokens"
    case generateContent, streamGenerateContent, embedContent, other

    package static func from(path: String, kind: PayloadKind) -> ProviderOperation {
        let bytes = path.utf8
        let p = bytes[..<(bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex)]
        func ends(_ suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard p.count >= count else { return false }
            return p.suffix(count).elementsEqual(UnsafeBufferPointer(start: suffix.utf8Start, count: count))
        }
        switch kind {
        case .openai:
            if ends("/chat/completions") { return .chat }
            if ends("/responses") { return .responses }
            if ends("/embeddings") { return .embeddings }
            if ends("/completions") { return .completions }
        case .anthropic:
            if ends("/messages/count_tokens") { return .countTokens }
            if ends("/messages") { return .messages }
        case .gemini:
            if ends(":streamGenerateContent") { return .streamGenerateContent }
            if ends(":generateContent") { return .generateContent }
            if ends(":countTokens") { return .countTokens }
            if ends(":embedContent") || ends(":batchEmbedContents") { return .embedContent }
        case .json, .auto, .text: break
        }
        return .other
    }
}
