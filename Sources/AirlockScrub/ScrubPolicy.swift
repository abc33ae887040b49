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

    package init() {}

    /// This policy with an allowlist entry's overrides applied.
    package func overriding(secrets: ScrubAction?, code: ScrubAction?) -> ScrubPolicy {
        var copy = self
        if let secrets { copy.secrets = secrets }
        if let code { copy.code = code }
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

/// The API operation a request performs, from its path.
package enum ProviderOperation: String, Sendable {
    case chat, responses, embeddings, completions, messages, countTokens = "count_tokens"
    case generateContent, streamGenerateContent, embedContent, other

    package static func from(path: String, kind: PayloadKind) -> ProviderOperation {
        let p = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        switch kind {
        case .openai:
            if p.hasSuffix("/chat/completions") { return .chat }
            if p.hasSuffix("/responses") { return .responses }
            if p.hasSuffix("/embeddings") { return .embeddings }
            if p.hasSuffix("/completions") { return .completions }
        case .anthropic:
            if p.hasSuffix("/messages/count_tokens") { return .countTokens }
            if p.hasSuffix("/messages") { return .messages }
        case .gemini:
            if p.hasSuffix(":streamGenerateContent") { return .streamGenerateContent }
            if p.hasSuffix(":generateContent") { return .generateContent }
            if p.hasSuffix(":countTokens") { return .countTokens }
            if p.hasSuffix(":embedContent") || p.hasSuffix(":batchEmbedContents") { return .embedContent }
        case .json, .auto, .text: break
        }
        return .other
    }
}
