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
