import AirlockLedger
import AirlockPolicy
import Foundation
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("WebSocket upgrades through an inspected connection")
struct WebSocketUpgradeTests {
    private func head(
        _ headers: [(String, String)], method: HTTPMethod = .GET, version: HTTPVersion = .http1_1
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: "/v1/realtime", headers: HTTPHeaders(headers))
    }

    private let handshake = [
        ("Host", "api.openai.com"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
    ]

    @Test func aWellFormedHandshakeIsAWebSocket() {
        #expect(WebSocketUpgrade.check(head(handshake)) == .webSocket)
        var shouting = handshake
        shouting[1] = ("UPGRADE", " WebSocket ")
        shouting[2] = ("connection", "UPGRADE")
        #expect(WebSocketUpgrade.check(head(shouting)) == .webSocket)
    }

    @Test func otherProtocolsAreNotRelayed() {
        for value in ["h2c", "TLS/1.2", "websocket, h2c"] {
            var headers = handshake
            headers[1] = ("Upgrade", value)
            #expect(WebSocketUpgrade.check(head(headers)) == .otherProtocol, "\(value)")
        }
        #expect(WebSocketUpgrade.check(head(handshake + [("Upgrade", "websocket")])) == .otherProtocol)
    }

    @Test func malformedHandshakesSayWhatIsWrong() {
        func problem(_ head: HTTPRequestHead) -> String? {
            if case .invalid(let text) = WebSocketUpgrade.check(head) { return text }
            return nil
        }
        #expect(problem(head(handshake, method: .POST))?.contains("GET") == true)
        #expect(problem(head(handshake, version: .http1_0))?.contains("HTTP/1.1") == true)
        #expect(problem(head(handshake.filter { $0.0 != "Connection" }))?.contains("Connection") == true)
        #expect(problem(head(handshake.filter { $0.0 != "Sec-WebSocket-Key" }))?.contains("Key") == true)
        var old = handshake
        old[4] = ("Sec-WebSocket-Version", "8")
        #expect(problem(head(old))?.contains("13") == true)
        #expect(problem(head(handshake + [("Content-Length", "5")]))?.contains("body") == true)
        #expect(problem(head(handshake + [("Transfer-Encoding", "chunked")]))?.contains("body") == true)
    }

    /// The upstream is asked for the switch again (the hop-by-hop headers were removed) and never offered
    /// compression, which would hide every message from the scrubber.
    @Test func theUpstreamRequestOffersNoCompression() {
        var headers = HTTPHeaders(
            handshake + [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")])
        HopByHop.strip(&headers)
        WebSocketUpgrade.prepareUpstreamRequest(&headers)
        #expect(headers["upgrade"] == ["websocket"] && headers["connection"] == ["Upgrade"])
        #expect(!headers.contains(name: "sec-websocket-extensions"))
        #expect(headers["sec-websocket-key"] == ["dGhlIHNhbXBsZSBub25jZQ=="])
    }

    @Test func onlyAPlainWebSocketSwitchIsRelayed() {
        let plain = HTTPHeaders([("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "x")])
        #expect(WebSocketUpgrade.problem(inResponse: plain) == nil)
        #expect(WebSocketUpgrade.problem(inResponse: HTTPHeaders([("Upgrade", "h2c")])) != nil)
        var compressed = plain
        compressed.add(name: "Sec-WebSocket-Extensions", value: "permessage-deflate")
        #expect(WebSocketUpgrade.problem(inResponse: compressed)?.contains("extension") == true)
    }

    /// A refused message reaches an OpenAI Realtime client as an `error` event its SDK parses.
    @Test func aRefusedMessageIsARealtimeErrorEvent() throws {
        let response = ErrorResponse(
            status: .forbidden, outcome: .failed(.scrubberBlocked),
            message:
                "Airlock blocked this request because it contains secrets: github-pat at $.item. \"Nothing\" was sent.",
            host: "api.openai.com", provider: .openai)
        let event = try #require(
            try JSONSerialization.jsonObject(with: Data(response.realtimeErrorEvent().utf8)) as? [String: Any])
        #expect(event["type"] as? String == "error")
        #expect((event["event_id"] as? String)?.hasPrefix("event_airlock_") == true)
        let error = try #require(event["error"] as? [String: Any])
        #expect(error["type"] as? String == "airlock_denied" && error["code"] as? String == "scrubber_blocked")
        #expect((error["message"] as? String)?.contains("\"Nothing\"") == true && error["param"] is NSNull)
    }

    /// Other clients read a close frame, whose reason holds at most 123 bytes.
    @Test func aCloseReasonFitsItsFrame() {
        let long = ErrorResponse(
            status: .forbidden, outcome: .failed(.scrubberBlocked),
            message: String(repeating: "é", count: 200), host: "h", provider: .gemini)
        let reason = long.closeReason()
        #expect(reason.hasPrefix("scrubber_blocked: é") && reason.utf8.count <= 123 && reason.utf8.count >= 122)
        let short = ErrorResponse(
            status: .badRequest, outcome: .failed(.invalidJSON), message: "not JSON", host: "h")
        #expect(short.closeReason() == "invalid_json: not JSON")
    }

    /// The session's record: the operation, and OpenAI's model from the query.
    @Test func theSessionRecordNamesTheRealtimeModel() {
        var event = LedgerEvent(kind: .request, requestID: "r", time: 0)
        LedgerRecords.webSocketSession(&event, path: "/v1/realtime?model=gpt-realtime%2D2025&x=1")
        #expect(event.operation == "realtime" && event.requestModel == "gpt-realtime-2025")
        var unsafe = LedgerEvent(kind: .request, requestID: "r", time: 0)
        LedgerRecords.webSocketSession(
            &unsafe, path: "/v1/realtime?model=ghp_" + "Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU")
        #expect(unsafe.requestModel == LedgerEvent.unsafeIdentifier)
        var gemini = LedgerEvent(kind: .request, requestID: "r", time: 0)
        LedgerRecords.webSocketSession(
            &gemini, path: "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent")
        #expect(gemini.operation == "realtime" && gemini.requestModel == nil)
    }
}
