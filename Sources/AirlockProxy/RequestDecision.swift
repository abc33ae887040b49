import AirlockLedger
import AirlockScrub

/// What became of a request, a tunnel or a WebSocket message, as the decision log, the metrics' `decision` label
/// and the ledger name it.
package enum RequestDecision: String, Sendable {
    /// Forwarded as the client sent it.
    case allowed
    /// Forwarded with what the scrubber replaced.
    case redacted
    /// Refused because the scrubber found what the policy blocks.
    case blocked
    /// Refused by policy: the allowlist, the destination's address, proxy credentials.
    case denied
    /// Refused or ended because something failed: a malformed request, a limit, the scan, the ledger, the upstream.
    case error
    /// An allowlisted host without interception: bytes relayed unread.
    case tunnel
    /// A tunnel opened for interception; each request in it has a decision of its own. Logged only.
    case intercept

    /// The scrubber's decision for a payload it scanned.
    package init(_ scrub: ScrubDecision) {
        switch scrub {
        case .allowed: self = .allowed
        case .redacted: self = .redacted
        case .blocked: self = .blocked
        }
    }

    /// The decision as the ledger records it (a tunnel is an allowed request).
    var ledger: LedgerDecision {
        switch self {
        case .allowed, .tunnel, .intercept: .allowed
        case .redacted: .redacted
        case .blocked: .blocked
        case .denied: .denied
        case .error: .error
        }
    }
}
