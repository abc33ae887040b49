import NIOHTTP1

/// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection and are never passed on.
package enum HopByHop {
    static let names: [StaticString] = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// Exact and ASCII case-insensitive, without lowercasing copies: this runs for every header of every request
    /// and response.
    static func isHopByHop(_ name: some StringProtocol) -> Bool {
        switch name.utf8.count {
        case 2, 7, 10, 16, 17, 18, 19: names.contains { name.utf8.equalsIgnoringASCIICase($0) }
        default: false
        }
    }

    package static func strip(_ headers: inout HTTPHeaders) { strip(&headers, keeping: nil) }

    /// Responses keep Transfer-Encoding so that the encoder re-frames chunked bodies as they stream.
    package static func stripResponse(_ headers: inout HTTPHeaders) { strip(&headers, keeping: "transfer-encoding") }

    /// Removes the hop-by-hop headers and every header the `Connection` header names, in place. Names that are
    /// hop-by-hop anyway (`Connection: keep-alive`, the common case) are not collected twice.
    private static func strip(_ headers: inout HTTPHeaders, keeping kept: StaticString?) {
        var doomed: [String] = []
        for (name, value) in headers where isHopByHop(name) {
            if kept.map({ name.utf8.equalsIgnoringASCIICase($0) }) != true { doomed.append(name) }
            guard name.utf8.equalsIgnoringASCIICase("connection") else { continue }
            var rest = Substring(value)
            while !rest.isEmpty {
                let comma = rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
                let option = rest[..<comma].trimmingASCIISpaces()
                if !option.isEmpty && !isHopByHop(option) { doomed.append(String(option)) }
                rest = comma == rest.endIndex ? "" : rest[rest.utf8.index(after: comma)...]
            }
        }
        for name in doomed { headers.remove(name: name) }
    }
}

extension HTTPHeaders {
    /// Whether the headers hold exactly one Content-Length, and it is `length` written plainly, so the header
    /// can be forwarded as it is. Chunked requests and rewritten bodies get a fresh one.
    package func hasOnlyContentLength(_ length: Int) -> Bool {
        var found = false
        for (name, value) in self {
            if name.utf8.equalsIgnoringASCIICase("transfer-encoding") { return false }
            guard name.utf8.equalsIgnoringASCIICase("content-length") else { continue }
            let digits = value.utf8.allSatisfy { $0 &- UInt8(ascii: "0") < 10 }
            if found || !digits || value.utf8.first == UInt8(ascii: "0") && value.utf8.count > 1 || Int(value) != length
            {
                return false
            }
            found = true
        }
        return found
    }
}
