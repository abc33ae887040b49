import AirlockPolicy
import AirlockScrub

/// What became of a request, a tunnel or a WebSocket message, with the reason when it was refused or failed. Logs,
/// metrics and the ledger name it by its `decision` and `reason`; nothing compares those strings.
package enum Outcome: Sendable, Equatable {
    /// Forwarded as the client sent it.
    case allowed
    /// Forwarded with what the scrubber replaced.
    case redacted
    /// An allowlisted host without interception: bytes relayed unread.
    case tunnel
    /// A tunnel opened for interception; each request in it has an outcome of its own. Logged only.
    case intercept
    /// Refused by policy: the allowlist, the destination's address, proxy credentials.
    case denied(DenyReason)
    /// Refused or ended because of what the scrubber found (`scrubber_blocked`, a block) or because something
    /// failed: a malformed request, a limit, the scan, the ledger, the upstream, the client leaving.
    case failed(FailureReason)

    /// The scrubber's decision for a payload that passed the gate.
    package init(passed scrub: ScrubDecision) {
        self = scrub == .redacted ? .redacted : .allowed
    }

    package var decision: RequestDecision {
        switch self {
        case .allowed: .allowed
        case .redacted: .redacted
        case .tunnel: .tunnel
        case .intercept: .intercept
        case .denied: .denied
        case .failed(let reason): reason.decision
        }
    }

    /// The stable reason code, for a refusal or a failure.
    package var reason: String? {
        switch self {
        case .denied(let reason): reason.rawValue
        case .failed(let reason): reason.rawValue
        case .allowed, .redacted, .tunnel, .intercept: nil
        }
    }
}
