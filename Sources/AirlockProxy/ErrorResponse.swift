import AirlockPolicy
import NIOCore
import NIOHTTP1

/// A refusal as the client sees it: a status, a stable reason code and JSON in the error shape
/// that the provider's SDK parses (OpenAI, Anthropic, Gemini), or Airlock's own shape for other hosts.
package struct ErrorResponse: Error, Sendable, Equatable {
    package var status: HTTPResponseStatus
    /// `denied(…)` for policy refusals, `failed(…)` for blocks and failures.
    package var outcome: Outcome
    package var message: String
    package var host: String
    package var provider: Provider?
    /// Seconds after which a retry may succeed (`Retry-After`), for refusals that are about load, not the request.
    package var retryAfter: Int?

    package init(
        status: HTTPResponseStatus, outcome: Outcome, message: String, host: String, provider: Provider? = nil
    ) {
        self.status = status
        self.outcome = outcome
        self.message = message
        self.host = host
        self.provider = provider
    }

    /// `denied` or `blocked` for policy refusals, `error` for failures.
    package var decision: RequestDecision { outcome.decision }
    /// The stable reason code clients, logs and the ledger see.
    package var reason: String { outcome.reason ?? decision.rawValue }

    package static func denied(_ reason: DenyReason, host: String, provider: Provider? = nil) -> ErrorResponse {
        let status: HTTPResponseStatus =
            reason == .proxyAuthenticationRequired ? .proxyAuthenticationRequired : .forbidden
        return ErrorResponse(
            status: status, outcome: .denied(reason),
            message: "Airlock refused this request: \(reason.explanation).", host: host, provider: provider)
    }

    package static func failure(
        _ status: HTTPResponseStatus, reason: FailureReason, message: String, host: String, provider: Provider? = nil
    ) -> ErrorResponse {
        ErrorResponse(
            status: status, outcome: .failed(reason),
            message: message, host: host, provider: provider)
    }

    /// `airlock_denied` for policy refusals, `airlock_error` for failures: the `error.type` clients read.
    package var type: String { decision == .error ? "airlock_error" : "airlock_denied" }

    /// The body budget (`limits.max_buffered_bodies`) is full: a request body or WebSocket message that would
    /// pass it is refused for now, with `Retry-After`.
    package static func bodiesOverBudget(limit: Int, host: String, provider: Provider?) -> ErrorResponse {
        var response = ErrorResponse.failure(
            .serviceUnavailable, reason: .bufferedBodiesLimit,
            message:
                "Airlock already holds limits.max_buffered_bodies (\(limit) bytes) of request bodies and messages for inspection; retry shortly",
            host: host, provider: provider)
        response.retryAfter = 1
        return response
    }

    /// The JSON body. Every shape carries `error.type`, `error.message`, `error.host` and `error.reason`;
    /// providers' SDKs also find the fields they look for.
    package func body() -> String {
        var fields = [
            ("type", JSON.string(type)), ("message", JSON.string(message)),
            ("host", JSON.string(host)), ("reason", JSON.string(reason)),
        ]
        switch provider {
        case .openai?:
            fields += [("code", JSON.string(reason)), ("param", "null")]
        case .gemini?:
            fields += [("code", String(status.code)), ("status", JSON.string(ErrorResponse.googleStatus(status)))]
        case .anthropic?, nil:
            break
        }
        let error = "{" + fields.map { "\(JSON.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        if provider == .anthropic { return "{\"type\":\"error\",\"error\":\(error)}" }
        return "{\"error\":\(error)}"
    }

    /// The refusal of one WebSocket message as an OpenAI Realtime `error` event, which the SDK yields to the
    /// application while the session goes on.
    package func realtimeErrorEvent() -> String {
        let fields = [
            ("type", JSON.string(type)), ("code", JSON.string(reason)), ("message", JSON.string(message)),
            ("param", "null"), ("event_id", "null"), ("host", JSON.string(host)), ("reason", JSON.string(reason)),
        ]
        let error = "{" + fields.map { "\(JSON.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        return
            "{\"type\":\"error\",\"event_id\":\"event_airlock_\(UInt64.random(in: 0...UInt64.max))\",\"error\":\(error)}"
    }

    /// The refusal as a WebSocket close frame's reason: the reason code, then as much of the message as fits in
    /// the frame's 123 bytes, cut at a character boundary.
    package func closeReason() -> String {
        var text = reason + ": " + message
        while text.utf8.count > 123 { text.removeLast() }
        return text
    }

    package static func googleStatus(_ status: HTTPResponseStatus) -> String {
        switch status.code {
        case 400: "INVALID_ARGUMENT"
        case 403, 407: "PERMISSION_DENIED"
        case 409: "ABORTED"
        case 413: "INVALID_ARGUMENT"
        case 415: "INVALID_ARGUMENT"
        case 429: "RESOURCE_EXHAUSTED"
        case 501: "UNIMPLEMENTED"
        case 502: "UNAVAILABLE"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        default: "UNKNOWN"
        }
    }

    package func head(keepAlive: Bool, contentLength: Int) -> HTTPResponseHead {
        var headers = HTTPHeaders([
            ("content-type", "application/json"),
            ("content-length", String(contentLength)),
        ])
        if decision != .error { headers.add(name: "x-airlock-denied", value: reason) }
        if status == .proxyAuthenticationRequired {
            headers.add(name: "proxy-authenticate", value: "Basic realm=\"airlock\"")
        }
        if let retryAfter { headers.add(name: "retry-after", value: String(retryAfter)) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }
}

/// Minimal JSON string escaping for the bodies Airlock writes itself.
enum JSON {
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension ChannelHandlerContext {
    /// Writes a complete JSON error response; closes the connection afterwards unless `keepAlive`.
    func writeErrorResponse(_ response: ErrorResponse, keepAlive: Bool, wrap: (HTTPServerResponsePart) -> NIOAny) {
        let body = response.body()
        var buffer = channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        write(wrap(.head(response.head(keepAlive: keepAlive, contentLength: buffer.readableBytes))), promise: nil)
        write(wrap(.body(.byteBuffer(buffer))), promise: nil)
        let done = writeAndFlush(wrap(.end(nil)))
        if !keepAlive {
            let context = self
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
