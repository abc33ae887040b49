import AirlockLedger
import AirlockScrub

/// Why a request, a tunnel or a WebSocket message was refused or ended, other than a policy denial (`DenyReason`):
/// the stable codes that clients, the decision log and the ledger see. `RefusalCatalogue` documents each one.
package enum FailureReason: String, Sendable, CaseIterable {
    // The request is malformed.
    case conflictingFraming = "conflicting_framing"
    case invalidContentLength = "invalid_content_length"
    case unsupportedTransferEncoding = "unsupported_transfer_encoding"
    case invalidHostHeader = "invalid_host_header"
    case malformedRequest = "malformed_request"
    case notAProxyRequest = "not_a_proxy_request"
    case invalidConnectTarget = "invalid_connect_target"
    case invalidRequestTarget = "invalid_request_target"
    // Upgrades.
    case upgradeNotSupported = "upgrade_not_supported"
    case invalidWebSocketUpgrade = "invalid_websocket_upgrade"
    case upstreamUpgradeInvalid = "upstream_upgrade_invalid"
    // The scrubber.
    case scrubberBlocked = "scrubber_blocked"
    case invalidJSON = "invalid_json"
    case invalidUTF8 = "invalid_utf8"
    case nestingTooDeep = "nesting_too_deep"
    case invalidBase64 = "invalid_base64"
    case tokenIDsUnreadable = "token_ids_unreadable"
    case invalidMultipart = "invalid_multipart"
    case conflictingContentType = "conflicting_content_type"
    case requestTooLarge = "request_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case unsupportedContentEncoding = "unsupported_content_encoding"
    case invalidCompressedBody = "invalid_compressed_body"
    case timeBudgetExceeded = "time_budget_exceeded"
    case scannerUnavailable = "scanner_unavailable"
    // Uploads in pieces.
    case uploadPredecessorUnknown = "upload_predecessor_unknown"
    case uploadPartsUnjoined = "upload_parts_unjoined"
    case uploadPartLimit = "upload_part_limit"
    case uploadCapacity = "upload_capacity"
    // Limits and the ledger.
    case bufferedBodiesLimit = "buffered_bodies_limit"
    case ledgerUnavailable = "ledger_unavailable"
    // The upstream.
    case dnsFailure = "dns_failure"
    case upstreamConnectFailed = "upstream_connect_failed"
    case upstreamTLSFailed = "upstream_tls_failed"
    case upstreamClosed = "upstream_closed"
    case dnsTimeout = "dns_timeout"
    case upstreamTimeout = "upstream_timeout"
    case upstreamFailed = "upstream_failed"
    // Ends that no refusal reports: the response had started, or the client had gone.
    case upstreamAborted = "upstream_aborted"
    case clientClosed = "client_closed"
    // A WebSocket client's frames.
    case messageTooLarge = "message_too_large"
    case webSocketProtocolError = "websocket_protocol_error"
    /// The provider broke the WebSocket protocol.
    case upstreamProtocolError = "upstream_protocol_error"

    /// `blocked` for what the scrubber found and the policy blocks, `error` for every other failure.
    var decision: RequestDecision { self == .scrubberBlocked ? .blocked : .error }

    /// The reason for a payload the scrubber could not read.
    package init(_ code: ScrubError.Code) {
        switch code {
        case .invalidJSON: self = .invalidJSON
        case .invalidUTF8: self = .invalidUTF8
        case .invalidBase64: self = .invalidBase64
        case .invalidMultipart: self = .invalidMultipart
        case .nestingTooDeep: self = .nestingTooDeep
        case .invalidRequestTarget: self = .invalidRequestTarget
        case .timeBudgetExceeded: self = .timeBudgetExceeded
        case .tokenIDsUnreadable: self = .tokenIDsUnreadable
        }
    }
}
