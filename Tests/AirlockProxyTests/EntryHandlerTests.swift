import AirlockPolicy
import AirlockProxy
import AirlockTLS
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import NIOTLS
import Testing

/// The entry handler on an `EmbeddedChannel`: raw proxy requests in, raw responses out, no sockets.
@Suite("Entry handler")
struct EntryHandlerTests {
    static let allowlist = AllowlistLoader.parse(
        text: """
            version: 1
            entries:
              - host: api.openai.com
                provider: openai
                purpose: test
            """, file: "test.yaml")

    func makeChannel(credentials: [String] = []) throws -> EmbeddedChannel {
        var configuration = AirlockConfiguration()
        configuration.upstream.connectTo = [ConnectToRule(parsing: "api.openai.com:443:127.0.0.1:1")!]
        let state = StateDirectory(explicit: NSTemporaryDirectory() + "airlock-entry-\(UUID().uuidString)")
        let runtime = ProxyRuntime(
            configuration: configuration,
            allowlist: Allowlist(entries: Self.allowlist.entries),
            interception: try InterceptionContexts(authority: try CertificateAuthority.create(in: state)),
            upstreamTLS: try UpstreamTLS.makeContext(extraCAFile: nil),
            resolver: PinnedResolver(pool: .singleton, timeout: .seconds(1), ownAddresses: []),
            authenticator: credentials.isEmpty ? nil : ProxyAuthenticator(pairs: credentials),
            logger: Logger(label: "test")
        )
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
        try channel.pipeline.syncOperations.addHandler(EntryHandler(runtime: runtime))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        #expect(channel.isActive)
        return channel
    }

    func send(_ text: String, to channel: EmbeddedChannel) throws -> String {
        try channel.writeInbound(ByteBuffer(string: text))
        var out = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            out += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return out
    }

    @Test("a host that is not allowlisted gets 403 JSON and the connection closes")
    func denied() throws {
        let channel = try makeChannel()
        let response = try send(
            "CONNECT evil.example.com:443 HTTP/1.1\r\nHost: evil.example.com:443\r\n\r\n", to: channel)
        #expect(response.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(response.contains("x-airlock-denied: host_not_allowlisted\r\n"))
        #expect(
            response.hasSuffix(
                #"{"error":{"type":"airlock_denied","message":"Airlock refused this request: the destination host is not on the allowlist.","host":"evil.example.com","reason":"host_not_allowlisted"}}"#
            ))
        #expect(!channel.isActive)
    }

    @Test("an allowed inspect entry gets 200 and the pipeline waits for the TLS client hello")
    func intercepted() throws {
        let channel = try makeChannel()
        let response = try send("CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n", to: channel)
        #expect(response == "HTTP/1.1 200 Connection established\r\n\r\n")
        #expect(channel.isActive)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: EntryHandler.self) }
        #expect(throws: (any Error).self) {
            try channel.pipeline.syncOperations.handler(type: HTTPResponseEncoder.self)
        }
        _ = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<SNIHandler>.self)
    }

    @Test(
        "plain HTTP to an https-only entry is refused",
        arguments: ["POST http://api.openai.com/v1/x HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 0\r\n\r\n"])
    func absoluteForm(request: String) throws {
        let response = try send(request, to: try makeChannel())
        #expect(response.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(response.contains("scheme_not_allowed"))
    }

    @Test("origin-form requests are not proxy requests")
    func originForm() throws {
        let response = try send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", to: try makeChannel())
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(response.contains("not_a_proxy_request"))
    }

    @Test("proxy authentication: missing or wrong credentials get 407, right ones pass")
    func authentication() throws {
        let connect = "CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n"
        let missing = try send(connect + "\r\n", to: try makeChannel(credentials: ["alice:pw"]))
        #expect(missing.hasPrefix("HTTP/1.1 407 Proxy Authentication Required\r\n"))
        #expect(missing.contains("proxy-authenticate: Basic realm=\"airlock\"\r\n"))
        let wrong = try send(
            connect + "Proxy-Authorization: Basic \(Data("alice:nope".utf8).base64EncodedString())\r\n\r\n",
            to: try makeChannel(credentials: ["alice:pw"]))
        #expect(wrong.hasPrefix("HTTP/1.1 407"))
        let right = try send(
            connect + "Proxy-Authorization: Basic \(Data("alice:pw".utf8).base64EncodedString())\r\n\r\n",
            to: try makeChannel(credentials: ["alice:pw"]))
        #expect(right == "HTTP/1.1 200 Connection established\r\n\r\n")
    }

    @Test("a malformed proxy request gets 400 JSON")
    func malformed() throws {
        let channel = try makeChannel()
        let out = try send("NOT HTTP AT ALL\r\n\r\n", to: channel)
        #expect(!channel.isActive)
        #expect(out.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(out.contains("malformed_request"))
    }
}
