import AirlockLedger
import AirlockPolicy
import AirlockScrub
import Foundation
import NIOCore
import NIOHTTP1

/// Builds ledger events from what the proxy knows about a request: only metadata, identifiers filtered to a
/// safe alphabet, and the API key reduced to a keyed HMAC.
enum LedgerRecords {
    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func skeleton(method: String, host: String, path: String, client: SocketAddress? = nil) -> LedgerEvent {
        let now = nowMs()
        var event = LedgerEvent(kind: .request, requestID: LedgerEvent.newRequestID(time: now), time: now)
        event.method = LedgerEvent.safeIdentifier(method, limit: 16)
        event.host = LedgerEvent.safeIdentifier(host, limit: 255)
        event.path = RequestLog.safePath(path)
        event.clientAddress = client?.ipAddress
        return event
    }

    /// The proxy request itself (CONNECT or absolute-form): where the client asked to go.
    static func proxyRequest(_ head: HTTPRequestHead, client: SocketAddress?) -> LedgerEvent {
        let isConnect = head.method == .CONNECT
        var event = skeleton(method: head.method.rawValue, host: "-", path: isConnect ? "/" : head.uri, client: client)
        if let (host, port) = HostPort.split(isConnect ? Substring(head.uri) : authority(of: head.uri)) {
            event.host = hostName(host.flatMap(InterceptTarget.normalise))
            event.port = port
        }
        event.scheme = isConnect ? "https" : "http"
        return event
    }

    /// A host the client asked for, as logs, refusals and the ledger show it before the allowlist has vouched for
    /// it: `[unsafe]` when a secret rule finds anything in it (`CONNECT glpat-….example.com:443`), or when it is
    /// longer than `limit` or has characters a host name does not. An allowlisted host is shown with the longer
    /// limit of a real name.
    static func hostName(_ host: String?, limit: Int = 64) -> String? {
        guard let host, !host.isEmpty else { return nil }
        if !SecretScanner.standard.scan(Array(host.utf8)).isEmpty { return LedgerEvent.unsafeIdentifier }
        return LedgerEvent.safeIdentifier(host, limit: limit)
    }

    /// `host:port` of an absolute-form URI (`http://host:port/path`), with the default port when none is given.
    private static func authority(of uri: String) -> Substring {
        guard let scheme = uri.range(of: "://") else { return "" }
        let rest = uri[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains(":") ? authority : Substring(authority + ":80")
    }

    /// OpenTelemetry's `gen_ai.provider.name` values.
    static func providerName(_ provider: Provider?) -> String? {
        switch provider {
        case .openai?: "openai"
        case .anthropic?: "anthropic"
        case .gemini?: "gcp.gemini"
        case nil: nil
        }
    }

    /// The record of a request inside an intercepted connection, as far as its head tells.
    static func intercepted(
        _ head: HTTPRequestHead, target: InterceptTarget, client: SocketAddress?, proxyUser: String?, keys: LedgerKeys?
    ) -> LedgerEvent {
        var event = skeleton(method: head.method.rawValue, host: target.host, path: head.uri, client: client)
        event.proxyUser = LedgerEvent.safeIdentifier(proxyUser)
        request(&event, target: target, head: head, path: head.uri, keys: keys)
        return event
    }

    /// The request-side fields of an intercepted request.
    static func request(
        _ event: inout LedgerEvent, target: InterceptTarget, head: HTTPRequestHead, path: String, keys: LedgerKeys?
    ) {
        event.scheme = target.scheme == .https ? "https" : "http"
        event.host = target.host
        event.port = target.port
        event.provider = providerName(target.provider)
        if let kind = target.provider.flatMap({ PayloadKind(rawValue: $0.rawValue) }) {
            let operation = ProviderOperation.from(path: path, kind: kind)
            if operation != .other { event.operation = operation.rawValue }
            if kind == .gemini, let range = path.range(of: "/models/") {
                let rest = path[range.upperBound...]
                event.requestModel = modelName(String(rest.prefix { $0 != ":" && $0 != "?" && $0 != "/" }))
            }
            event.stream = operation == .streamGenerateContent
        }
        if let keys, let credential = credential(head.headers, path: path) {
            event.credentialID = keys.credentialID(credential)
        }
    }

    /// The API key a client sent, from the headers the three providers use, the subprotocol a browser names its
    /// OpenAI key in (`Sec-WebSocket-Protocol: openai-insecure-api-key.…`), or Gemini's `key` or `access_token`
    /// (an ephemeral token) query parameter.
    static func credential(_ headers: HTTPHeaders, path: String) -> String? {
        if let value = headers.first(name: "authorization") { return LedgerKeys.credential(fromAuthorization: value) }
        for name in ["x-api-key", "x-goog-api-key", "api-key"] {
            if let value = headers.first(name: name) { return value }
        }
        let browserKey = "openai-insecure-api-key."
        for value in headers[canonicalForm: "sec-websocket-protocol"] where value.hasPrefix(browserKey) {
            return String(value.dropFirst(browserKey.count))
        }
        if let query = path.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") {
                for name in ["key=", "access_token="] where pair.hasPrefix(name) {
                    return String(pair.dropFirst(name.count))
                }
            }
        }
        return nil
    }

    /// A model name as the ledger keeps it: short, of safe characters, and with no segment that looks like a
    /// key or an id (the test the logged path uses); otherwise `[unsafe]`.
    static func modelName(_ raw: String?) -> String? {
        guard let raw else { return nil }
        return RequestPath.redactedForLog(raw) == raw ? LedgerEvent.safeIdentifier(raw) : LedgerEvent.unsafeIdentifier
    }

    /// A WebSocket session's record: the operation is `realtime`, and OpenAI names the model in the query
    /// (`?model=`).
    static func webSocketSession(_ event: inout LedgerEvent, path: String) {
        event.operation = "realtime"
        guard event.requestModel == nil, let query = path.split(separator: "?", maxSplits: 1).dropFirst().first
        else { return }
        for pair in query.split(separator: "&") where pair.hasPrefix("model=") {
            event.requestModel = modelName(String(pair.dropFirst(6)).removingPercentEncoding)
        }
    }

    /// The record of one client message of a WebSocket session: the session's request fields, its own id and size.
    static func webSocketMessage(of session: LedgerEvent, host: String, path: String, size: Int) -> LedgerEvent {
        var event = skeleton(method: "WEBSOCKET", host: host, path: path)
        event.clientAddress = session.clientAddress
        event.proxyUser = session.proxyUser
        event.scheme = session.scheme
        event.port = session.port
        event.provider = session.provider
        event.operation = session.operation
        event.requestModel = session.requestModel
        event.credentialID = session.credentialID
        event.requestBytes = size
        return event
    }

    /// What the scrubber learned: operation, model, stream flag, sizes and findings.
    static func scrubbed(_ event: inout LedgerEvent, _ result: ScrubResult, received: Int) {
        if result.operation != .other { event.operation = result.operation.rawValue }
        if let model = result.requestModel {
            // A secret the scrubber found in the model field stays out of the ledger as it stays out of the body.
            let heldSecret = result.findings.contains { $0.category == .secret && $0.path == "$.model" }
            event.requestModel = heldSecret ? LedgerEvent.unsafeIdentifier : modelName(model)
        }
        if let stream = result.stream { event.stream = stream || (event.stream ?? false) }
        event.requestBytes = received
        event.forwardedBytes = result.decision == .blocked ? 0 : result.output.count
        event.findings = result.findingsSummary
        let lines = result.codeLinesRemoved
        if lines > 0 { event.codeLinesRemoved = lines }
    }
}
