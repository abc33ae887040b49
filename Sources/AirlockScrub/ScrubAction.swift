/// What happens when a category of finding turns up.
package enum ScrubAction: String, Sendable, CaseIterable, Codable {
    /// Replace each span with a typed, numbered placeholder and forward.
    case redact
    /// Refuse the request; nothing is forwarded.
    case block
    /// Forward unchanged; only count.
    case monitor
}
