import AirlockScrub
import Foundation
import Yams

/// Reads `Config/airlock.yaml`-style files into an `AirlockConfiguration`.
public enum ConfigurationLoader {
    public static func load(path: String) throws(PolicyLoadError) -> AirlockConfiguration {
        let document = try YAMLDocument.read(path: path)
        var diagnostics: [PolicyDiagnostic] = []
        var config = AirlockConfiguration()
        let base = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        if let root = document.root {
            read(root, document: document, base: base, into: &config, diagnostics: &diagnostics)
        }
        let errors = diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { throw PolicyLoadError(errors) }
        return config
    }

    static func read(
        _ root: Node, document: YAMLDocument, base: String, into config: inout AirlockConfiguration,
        diagnostics: inout [PolicyDiagnostic]
    ) {
        guard
            var top = MappingReader(
                document: document, node: root, what: "the configuration", diagnostics: &diagnostics)
        else { return }
        defer { diagnostics += top.diagnostics }
        top.rejectUnknownKeys(
            [
                "listen", "state_dir", "allowlist", "limits", "timeouts", "upstream", "proxy_auth", "log_level",
                "log_format", "threads", "scrub", "ledger", "admin_listen",
            ], context: "the configuration")

        if let hp = top.parsed("listen", requirement: "'listen' must be HOST:PORT", HostPort.init(parsing:)) {
            config.listen = hp
        }
        if let node = top.value("state_dir"), node.null == nil, let text = top.string("state_dir") {
            config.stateDirectory = expandHome(text)
        }
        if let list = top.scalarList("allowlist") {
            config.allowlistPaths = list.map { resolve($0.0, base: base) }
        }
        if let node = top.value("limits"),
            var r = MappingReader(document: document, node: node, what: "'limits'", diagnostics: &top.diagnostics)
        {
            r.rejectUnknownKeys(
                ["max_request_body", "max_connections", "max_buffered_bodies"], context: "'limits'")
            if let v = byteSize(&r, "max_request_body") { config.limits.maxRequestBody = v }
            if let v = r.int("max_connections") { config.limits.maxConnections = v }
            if let v = byteSize(&r, "max_buffered_bodies") { config.limits.maxBufferedBodies = v }
            // Otherwise a body allowed by max_request_body could never be collected.
            if config.limits.maxBufferedBodies < config.limits.maxRequestBody {
                r.diagnostics.append(
                    .init(
                        rule: "config.invalid",
                        message: "'max_buffered_bodies' must be at least 'max_request_body'",
                        location: r.document.location(r.value("max_buffered_bodies") ?? r.value("max_request_body"))))
            }
            top.diagnostics += r.diagnostics
        }
        if let node = top.value("timeouts"),
            var r = MappingReader(document: document, node: node, what: "'timeouts'", diagnostics: &top.diagnostics)
        {
            r.rejectUnknownKeys(
                ["dns", "connect", "idle", "request_head", "upstream_response", "shutdown_grace"], context: "'timeouts'"
            )
            if let v = duration(&r, "dns") { config.timeouts.dns = v }
            if let v = duration(&r, "connect") { config.timeouts.connect = v }
            if let v = duration(&r, "idle") { config.timeouts.idle = v }
            if let v = duration(&r, "request_head") { config.timeouts.requestHead = v }
            if let v = duration(&r, "upstream_response") { config.timeouts.upstreamResponse = v }
            if let v = duration(&r, "shutdown_grace") { config.timeouts.shutdownGrace = v }
            top.diagnostics += r.diagnostics
        }
        if let node = top.value("upstream"),
            var r = MappingReader(document: document, node: node, what: "'upstream'", diagnostics: &top.diagnostics)
        {
            r.rejectUnknownKeys(["connect_to", "ca_file", "max_idle_connections_per_host"], context: "'upstream'")
            for (text, n) in r.scalarList("connect_to") ?? [] {
                if let rule = ConnectToRule(parsing: text) {
                    config.upstream.connectTo.append(rule)
                } else {
                    r.diagnostics.append(
                        .init(
                            rule: "config.invalid", message: "connect_to must be HOST:PORT:ADDR:PORT2",
                            location: document.location(n)))
                }
            }
            if let n = r.value("ca_file"), n.null == nil, let text = r.string("ca_file") {
                config.upstream.caFile = resolve(text, base: base)
            }
            if let v = r.int("max_idle_connections_per_host") { config.upstream.maxIdleConnectionsPerHost = v }
            top.diagnostics += r.diagnostics
        }
        if let node = top.value("proxy_auth"),
            var r = MappingReader(document: document, node: node, what: "'proxy_auth'", diagnostics: &top.diagnostics)
        {
            r.rejectUnknownKeys(["credentials_file", "credentials_env"], context: "'proxy_auth'")
            if let n = r.value("credentials_file"), n.null == nil, let text = r.string("credentials_file") {
                config.proxyAuthentication.credentialsFile = resolve(text, base: base)
            }
            if let n = r.value("credentials_env"), n.null == nil, let text = r.string("credentials_env") {
                config.proxyAuthentication.credentialsEnvironmentVariable = text
            }
            top.diagnostics += r.diagnostics
        }
        if let node = top.value("scrub"),
            var r = MappingReader(document: document, node: node, what: "'scrub'", diagnostics: &top.diagnostics)
        {
            r.rejectUnknownKeys(
                [
                    "secrets", "code", "binary", "code_includes_data_formats", "force_store_false", "drop_identifiers",
                    "max_depth", "time_budget", "findings_header",
                ], context: "'scrub'")
            if let v = action(&r, "secrets") { config.scrub.secrets = v }
            if let v = action(&r, "code") { config.scrub.code = v }
            if let v = action(&r, "binary", allowed: binaryActions) { config.scrub.binary = v }
            if let v = r.bool("code_includes_data_formats") { config.scrub.codeIncludesDataFormats = v }
            if let v = r.bool("force_store_false") { config.scrub.forceStoreFalse = v }
            if let v = r.bool("findings_header") { config.scrub.findingsHeader = v }
            if let v = r.bool("drop_identifiers") { config.scrub.dropIdentifiers = v }
            if let v = r.int("max_depth") {
                if (2...512).contains(v) {
                    config.scrub.maxDepth = v
                } else {
                    r.diagnostics.append(
                        .init(
                            rule: "config.invalid", message: "'max_depth' must be between 2 and 512",
                            location: document.location(r.value("max_depth"))))
                }
            }
            if let v = duration(&r, "time_budget") { config.scrub.timeBudget = .milliseconds(Int64(v * 1000)) }
            top.diagnostics += r.diagnostics
        }
        if let node = top.value("admin_listen") {
            if node.null != nil || top.string("admin_listen") == "off" {
                config.adminListen = nil
            } else if let text = top.string("admin_listen"), let hp = HostPort(parsing: text) {
                config.adminListen = hp
            } else {
                top.diagnostics.append(
                    .init(
                        rule: "config.invalid", message: "'admin_listen' must be HOST:PORT or off",
                        location: document.location(node)))
            }
        }
        if let node = top.value("ledger"),
            var r = MappingReader(document: document, node: node, what: "'ledger'", diagnostics: &top.diagnostics)
        {
            r.rejectUnknownKeys(
                ["enabled", "path", "retention", "checkpoint_every", "checkpoint_interval", "synchronous"],
                context: "'ledger'")
            if let v = r.bool("enabled") { config.ledger.enabled = v }
            if let n = r.value("path"), n.null == nil, let text = r.string("path") {
                config.ledger.path = resolve(text, base: base)
            }
            if let v = duration(&r, "retention") { config.ledger.retention = v }
            if let v = r.int("checkpoint_every"), v > 0 { config.ledger.checkpointEvery = v }
            if let v = duration(&r, "checkpoint_interval") { config.ledger.checkpointInterval = v }
            if let text = r.string("synchronous") {
                if text == "full" || text == "normal" {
                    config.ledger.synchronousFull = text == "full"
                } else {
                    r.diagnostics.append(
                        .init(
                            rule: "config.invalid", message: "'synchronous' must be normal or full",
                            location: document.location(r.value("synchronous"))))
                }
            }
            top.diagnostics += r.diagnostics
        }
        if let node = top.value("threads"), node.null == nil, let threads = top.int("threads") {
            if threads >= 1 {
                config.threads = threads
            } else {
                top.diagnostics.append(
                    .init(
                        rule: "config.invalid", message: "'threads' must be at least 1",
                        location: document.location(node)))
            }
        }
        let levels = AirlockConfiguration.logLevels
        if let level = top.parsed(
            "log_level", requirement: "'log_level' must be one of \(levels.joined(separator: ", "))",
            { levels.contains($0) ? $0 : nil })
        {
            config.logLevel = level
        }
        if let format = top.parsed(
            "log_format", requirement: "'log_format' must be text or json",
            AirlockConfiguration.LogFormat.init(rawValue:))
        {
            config.logFormat = format
        }
    }

    static func expandHome(_ path: String) -> String {
        guard path.hasPrefix("~") else { return path }
        return NSHomeDirectory() + path.dropFirst()
    }

    static func resolve(_ path: String, base: String) -> String {
        let expanded = expandHome(path)
        if expanded.hasPrefix("/") || base.isEmpty { return expanded }
        return (base as NSString).appendingPathComponent(expanded)
    }

    static func byteSize(_ r: inout MappingReader, _ key: String) -> Int? {
        guard let text = r.string(key) else { return nil }
        guard let v = Units.parseByteSize(text) else {
            r.diagnostics.append(
                .init(
                    rule: "config.invalid", message: "'\(key)' must be a size such as 32MiB",
                    location: r.document.location(r.value(key))))
            return nil
        }
        return v
    }

    /// A scrub action. `binary` allows only `monitor` and `block`: a binary part has nothing to be redacted to.
    static func action(
        _ r: inout MappingReader, _ key: String, allowed: [ScrubAction] = ScrubAction.allCases
    ) -> ScrubAction? {
        guard let text = r.string(key) else { return nil }
        guard let action = ScrubAction(rawValue: text), allowed.contains(action) else {
            let names = allowed.map(\.rawValue)
            r.diagnostics.append(
                .init(
                    rule: "config.invalid",
                    message: "'\(key)' must be \(names.dropLast().joined(separator: ", ")) or \(names.last!)",
                    location: r.document.location(r.value(key))))
            return nil
        }
        return action
    }

    static let binaryActions: [ScrubAction] = [.monitor, .block]

    static func duration(_ r: inout MappingReader, _ key: String) -> Double? {
        guard let text = r.string(key) else { return nil }
        guard let v = Units.parseDuration(text) else {
            r.diagnostics.append(
                .init(
                    rule: "config.invalid", message: "'\(key)' must be a duration such as 10s, 500ms, 5m, 30d",
                    location: r.document.location(r.value(key))))
            return nil
        }
        return v
    }
}

/// Parsers for the human units used in configuration and on the command line.
public enum Units {
    /// `1024`, `64KiB`, `32MiB`, `1GiB`, `10MB`.
    public static func parseByteSize(_ text: String) -> Int? {
        let t = text.replacingOccurrences(of: " ", with: "")
        let units: [(String, Int)] = [
            ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000),
            ("KB", 1000), ("B", 1),
        ]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let n = Int(t.dropLast(suffix.count)), n >= 0 else { return nil }
            return n * factor
        }
        guard let n = Int(t), n >= 0 else { return nil }
        return n
    }

    /// `500ms`, `10s`, `5m`, `2h`, `30d`; a bare number is seconds. Returns seconds.
    public static func parseDuration(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let n = Double(t.dropLast(suffix.count)), n >= 0 else { return nil }
            return n * factor
        }
        guard let n = Double(t), n >= 0 else { return nil }
        return n
    }
}
