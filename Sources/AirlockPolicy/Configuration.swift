import AirlockScrub

/// A `host:port` pair; IPv6 hosts are written in brackets.
public struct HostPort: Hashable, Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port`.
    public init?(parsing text: String) {
        guard let (host, port) = HostPort.split(Substring(text)), let port, let host else { return nil }
        self.init(host: host, port: port)
    }

    /// Splits `host:port` where either side may be empty (curl's `--connect-to` allows that).
    package static func split(_ text: Substring) -> (String?, Int?)? {
        var host: Substring
        var rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            rest = text[text.index(after: colon)...]
        }
        var port: Int?
        if !rest.isEmpty {
            guard let p = Int(rest), (0...65535).contains(p) else { return nil }
            port = p
        }
        return (host.isEmpty ? nil : String(host), port)
    }

    public var isLoopback: Bool {
        if host == "localhost" { return true }
        guard let address = IPAddress(parsing: host) else { return false }
        return AddressClassifier.restriction(for: address) == .loopback
    }
}

extension HostPort: CustomStringConvertible {
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A curl-style `--connect-to HOST:PORT:ADDR:PORT2` rule: requests for HOST:PORT go to ADDR:PORT2.
/// An empty HOST or PORT matches any; an empty PORT2 keeps the original port.
public struct ConnectToRule: Hashable, Sendable {
    public var host: String?
    public var port: Int?
    public var targetHost: String
    public var targetPort: Int?

    public init(host: String?, port: Int?, targetHost: String, targetPort: Int?) {
        self.host = host
        self.port = port
        self.targetHost = targetHost
        self.targetPort = targetPort
    }

    public init?(parsing text: String) {
        // Split into HOST:PORT and ADDR:PORT2 at the second unbracketed colon.
        var colons: [String.Index] = []
        var depth = 0
        for i in text.indices {
            switch text[i] {
            case "[": depth += 1
            case "]": depth -= 1
            case ":" where depth == 0: colons.append(i)
            default: break
            }
        }
        guard colons.count == 3 else { return nil }
        guard let (host, port) = HostPort.split(text[..<colons[1]]),
            let (target, targetPort) = HostPort.split(text[text.index(after: colons[1])...]),
            let target
        else { return nil }
        self.init(host: host.map { $0.lowercased() }, port: port, targetHost: target, targetPort: targetPort)
    }

    /// The address to use for `host:port`, when this rule applies.
    public func target(for host: String, port: Int) -> HostPort? {
        if let h = self.host, h != host { return nil }
        if let p = self.port, p != port { return nil }
        return HostPort(host: targetHost, port: targetPort ?? port)
    }
}

/// Everything `airlock serve` can be told; every property has a default that is safe on a developer machine.
public struct AirlockConfiguration: Sendable {
    /// Where the proxy listens. Non-loopback addresses require proxy authentication.
    public var listen = HostPort(host: "127.0.0.1", port: 8080)
    /// State directory (CA, keys, ledger); nil means `$AIRLOCK_HOME`, else `~/.airlock`.
    public var stateDirectory: String?
    /// Allowlist files or directories; relative paths are resolved against the configuration file's directory's parent.
    public var allowlistPaths: [String] = ["Allowlist"]
    public var limits = Limits()
    public var timeouts = Timeouts()
    public var upstream = Upstream()
    public var proxyAuthentication = ProxyAuthentication()
    /// What the scrubber does with secrets and code in inspected requests.
    package var scrub = ScrubPolicy()
    public var ledger = Ledger()
    /// The admin listener (`/healthz`, `/metrics`); nil turns it off.
    public var adminListen: HostPort? = HostPort(host: "127.0.0.1", port: 9479)

    /// The egress ledger.
    public struct Ledger: Sendable, Equatable {
        /// Record every request. Turning this off also removes the guarantee that nothing is forwarded unrecorded.
        public var enabled = true
        /// SQLite file; nil means `ledger.sqlite` in the state directory.
        public var path: String?
        /// Records older than this many seconds are pruned automatically (hourly).
        public var retention: Double = 30 * 86400
        /// A signed checkpoint every this many records…
        public var checkpointEvery = 1000
        /// …or this many seconds, whichever comes first, and on shutdown.
        public var checkpointInterval: Double = 60
        /// fsync every commit (survives power loss) instead of only surviving a process crash.
        public var synchronousFull = false
        public init() {}
    }
    public var logLevel = "info"
    /// The values `log_level` and `--log-level` accept, most verbose first.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// How log lines are written: `text` for a terminal, `json` (one object per line) for a log collector.
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }
    public var logFormat = LogFormat.text
    /// Event-loop threads; nil means `defaultThreads(cores:)`.
    public var threads: Int?

    /// Half the cores, at least one. Airlock runs beside the application it serves, and the work of a request is
    /// mostly system calls and TLS: on cores shared with the application, fewer event loops that each find more to
    /// do per wake-up cost less per request than one per core, which the scheduler keeps switching in and out.
    /// Large scans run on the scan pool (`scanThreads(cores:)`), not on the event loops, so they still use every
    /// core.
    public static func defaultThreads(cores: Int) -> Int { max(1, cores / 2) }

    /// Threads that scan large bodies and resolve names off the event loops: one per core, at least two.
    public static func scanThreads(cores: Int) -> Int { max(2, cores) }

    public init() {}

    /// Size limits.
    public struct Limits: Sendable, Equatable {
        /// Largest request body collected for inspection; larger requests get 413.
        public var maxRequestBody = 32 * 1024 * 1024
        /// Open client connections at once; further connections are closed at accept.
        public var maxConnections = 4096
        /// Request bodies and WebSocket messages held in memory at once, across all connections; a body that would
        /// pass it gets 503, a message is refused.
        public var maxBufferedBodies = 512 * 1024 * 1024
        public init() {}
    }

    /// Time limits, in seconds.
    public struct Timeouts: Sendable, Equatable {
        public var dns: Double = 5
        public var connect: Double = 10
        /// A connection or tunnel with no traffic for this long is closed.
        public var idle: Double = 120
        /// A client must send a complete request head within this time.
        public var requestHead: Double = 30
        /// The upstream must start its response within this time.
        public var upstreamResponse: Double = 300
        /// On SIGTERM/SIGINT, in-flight requests get this long to finish.
        public var shutdownGrace: Double = 10
        public init() {}
    }

    /// How Airlock reaches upstreams.
    public struct Upstream: Sendable, Equatable {
        public var connectTo: [ConnectToRule] = []
        /// An extra CA (PEM) trusted for upstream TLS, in addition to the system store.
        public var caFile: String?
        /// Idle keep-alive connections kept per upstream and event loop.
        public var maxIdleConnectionsPerHost = 64
        public init() {}

        public func connectTarget(host: String, port: Int) -> HostPort? {
            for rule in connectTo { if let t = rule.target(for: host, port: port) { return t } }
            return nil
        }
    }

    /// Proxy authentication (`Proxy-Authorization: Basic`). Credentials are `user:password` lines.
    public struct ProxyAuthentication: Sendable, Equatable {
        public var credentialsFile: String?
        /// Name of an environment variable holding `user:password` (one pair).
        public var credentialsEnvironmentVariable: String?
        public init() {}
        public var isConfigured: Bool { credentialsFile != nil || credentialsEnvironmentVariable != nil }
    }
}

extension AirlockConfiguration {
    /// The top-level keys, as the configuration file spells them, that `SIGHUP` cannot apply to a running proxy and
    /// whose values differ in `reloaded`: everything but `allowlist`, `scrub` and the proxy credentials (which are
    /// read again as long as authentication stays on). Only key names: a value may name an internal host or a file.
    public func keysNeedingRestart(toApply reloaded: AirlockConfiguration) -> [String] {
        var keys: [String] = []
        if listen != reloaded.listen { keys.append("listen") }
        if stateDirectory != reloaded.stateDirectory { keys.append("state_dir") }
        if limits != reloaded.limits { keys.append("limits") }
        if timeouts != reloaded.timeouts { keys.append("timeouts") }
        if upstream != reloaded.upstream { keys.append("upstream") }
        if proxyAuthentication.isConfigured != reloaded.proxyAuthentication.isConfigured { keys.append("proxy_auth") }
        if logLevel != reloaded.logLevel { keys.append("log_level") }
        if logFormat != reloaded.logFormat { keys.append("log_format") }
        if threads != reloaded.threads { keys.append("threads") }
        if ledger != reloaded.ledger { keys.append("ledger") }
        if adminListen != reloaded.adminListen { keys.append("admin_listen") }
        return keys
    }
}
