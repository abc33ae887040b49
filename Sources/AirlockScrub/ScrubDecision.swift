/// The scrubber's verdict on one request.
package enum ScrubDecision: String, Sendable {
    /// Nothing to remove (monitor-only findings and minimisation leave a request allowed).
    case allowed
    /// Spans were replaced with placeholders.
    case redacted
    /// A finding's action is `block`; the request must not be forwarded.
    case blocked
}
