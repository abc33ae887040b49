import AirlockScrub

/// The AI provider an allowlist entry speaks for; decides the error shape clients see and how payloads are read.
public enum Provider: String, Sendable, Hashable, CaseIterable {
    case openai, anthropic, gemini
}

/// One endpoint Airlock may reach, and how.
public struct AllowlistEntry: Sendable, Hashable {
    /// What the entry's `host` names.
    public enum HostPattern: Sendable, Hashable {
        /// Exactly this host.
        case exact(HostName)
        /// Any host strictly below this domain (`*.example.com`), never the domain itself.
        case wildcard(HostName)
        /// An IP literal, allowed only because an entry lists it.
        case ipLiteral(IPAddress)
    }

    public enum Scheme: String, Sendable, Hashable, CaseIterable { case https, http }

    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Terminate TLS, inspect and scrub each request.
        case inspect
        /// Relay bytes without reading them.
        case tunnel
    }

    public var host: HostPattern
    public var ports: [Int]
    public var scheme: Scheme
    /// Allowed methods, uppercase; nil allows all.
    public var methods: Set<String>?
    /// Allowed path prefixes; nil allows all.
    public var paths: [String]?
    public var mode: Mode
    public var provider: Provider?
    public var purpose: String
    public var location: SourceLocation
    /// Why the entry needs ports other than 443, when it does.
    public var portReason: String?
    /// The host exactly as the file wrote it, and where; for hygiene findings.
    public var hostText: String
    public var hostLocation: SourceLocation
    public var portsLocation: SourceLocation?
    /// Per-entry scrubber actions; nil keeps the global `scrub` setting.
    package var scrubSecrets: ScrubAction?
    package var scrubCode: ScrubAction?
    package var scrubBinary: ScrubAction?

    public init(
        host: HostPattern,
        ports: [Int] = [443],
        scheme: Scheme = .https,
        methods: Set<String>? = nil,
        paths: [String]? = nil,
        mode: Mode = .inspect,
        provider: Provider? = nil,
        purpose: String,
        location: SourceLocation,
        portReason: String? = nil,
        hostText: String? = nil,
        hostLocation: SourceLocation? = nil,
        portsLocation: SourceLocation? = nil
    ) {
        self.host = host
        self.ports = ports
        self.scheme = scheme
        self.methods = methods
        self.paths = paths
        self.mode = mode
        self.provider = provider
        self.purpose = purpose
        self.location = location
        self.portReason = portReason
        self.hostText = hostText ?? ""
        self.hostLocation = hostLocation ?? location
        self.portsLocation = portsLocation
        if self.hostText.isEmpty { self.hostText = hostPattern }
    }

    /// The host as written in normal form: `api.openai.com`, `*.example.com`, `192.0.2.1`.
    public var hostPattern: String {
        switch host {
        case .exact(let h): h.value
        case .wildcard(let h): "*." + h.value
        case .ipLiteral(let a): a.description
        }
    }

    /// Checks one request inside an accepted connection against the entry's method and path rules.
    public func permits(method: String, path: String) -> DenyReason? {
        if let methods, !methods.contains(method.uppercased()) { return .methodNotAllowed }
        guard RequestPath.isCanonical(path) else { return .pathNotCanonical }
        if let paths {
            let bare = RequestPath.withoutQuery(path)
            guard paths.contains(where: { RequestPath.hasPrefix(bare, $0) }) else { return .pathNotAllowed }
        }
        return nil
    }
}

/// Why Airlock refused something. The raw values are stable codes used in headers, logs and the ledger.
public enum DenyReason: String, Sendable, Hashable, CaseIterable, Error {
    case hostNotAllowlisted = "host_not_allowlisted"
    case portNotAllowed = "port_not_allowed"
    case schemeNotAllowed = "scheme_not_allowed"
    case ipLiteralNotAllowed = "ip_literal_not_allowed"
    case invalidHost = "invalid_host"
    case methodNotAllowed = "method_not_allowed"
    case pathNotAllowed = "path_not_allowed"
    case pathNotCanonical = "path_not_canonical"
    case sniMissing = "sni_missing"
    case sniMismatch = "sni_mismatch"
    case hostHeaderMismatch = "host_header_mismatch"
    case addressRestricted = "address_restricted"
    case proxyAuthenticationRequired = "proxy_auth_required"

    public var explanation: String {
        switch self {
        case .hostNotAllowlisted: "the destination host is not on the allowlist"
        case .portNotAllowed: "the destination port is not allowed for this host"
        case .schemeNotAllowed: "this scheme is not allowed for this host"
        case .ipLiteralNotAllowed: "IP-literal destinations are refused unless an allowlist entry lists the address"
        case .invalidHost: "the destination is not a valid host name"
        case .methodNotAllowed: "the request method is not allowed for this host"
        case .pathNotAllowed: "the request path is not allowed for this host"
        case .pathNotCanonical: "the request path contains dot segments or encoded separators"
        case .sniMissing: "the TLS client hello carried no server name"
        case .sniMismatch: "the TLS server name does not match the CONNECT host"
        case .hostHeaderMismatch: "the Host header does not match the CONNECT host"
        case .addressRestricted: "the destination resolves to a non-public address"
        case .proxyAuthenticationRequired: "proxy authentication is required"
        }
    }
}

/// Path checks shared by the proxy and the allowlist rules.
public enum RequestPath {
    public static func withoutQuery(_ path: String) -> Substring {
        path.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }).map { path[..<$0] }
            ?? path[...]
    }

    /// Origin-form, no dot segments, no backslashes, and no percent-encoded dots, slashes, backslashes or NULs,
    /// so that a prefix rule means the same thing to Airlock and to the upstream server. One pass over the bytes.
    public static func isCanonical(_ path: String) -> Bool {
        var utf8 = path.utf8[...]
        guard utf8.first == UInt8(ascii: "/") else { return false }
        if let end = utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            utf8 = utf8[..<end]
        }
        var segmentDots = 0  // dots since the last slash, or -1 once the segment has anything else
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "/"):
                if segmentDots == 1 || segmentDots == 2 { return false }
                segmentDots = 0
            case UInt8(ascii: "."):
                if segmentDots >= 0 { segmentDots += 1 }
            case UInt8(ascii: "\\"):
                return false
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next() else { return false }
                switch (high | 0x20, low | 0x20) {
                case (UInt8(ascii: "2"), UInt8(ascii: "e")), (UInt8(ascii: "2"), UInt8(ascii: "f")),
                    (UInt8(ascii: "5"), UInt8(ascii: "c")), (UInt8(ascii: "0"), UInt8(ascii: "0")):
                    return false
                default:
                    segmentDots = -1
                }
            default:
                segmentDots = -1
            }
        }
        return segmentDots != 1 && segmentDots != 2
    }

    /// The path for logs and records: no query or fragment, and every opaque token replaced by `{id}`, so that
    /// identifiers and credentials some APIs carry in paths (`/bot<token>/…`, file and object ids, UUIDs) are not
    /// kept. A token is opaque when it holds a run of 16 or more letters and digits mixing both, or is 20 or more
    /// characters of hex digits and dashes. Tokens are split at `/` and `:`, so readable names survive:
    /// `gemini-2.0-flash-001:generateContent`, `chat/completions`.
    public static func redactedForLog(_ path: String) -> String {
        let bare = withoutQuery(path)
        let redacted =
            bare.utf8.withContiguousStorageIfAvailable(redacted)
            ?? Array(bare.utf8).withUnsafeBufferPointer(redacted)
        // Most paths have nothing to replace and are returned as they are.
        return redacted ?? String(bare)
    }

    /// The bytes with every opaque segment replaced by `{id}`, or nil when no segment is opaque.
    private static func redacted(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        var copied = 0
        var tokenStart = 0
        for index in 0...bytes.count {
            guard index == bytes.count || bytes[index] == UInt8(ascii: "/") || bytes[index] == UInt8(ascii: ":")
            else { continue }
            if isOpaque(UnsafeBufferPointer(rebasing: bytes[tokenStart..<index])) {
                if out.isEmpty { out.reserveCapacity(bytes.count) }
                out += bytes[copied..<tokenStart]
                out += "{id}".utf8
                copied = index
            }
            tokenStart = index + 1
        }
        guard copied > 0 else { return nil }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    static func isOpaque(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        var run = 0
        var runLetters = false
        var runDigits = false
        var hexOnly = true
        var hexDigits = 0
        for byte in token {
            let isDigit = byte &- UInt8(ascii: "0") < 10
            let lower = byte | 0x20
            let isLetter = lower &- UInt8(ascii: "a") < 26
            if isDigit || lower &- UInt8(ascii: "a") < 6 {
                hexDigits += 1
            } else if byte != UInt8(ascii: "-") {
                hexOnly = false
            }
            if isDigit || isLetter {
                run += 1
                runLetters = runLetters || isLetter
                runDigits = runDigits || isDigit
                if run >= 16 && runLetters && runDigits { return true }
            } else {
                (run, runLetters, runDigits) = (0, false, false)
            }
        }
        return hexOnly && token.count >= 20 && hexDigits >= 16
    }

    /// Prefix match on whole segments when the prefix ends without a slash: `/v1` covers `/v1` and `/v1/x`, not `/v10`.
    public static func hasPrefix(_ path: Substring, _ prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.count == prefix.count { return true }
        let next = path[path.index(path.startIndex, offsetBy: prefix.count)]
        return next == "/"
    }
}

/// A merged set of allowlist entries; deny by default.
public struct Allowlist: Sendable {
    public let entries: [AllowlistEntry]
    private let exact: [HostName: [AllowlistEntry]]
    private let wildcards: [(domain: HostName, entry: AllowlistEntry)]
    private let literals: [IPAddress: [AllowlistEntry]]

    public init(entries: [AllowlistEntry]) {
        self.entries = entries
        var exact: [HostName: [AllowlistEntry]] = [:]
        var wildcards: [(HostName, AllowlistEntry)] = []
        var literals: [IPAddress: [AllowlistEntry]] = [:]
        for entry in entries {
            switch entry.host {
            case .exact(let h): exact[h, default: []].append(entry)
            case .wildcard(let d): wildcards.append((d, entry))
            case .ipLiteral(let a): literals[a, default: []].append(entry)
            }
        }
        // Most specific wildcard first.
        self.wildcards = wildcards.sorted { $0.0.value.count > $1.0.value.count }.map { (domain: $0.0, entry: $0.1) }
        self.exact = exact
        self.literals = literals
    }

    /// The outcome of matching a destination.
    public enum Match: Sendable {
        case allowed(AllowlistEntry, host: String)
        case denied(DenyReason, host: String)
    }

    /// Matches a destination named by a CONNECT line or an absolute-form request.
    public func match(host rawHost: String, port: Int, scheme: AllowlistEntry.Scheme) -> Match {
        var candidates: [AllowlistEntry]
        let normalized: String
        if let address = IPAddress(parsing: rawHost) {
            normalized = address.description
            candidates = literals[address] ?? []
            if candidates.isEmpty { return .denied(.ipLiteralNotAllowed, host: normalized) }
        } else {
            guard let name = try? HostName(rawHost) else { return .denied(.invalidHost, host: "") }
            normalized = name.value
            candidates = exact[name] ?? []
            if candidates.isEmpty {
                // Only the most specific matching wildcard domain applies.
                if let first = wildcards.first(where: { Allowlist.isStrictSubdomain(name.value, of: $0.domain.value) })
                {
                    candidates = wildcards.filter { $0.domain == first.domain }.map(\.entry)
                }
            }
            if candidates.isEmpty { return .denied(.hostNotAllowlisted, host: normalized) }
        }
        let schemeMatches = candidates.filter { $0.scheme == scheme }
        if schemeMatches.isEmpty { return .denied(.schemeNotAllowed, host: normalized) }
        guard let entry = schemeMatches.first(where: { $0.ports.contains(port) }) else {
            return .denied(.portNotAllowed, host: normalized)
        }
        return .allowed(entry, host: normalized)
    }

    static func isStrictSubdomain(_ host: String, of domain: String) -> Bool {
        host.count > domain.count + 1 && host.hasSuffix(domain)
            && host.utf8.dropLast(domain.utf8.count).last == UInt8(ascii: ".")
    }
}
