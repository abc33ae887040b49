import AirlockPolicy
import AirlockProxy
import Foundation
import NIOHTTP1
import Testing

@Suite("Refusals in each provider's error shape")
struct ErrorResponseTests {
    func json(_ response: ErrorResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body().utf8)) as? [String: Any])
    }

    @Test("Airlock's own shape for hosts without a provider")
    func plain() throws {
        let body = try json(.denied(.hostNotAllowlisted, host: "evil.example.com"))
        #expect(Set(body.keys) == ["error"])
        let error = try #require(body["error"] as? [String: String])
        #expect(
            error == [
                "type": "airlock_denied", "host": "evil.example.com", "reason": "host_not_allowlisted",
                "message": "Airlock refused this request: the destination host is not on the allowlist.",
            ])
    }

    @Test("OpenAI: error.message, error.type and error.code")
    func openai() throws {
        let error = try #require(
            try json(.denied(.pathNotAllowed, host: "api.openai.com", provider: .openai))["error"] as? [String: Any])
        #expect(error["code"] as? String == "path_not_allowed")
        #expect(error["type"] as? String == "airlock_denied")
        #expect(error.keys.contains("param"))
    }

    @Test("Anthropic: top-level type error")
    func anthropic() throws {
        let body = try json(.denied(.methodNotAllowed, host: "api.anthropic.com", provider: .anthropic))
        #expect(body["type"] as? String == "error")
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["type"] as? String == "airlock_denied")
        #expect(error["reason"] as? String == "method_not_allowed")
    }

    @Test("Gemini: numeric code and a Google status")
    func gemini() throws {
        let failure = ErrorResponse.failure(
            .payloadTooLarge, reason: .requestTooLarge, message: "too big",
            host: "generativelanguage.googleapis.com", provider: .gemini)
        let error = try #require(try json(failure)["error"] as? [String: Any])
        #expect(error["code"] as? Int == 413)
        #expect(error["status"] as? String == "INVALID_ARGUMENT")
        #expect(failure.head(keepAlive: true, contentLength: 1).headers["x-airlock-denied"].isEmpty)
        let statuses: [(HTTPResponseStatus, String)] = [
            (.badRequest, "INVALID_ARGUMENT"), (.forbidden, "PERMISSION_DENIED"), (.notImplemented, "UNIMPLEMENTED"),
            (.badGateway, "UNAVAILABLE"), (.serviceUnavailable, "UNAVAILABLE"), (.gatewayTimeout, "DEADLINE_EXCEEDED"),
            (.conflict, "ABORTED"), (.tooManyRequests, "RESOURCE_EXHAUSTED"),
        ]
        for (status, name) in statuses { #expect(ErrorResponse.googleStatus(status) == name, "\(status)") }
    }

    @Test("denials carry X-Airlock-Denied; proxy authentication asks for Basic")
    func headers() {
        let denied = ErrorResponse.denied(.proxyAuthenticationRequired, host: "")
        let length = denied.body().utf8.count
        let head = denied.head(keepAlive: false, contentLength: length)
        #expect(head.status == .proxyAuthenticationRequired)
        #expect(head.headers["x-airlock-denied"] == ["proxy_auth_required"])
        #expect(head.headers["proxy-authenticate"] == ["Basic realm=\"airlock\""])
        #expect(head.headers["connection"] == ["close"])
        #expect(head.headers["content-length"] == [String(length)])
    }

    @Test("messages are escaped into valid JSON")
    func escaping() throws {
        let odd = ErrorResponse.failure(
            .badRequest, reason: .malformedRequest, message: "quote \" backslash \\ newline \n control \u{01}",
            host: "h")
        let error = try #require(try json(odd)["error"] as? [String: String])
        #expect(error["message"] == "quote \" backslash \\ newline \n control \u{01}")
    }
}

@Suite("Per-request checks")
struct InterceptTargetTests {
    let target = InterceptTarget(
        host: "api.openai.com", port: 443, scheme: .https,
        entry: AllowlistEntry(
            host: .exact(try! HostName("api.openai.com")), purpose: "test",
            location: .init(file: "t", line: 1, column: 1))
    )

    @Test("Host headers must name the CONNECT host and port")
    func hostHeader() {
        #expect(target.matchesHostHeader("api.openai.com"))
        #expect(target.matchesHostHeader("API.OPENAI.COM."))
        #expect(target.matchesHostHeader("api.openai.com:443"))
        #expect(!target.matchesHostHeader("api.openai.com:8443"))
        #expect(!target.matchesHostHeader("api.anthropic.com"))
        #expect(!target.matchesHostHeader("api.openai.com.evil.com"))
        #expect(!target.matchesHostHeader("api.openai.com:443:1"))
        #expect(!target.matchesHostHeader(""))
    }

    @Test("hop-by-hop and proxy headers never travel upstream")
    func hopByHop() {
        var headers = HTTPHeaders([
            ("Connection", "keep-alive, X-Secret-Hop"), ("X-Secret-Hop", "1"), ("Proxy-Authorization", "Basic abc"),
            ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Transfer-Encoding", "chunked"),
            ("Authorization", "Bearer k"),
            ("Content-Type", "application/json"),
        ])
        HopByHop.strip(&headers)
        #expect(headers.map(\.name).sorted() == ["Authorization", "Content-Type"])
        var response = HTTPHeaders([
            ("Connection", "close"), ("Transfer-Encoding", "chunked"), ("Content-Type", "text/event-stream"),
        ])
        HopByHop.stripResponse(&response)
        #expect(response.map(\.name).sorted() == ["Content-Type", "Transfer-Encoding"])
        var listed = HTTPHeaders([
            ("connection", "Keep-Alive , x-hop,,TRANSFER-ENCODING"), ("KEEP-ALIVE", "timeout=5"), ("X-Hop", "1"),
            ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"), ("Server", "nginx"),
        ])
        HopByHop.stripResponse(&listed)
        #expect(listed.map(\.name).sorted() == ["Server", "Transfer-Encoding"])
    }

    @Test(
        "a Content-Length is forwarded as it is only when it is the one plain statement of the body's length",
        arguments: [
            ([("Content-Length", "1024")], true),
            ([("content-length", "1024"), ("Content-Type", "application/json")], true),
            ([("Content-Length", "1023")], false),
            ([("Content-Length", "01024")], false),
            ([("Content-Length", "+1024")], false),
            ([("Content-Length", " 1024")], false),
            ([("Content-Length", "1024"), ("Content-Length", "1024")], false),
            ([("Content-Length", "1024"), ("Transfer-Encoding", "chunked")], false),
            ([("Content-Type", "application/json")], false),
        ])
    func contentLengthKeptOnlyWhenExact(headers: [(String, String)], kept: Bool) {
        #expect(HTTPHeaders(headers).hasOnlyContentLength(1024) == kept)
    }

    @Test("a refusal about load says when to retry; others do not")
    func retryAfter() {
        var busy = ErrorResponse.failure(
            .serviceUnavailable, reason: .bufferedBodiesLimit, message: "busy", host: "api.openai.com",
            provider: .openai)
        #expect(busy.head(keepAlive: false, contentLength: 2).headers["retry-after"] == [])
        busy.retryAfter = 1
        #expect(busy.head(keepAlive: false, contentLength: 2).headers["retry-after"] == ["1"])
    }
}
