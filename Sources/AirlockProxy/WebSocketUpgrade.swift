import NIOHTTP1

/// The HTTP side of a WebSocket upgrade (RFC 6455 §4) through an inspected connection: which requests are one,
/// what the upstream is sent, and which 101 responses can be relayed.
enum WebSocketUpgrade {
    enum Check: Equatable {
        case webSocket
        /// `Upgrade` names another protocol (h2c, TLS…): its bytes could not be read.
        case otherProtocol
        /// A WebSocket upgrade that is not well formed; the text says what is wrong.
        case invalid(String)
    }

    /// Whether a request that carries `Upgrade` is a WebSocket opening handshake Airlock can relay.
    static func check(_ head: HTTPRequestHead) -> Check {
        let upgrades = head.headers["upgrade"]
        guard upgrades.count == 1, upgrades[0].trimmingASCIISpaces().utf8.equalsIgnoringASCIICase("websocket") else {
            return .otherProtocol
        }
        guard head.method == .GET, head.version == .http1_1 else {
            return .invalid("a WebSocket upgrade must be an HTTP/1.1 GET")
        }
        let connectionUpgrade = head.headers["connection"].contains { value in
            value.split(separator: ",").contains { $0.trimmingASCIISpaces().utf8.equalsIgnoringASCIICase("upgrade") }
        }
        guard connectionUpgrade else { return .invalid("a WebSocket upgrade must carry Connection: Upgrade") }
        guard head.headers["sec-websocket-key"].count == 1 else {
            return .invalid("a WebSocket upgrade must carry one Sec-WebSocket-Key")
        }
        guard head.headers["sec-websocket-version"] == ["13"] else {
            return .invalid("only WebSocket version 13 is relayed")
        }
        let length = head.headers["content-length"]
        guard head.headers["transfer-encoding"].isEmpty, length.isEmpty || length == ["0"] else {
            return .invalid("a WebSocket upgrade has no body")
        }
        return .webSocket
    }

    /// The upgrade as the upstream gets it (hop-by-hop headers already removed): asking for the switch again, and
    /// without the compression offer, so that every message stays readable.
    static func prepareUpstreamRequest(_ headers: inout HTTPHeaders) {
        headers.remove(name: "sec-websocket-extensions")
        headers.add(name: "connection", value: "Upgrade")
        headers.add(name: "upgrade", value: "websocket")
    }

    /// Why a 101 response cannot be relayed: it switched to something else, or turned on an extension that was
    /// not offered (whose frames could not be read).
    static func problem(inResponse headers: HTTPHeaders) -> String? {
        let upgrades = headers["upgrade"]
        guard upgrades.count == 1, upgrades[0].trimmingASCIISpaces().utf8.equalsIgnoringASCIICase("websocket") else {
            return "the upstream server switched to a protocol other than WebSocket"
        }
        if headers.contains(name: "sec-websocket-extensions") {
            return "the upstream server turned on a WebSocket extension that was not offered"
        }
        return nil
    }
}
