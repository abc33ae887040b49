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
