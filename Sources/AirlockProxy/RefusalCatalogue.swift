import AirlockPolicy
import NIOHTTP1

/// Every refusal a client can see, and every other way a request or a session can end with a reason, as the
/// documentation lists them: `docs/refusals.md` holds `markdown`, and a test keeps the two identical and checks
/// that each `DenyReason` and `FailureReason` is listed exactly once.
package enum RefusalCatalogue {
    package struct Row: Sendable {
        package var status: HTTPResponseStatus
        package var decision: RequestDecision
        package var reasons: [String]
        package var when: String
    }

    private static func denied(_ status: HTTPResponseStatus, _ reasons: [DenyReason], _ when: String) -> Row {
        Row(status: status, decision: .denied, reasons: reasons.map(\.rawValue), when: when)
    }

    private static func failed(_ status: HTTPResponseStatus, _ reasons: [FailureReason], _ when: String) -> Row {
        Row(status: status, decision: reasons[0].decision, reasons: reasons.map(\.rawValue), when: when)
    }

    /// The refusals a client receives as an HTTP response, in the provider's error shape.
    package static let refusals: [Row] = [
        denied(
            .forbidden,
            [.hostNotAllowlisted, .portNotAllowed, .schemeNotAllowed, .ipLiteralNotAllowed, .invalidHost],
            "the destination is not allowed"),
        denied(.forbidden, [.addressRestricted], "the host resolves to a non-public address"),
        denied(
            .forbidden, [.sniMissing, .sniMismatch, .hostHeaderMismatch], "CONNECT host, SNI and `Host` disagree"),
        denied(
            .forbidden, [.methodNotAllowed, .pathNotAllowed, .pathNotCanonical], "the entry's method or path rules"),
        denied(.proxyAuthenticationRequired, [.proxyAuthenticationRequired], "missing or wrong proxy credentials"),
        failed(.badRequest, [.invalidConnectTarget], "a `CONNECT` whose target is not `host:port`"),
        failed(
            .badRequest,
            [
                .conflictingFraming, .invalidContentLength, .unsupportedTransferEncoding, .invalidHostHeader,
                .malformedRequest, .notAProxyRequest,
            ], "the request is malformed; the connection is closed"),
        failed(
            .notImplemented, [.upgradeNotSupported],
            "a protocol upgrade other than WebSocket (`h2c`…) to an inspected host: its bytes could not be read"),
        failed(
            .badRequest, [.invalidWebSocketUpgrade],
            "a WebSocket upgrade that is not an HTTP/1.1 `GET` with `Connection: Upgrade`, one `Sec-WebSocket-Key`, version 13 and no body"
        ),
        failed(
            .badGateway, [.upstreamUpgradeInvalid],
            "the provider's 101 switched to another protocol or turned on an extension that was not offered"),
        failed(
            .forbidden, [.scrubberBlocked],
            "the scrubber found secrets, code or (with `scrub.binary: block`) a binary part, and the policy says `block`; the message names detector ids and JSON paths, never the text"
        ),
        failed(
            .badRequest, [.invalidJSON, .invalidUTF8, .nestingTooDeep, .invalidBase64],
            "the body, or a base64 part in it, cannot be decoded or scanned; nothing is forwarded"),
        failed(
            .badRequest, [.tokenIDsUnreadable],
            "OpenAI embeddings `input` or completions `prompt` sent as token ids (`[[8586, 374, …]]`, LangChain's default) instead of text: the message names the field; nothing is forwarded"
        ),
        failed(
            .badRequest, [.invalidRequestTarget],
            "the path or query string has a `%` not followed by two hex digits, so it cannot be read as the provider would"
        ),
        failed(
            .badRequest, [.invalidMultipart, .conflictingContentType],
            "a `multipart/form-data` body without one valid boundary, or that another parser could split into other parts; a request with two `Content-Type` headers"
        ),
        failed(
            .payloadTooLarge, [.requestTooLarge],
            "the body exceeds `limits.max_request_body`, as sent or once decompressed"
        ),
        failed(
            .unsupportedMediaType, [.unsupportedMediaType, .unsupportedContentEncoding, .invalidCompressedBody],
            "a body that is not JSON or `multipart/form-data` (or a piece of a Gemini resumable upload), is compressed other than with one layer of gzip or deflate, or does not decode, on an inspected host"
        ),
        failed(
            .conflict, [.uploadPredecessorUnknown],
            "a piece of a Gemini resumable upload that continues a file whose end before it Airlock does not hold, so a secret cut by its start could not be found"
        ),
        failed(
            .conflict, [.uploadPartsUnjoined],
            "an OpenAI upload completion whose parts were not read one after the other in the order it lists them, so a secret cut by a part boundary could have been missed"
        ),
        failed(.conflict, [.uploadPartLimit], "a part of an OpenAI upload that already has 1,000 parts noted"),
        failed(
            .tooManyRequests, [.uploadCapacity],
            "the first piece of an upload while 256 uploads are open, each holding the end of its file"),
        failed(
            .serviceUnavailable, [.timeBudgetExceeded, .scannerUnavailable],
            "the scan did not finish within `scrub.time_budget`; nothing is forwarded"),
        failed(
            .serviceUnavailable, [.bufferedBodiesLimit],
            "the request bodies and WebSocket messages Airlock holds at once, across all connections, would pass `limits.max_buffered_bodies`; the response carries `Retry-After: 1`, which the OpenAI and Anthropic SDKs wait for before they retry"
        ),
        failed(
            .serviceUnavailable, [.ledgerUnavailable],
            "the request's ledger record could not be written (disk full, database locked or corrupt); nothing is forwarded"
        ),
        failed(
            .badGateway, [.dnsFailure, .upstreamConnectFailed, .upstreamTLSFailed, .upstreamClosed],
            "the upstream could not be reached or failed verification"),
        failed(
            .badGateway, [.upstreamFailed], "the upstream exchange failed in any other way before the response started"
        ),
        failed(.gatewayTimeout, [.dnsTimeout, .upstreamTimeout], "the upstream did not answer in time"),
    ]

    /// Reasons the decision log and the ledger record for an end that no refusal reports: the response had
    /// started, the client had gone, or a WebSocket session was closed with a close frame.
    package static let endings: [(reason: FailureReason, when: String)] = [
        (.upstreamAborted, "the upstream failed after the response had started; the client's connection is closed"),
        (
            .clientClosed,
            "the client closed its connection before the response was complete (a stream counts as complete once its "
                + "terminal event, such as `[DONE]` or `message_stop`, has reached the client)"
        ),
        (
            .messageTooLarge,
            "a WebSocket message over `limits.max_request_body`: the session is closed with code 1009"
        ),
        (.webSocketProtocolError, "a WebSocket client broke the protocol: the session is closed with code 1002"),
        (.upstreamProtocolError, "the provider broke the WebSocket protocol: the session is closed with code 1002"),
    ]

    /// Both tables in Markdown, as `docs/refusals.md` holds them.
    package static var markdown: String {
        var lines = [
            "| status | `error.type` | `error.reason` | when |",
            "|---|---|---|---|",
        ]
        for row in refusals {
            let type = row.decision == .error ? "airlock_error" : "airlock_denied"
            let reasons = row.reasons.map { "`\($0)`" }.joined(separator: ", ")
            lines.append("| \(row.status.code) | `\(type)` | \(reasons) | \(row.when) |")
        }
        lines += ["", "| `reason` in logs and the ledger | when |", "|---|---|"]
        for ending in endings { lines.append("| `\(ending.reason.rawValue)` | \(ending.when) |") }
        return lines.joined(separator: "\n") + "\n"
    }
}
