import AirlockPolicy
import NIOHTTP1

/// What a request head must be before its body is read, on a connection bound to `target`: in origin form or an
/// absolute URI naming the target, framed without ambiguity, with one Host header naming the target, permitted by
/// the allowlist entry, upgraded only to WebSocket, and not announcing a body over the limit.
struct RequestHeadCheck {
    /// A head that passed, and what the exchange needs from it.
    struct Accepted: Equatable {
        /// The request target to forward, in origin form.
        var path: String
        var webSocket: Bool
        var declaredLength: Int
        var expectsContinue: Bool
    }

    let target: InterceptTarget
    let maxRequestBody: Int
    /// A denial decided before any request was read (the connection's target is refused whatever it asks).
    var presetDenial: DenyReason?

    func check(_ head: HTTPRequestHead) -> Result<Accepted, ErrorResponse> {
        if let presetDenial { return .failure(denied(presetDenial)) }
        let path: String
        switch originFormPath(head.uri) {
        case .success(let value): path = value
        case .failure(let refusal): return .failure(refusal)
        }
        if let (reason, message) = Self.framingProblem(head.headers) { return .failure(badRequest(reason, message)) }
        let hosts = head.headers["host"]
        guard hosts.count == 1, let hostHeader = hosts.first else {
            return .failure(badRequest(.invalidHostHeader, "the request must carry exactly one Host header"))
        }
        guard target.matchesHostHeader(hostHeader) else { return .failure(denied(.hostHeaderMismatch)) }
        if let reason = target.entry.permits(method: head.method.rawValue, path: path) {
            return .failure(denied(reason))
        }
        // A WebSocket (a realtime API) is relayed message by message through the scrubber; any other upgrade
        // would carry bytes that are never scanned.
        var webSocket = false
        if head.headers.contains(name: "upgrade") {
            switch WebSocketUpgrade.check(head) {
            case .webSocket:
                webSocket = true
            case .invalid(let problem):
                return .failure(badRequest(.invalidWebSocketUpgrade, problem))
            case .otherProtocol:
                return .failure(
                    .failure(
                        .notImplemented, reason: .upgradeNotSupported,
                        message:
                            "Airlock relays only WebSocket upgrades to inspected hosts: the bytes of another protocol could not be scanned",
                        host: target.host, provider: target.provider))
            }
        }
        let declaredLength = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        if declaredLength > maxRequestBody {
            return .failure(
                .failure(
                    .payloadTooLarge, reason: .requestTooLarge,
                    message: "the request body exceeds limits.max_request_body (\(maxRequestBody) bytes)",
                    host: target.host, provider: target.provider))
        }
        let expectsContinue = head.headers.first(name: "expect")?.lowercased() == "100-continue"
        return .success(
            Accepted(path: path, webSocket: webSocket, declaredLength: declaredLength, expectsContinue: expectsContinue)
        )
    }

    /// Origin-form path of a request; absolute-form must name the target.
    private func originFormPath(_ uri: String) -> Result<String, ErrorResponse> {
        if uri.hasPrefix("/") { return .success(uri) }
        let prefix = target.scheme == .https ? "https://" : "http://"
        guard uri.lowercased().hasPrefix(prefix) else {
            return .failure(badRequest(.invalidRequestTarget, "the request target must be a path or an absolute URI"))
        }
        let rest = uri.dropFirst(prefix.count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard target.matchesHostHeader(String(rest[..<authorityEnd])) else {
            return .failure(denied(.hostHeaderMismatch))
        }
        let path = rest[authorityEnd...]
        return .success(path.hasPrefix("/") ? String(path) : "/" + path)
    }

    /// Requests whose length is ambiguous are refused: request smuggling lives in that ambiguity.
    static func framingProblem(_ headers: HTTPHeaders) -> (FailureReason, String)? {
        // The common case, in one pass without copies: no Transfer-Encoding and one plain Content-Length, or none.
        var plain = true
        var lengthCount = 0
        for (name, value) in headers {
            if name.utf8.equalsIgnoringASCIICase("content-length") {
                lengthCount += 1
                plain = plain && !value.isEmpty && value.utf8.allSatisfy { $0 &- UInt8(ascii: "0") < 10 }
            } else if name.utf8.equalsIgnoringASCIICase("transfer-encoding") {
                plain = false
            }
        }
        if plain && lengthCount <= 1 { return nil }
        let lengths = headers["content-length"]
        let encodings = headers["transfer-encoding"]
        if !lengths.isEmpty && !encodings.isEmpty {
            return (.conflictingFraming, "the request has both Content-Length and Transfer-Encoding")
        }
        if !lengths.isEmpty {
            let values = lengths.flatMap { $0.split(separator: ",") }.map { $0.trimmingASCIISpaces() }
            if values.contains(where: {
                $0.isEmpty || !$0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            }) {
                return (.invalidContentLength, "the Content-Length is not a number")
            }
            if Set(values).count > 1 {
                return (.conflictingFraming, "the request has conflicting Content-Length values")
            }
            return nil
        }
        if encodings.count != 1 || encodings[0].trimmingASCIISpaces().lowercased() != "chunked" {
            return (.unsupportedTransferEncoding, "only chunked transfer encoding is accepted")
        }
        return nil
    }

    private func badRequest(_ reason: FailureReason, _ message: String) -> ErrorResponse {
        .failure(.badRequest, reason: reason, message: message, host: target.host, provider: target.provider)
    }

    private func denied(_ reason: DenyReason) -> ErrorResponse {
        .denied(reason, host: target.host, provider: target.provider)
    }
}
