import AirlockPolicy
import AirlockScrub
import Foundation
import Testing

@Suite("Allowlist matching")
struct AllowlistMatchingTests {
    static let yaml = """
        version: 1
        entries:
          - host: api.openai.com
            provider: openai
            purpose: OpenAI API
          - host: "*.example.com"
            ports: [443, 8443]
            purpose: Everything below example.com
          - host: münchen.example
            purpose: An internationalised name
          - host: 203.0.113.7
            purpose: A listed IP literal
          - host: plain.test
            scheme: http
            ports: [80]
            purpose: Plain HTTP on purpose
          - host: narrow.test
            methods: [post]
            paths: [/v1/, /health]
            purpose: Restricted methods and paths
        """

    let allowlist: Allowlist = {
        let result = AllowlistLoader.parse(text: yaml, file: "test.yaml")
        precondition(result.errors.isEmpty, "\(result.errors)")
        return Allowlist(entries: result.entries)
    }()

    func reason(_ host: String, _ port: Int = 443, _ scheme: AllowlistEntry.Scheme = .https) -> String {
        switch allowlist.match(host: host, port: port, scheme: scheme) {
        case .allowed: "allowed"
        case .denied(let reason, _): reason.rawValue
        }
    }

    @Test("exact hosts, case and trailing dot")
    func exact() {
        #expect(reason("api.openai.com") == "allowed")
        #expect(reason("API.OpenAI.COM") == "allowed")
        #expect(reason("api.openai.com.") == "allowed")
        #expect(reason("api.openai.com.evil.com") == "host_not_allowlisted")
        #expect(reason("apixopenai.com") == "host_not_allowlisted")
        #expect(reason("xapi.openai.com") == "host_not_allowlisted")
        #expect(reason("openai.com") == "host_not_allowlisted")
    }

    @Test("a wildcard covers subdomains but never the apex")
    func wildcard() {
        #expect(reason("a.example.com") == "allowed")
        #expect(reason("deep.a.example.com") == "allowed")
        #expect(reason("example.com") == "host_not_allowlisted")
        #expect(reason("badexample.com") == "host_not_allowlisted")
        #expect(reason("a.example.com", 8443) == "allowed")
    }

    @Test("ports must be listed")
    func ports() {
        #expect(reason("api.openai.com", 8443) == "port_not_allowed")
        #expect(reason("api.openai.com", 80) == "port_not_allowed")
        #expect(reason("a.example.com", 444) == "port_not_allowed")
    }

    @Test("IDN hosts match in their A-label form")
    func idn() {
        #expect(reason("xn--mnchen-3ya.example") == "allowed")
        #expect(reason("MÜNCHEN.example") == "allowed")
        #expect(reason("munchen.example") == "host_not_allowlisted")
    }

    @Test("IP literals are refused unless listed, in every spelling")
    func literals() {
        for host in [
            "127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "::ffff:127.0.0.1",
            "[::ffff:127.0.0.1]", "169.254.169.254", "8.8.8.8",
        ] {
            #expect(reason(host) == "ip_literal_not_allowed", "\(host)")
        }
        #expect(reason("203.0.113.7") == "allowed")
        #expect(reason("3405803783") == "allowed")  // 203.0.113.7 as one number
    }

    @Test("schemes: only entries that say http allow plain HTTP")
    func schemes() {
        #expect(reason("api.openai.com", 80, .http) == "scheme_not_allowed")
        #expect(reason("plain.test", 80, .http) == "allowed")
        #expect(reason("plain.test", 443, .https) == "scheme_not_allowed")
    }

    @Test("invalid names are refused")
    func invalid() {
        #expect(reason("under_score.test") == "invalid_host")
        #expect(reason("a..b") == "invalid_host")
        #expect(reason("") == "invalid_host")
    }

    @Test("method and path rules")
    func methodsAndPaths() throws {
        guard case .allowed(let entry, _) = allowlist.match(host: "narrow.test", port: 443, scheme: .https) else {
            Issue.record("narrow.test should match")
            return
        }
        #expect(entry.permits(method: "POST", path: "/v1/chat?x=1") == nil)
        #expect(entry.permits(method: "post", path: "/health") == nil)
        #expect(entry.permits(method: "POST", path: "/healthz") == .pathNotAllowed)
        #expect(entry.permits(method: "GET", path: "/v1/chat") == .methodNotAllowed)
        #expect(entry.permits(method: "POST", path: "/admin") == .pathNotAllowed)
        #expect(entry.permits(method: "POST", path: "/v1/../admin") == .pathNotCanonical)
        #expect(entry.permits(method: "POST", path: "/v1/%2E%2E/admin") == .pathNotCanonical)
        #expect(entry.permits(method: "POST", path: "/v1/a%2fb") == .pathNotCanonical)
    }
}

@Suite("Allowlist loading")
struct AllowlistLoadingTests {
    func diagnostics(_ yaml: String) -> [PolicyDiagnostic] {
        AllowlistLoader.parse(text: yaml, file: "f.yaml").diagnostics
    }

    @Test("problems name the rule, line and column")
    func locations() throws {
        let found = diagnostics(
            """
            version: 1
            entries:
              - host: api.openai.com
                mode: sideways
                purpose: x
            """)
        let unknownMode = try #require(found.first { $0.rule == "schema.unknown-mode" })
        #expect(unknownMode.location.line == 4)
        #expect(unknownMode.location.column == 11)
    }

    @Test(
        "each schema problem is reported",
        arguments: [
            ("  - host: a.test\n    purpose: ok\n    colour: red\n", "schema.unknown-key"),
            ("  - host: a.test\n", "schema.missing-purpose"),
            ("  - host: a.test\n    purpose: TODO\n", "schema.placeholder-purpose"),
            ("  - host: '*'\n    purpose: everything\n", "breadth.bare-wildcard"),
            ("  - host: bad_host.test\n    purpose: underscore\n", "schema.invalid-host"),
            ("  - host: a..test\n    purpose: empty label\n", "schema.invalid-host"),
            ("  - host: a.test\n    ports: [0]\n    purpose: zero\n", "schema.invalid-port"),
            ("  - host: a.test\n    ports: [70000]\n    purpose: big\n", "schema.invalid-port"),
            ("  - host: a.test\n    scheme: ftp\n    purpose: ftp\n", "schema.unknown-scheme"),
            ("  - host: a.test\n    provider: acme\n    purpose: acme\n", "schema.unknown-provider"),
            ("  - purpose: no host\n", "schema.missing-host"),
            ("  - host: https://a.test/x\n    purpose: url\n", "schema.invalid-host"),
        ]
    )
    func schema(entries: String, rule: String) {
        let found = diagnostics("version: 1\nentries:\n" + entries)
        #expect(found.contains { $0.rule == rule && $0.severity == .error }, "\(found)")
    }

    @Test("a YAML syntax error has a location")
    func syntax() throws {
        let found = diagnostics("version: 1\nentries:\n  - host: [unclosed\n")
        let error = try #require(found.first)
        #expect(error.rule == "yaml.syntax")
        #expect(error.location.line >= 3)
    }

    @Test("scrub overrides per entry; binary parts may be monitored or blocked, never redacted")
    func scrubOverrides() throws {
        let yaml = """
            version: 1
            entries:
              - host: api.openai.com
                provider: openai
                scrub: {secrets: block, code: monitor, binary: block}
                purpose: Chat completions for the support assistant
            """
        let result = AllowlistLoader.parse(text: yaml, file: "f.yaml")
        #expect(result.errors.isEmpty)
        let entry = try #require(result.entries.first)
        #expect(entry.scrubSecrets == .block && entry.scrubCode == .monitor && entry.scrubBinary == .block)

        let redact = diagnostics(yaml.replacingOccurrences(of: "binary: block", with: "binary: redact"))
        #expect(redact.contains { $0.rule == "config.invalid" && $0.message == "'binary' must be monitor or block" })
        let erase = diagnostics(yaml.replacingOccurrences(of: "secrets: block", with: "secrets: erase"))
        #expect(erase.contains { $0.message == "'secrets' must be redact, block or monitor" })
    }

    /// Loads `text` as a configuration file.
    func loadConfiguration(_ text: String) throws -> AirlockConfiguration {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-config-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return try ConfigurationLoader.load(path: file)
    }

    @Test("the configuration's scrub.binary: monitor by default, block when set, redact refused")
    func configurationBinary() throws {
        #expect(try loadConfiguration("listen: 127.0.0.1:0\n").scrub.binary == .monitor)
        #expect(try loadConfiguration("scrub:\n  binary: block\n").scrub.binary == .block)
        #expect(throws: PolicyLoadError.self) { try loadConfiguration("scrub:\n  binary: redact\n") }
    }

    @Test("the configuration's log_format: text by default, json when set, anything else refused with its line")
    func configurationLogFormat() throws {
        #expect(try loadConfiguration("listen: 127.0.0.1:0\n").logFormat == .text)
        #expect(try loadConfiguration("log_format: json\n").logFormat == .json)
        let error = try #require(throws: PolicyLoadError.self) {
            try loadConfiguration("threads: 2\nlog_format: xml\n")
        }
        #expect(
            error.diagnostics.contains {
                $0.rule == "config.invalid" && $0.message == "'log_format' must be text or json"
                    && $0.location.line == 2
            })
    }

    @Test("limits.max_buffered_bodies: 512 MiB unless set, and never below max_request_body")
    func bufferedBodies() throws {
        #expect(try loadConfiguration("listen: 127.0.0.1:0\n").limits.maxBufferedBodies == 512 << 20)
        #expect(try loadConfiguration("limits:\n  max_buffered_bodies: 1GiB\n").limits.maxBufferedBodies == 1 << 30)
        let error = try #require(throws: PolicyLoadError.self) {
            try loadConfiguration("limits:\n  max_request_body: 64MiB\n  max_buffered_bodies: 32MiB\n")
        }
        #expect(
            error.diagnostics.contains {
                $0.message == "'max_buffered_bodies' must be at least 'max_request_body'" && $0.location.line == 3
            })
        // A smaller request limit alone is fine; a larger one must come with a budget that holds it.
        #expect(try loadConfiguration("limits:\n  max_request_body: 1MiB\n").limits.maxBufferedBodies == 512 << 20)
        #expect(throws: PolicyLoadError.self) { try loadConfiguration("limits:\n  max_request_body: 1GiB\n") }
    }

    @Test("threads: half the cores as event loops unless set, and a scan pool of one thread per core")
    func threadDefaults() throws {
        #expect(try loadConfiguration("listen: 127.0.0.1:0\n").threads == nil)
        #expect(try loadConfiguration("threads: 3\n").threads == 3)
        #expect(throws: PolicyLoadError.self) { try loadConfiguration("threads: 0\n") }
        let loops = [1, 2, 3, 4, 16].map { AirlockConfiguration.defaultThreads(cores: $0) }
        #expect(loops == [1, 1, 1, 2, 8])
        let scanners = [1, 2, 3, 4, 16].map { AirlockConfiguration.scanThreads(cores: $0) }
        #expect(scanners == [2, 2, 3, 4, 16])
    }

    @Test("a reload names the keys it cannot apply that changed, and only those")
    func keysNeedingRestart() throws {
        let started = try loadConfiguration(
            "limits:\n  max_request_body: 1MiB\nproxy_auth:\n  credentials_file: /etc/airlock/creds\n")
        // What SIGHUP applies (allowlists, scrub, where the credentials are read from) needs no restart.
        let reloadable = try loadConfiguration(
            "allowlist: [elsewhere]\nscrub:\n  secrets: block\nlimits:\n  max_request_body: 1MiB\n"
                + "proxy_auth:\n  credentials_file: /etc/airlock/rotated\n")
        #expect(started.keysNeedingRestart(toApply: reloadable) == [])
        let changed = try loadConfiguration(
            "listen: 127.0.0.1:9\nlimits:\n  max_request_body: 2MiB\ntimeouts:\n  idle: 5s\n"
                + "upstream:\n  connect_to: ['a:443:127.0.0.1:8443']\nlog_level: debug\nledger:\n  retention: 7d\n"
                + "admin_listen: off\nthreads: 1\n")
        #expect(
            started.keysNeedingRestart(toApply: changed) == [
                "listen", "limits", "timeouts", "upstream", "proxy_auth", "log_level", "threads", "ledger",
                "admin_listen",
            ])
    }

    @Test("the shipped allowlist loads and inspects the three providers")
    func shipped() throws {
        let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let allowlist = try AllowlistLoader.load(paths: ["/" + root + "/Allowlist"])
        for (host, provider) in [
            ("api.openai.com", Provider.openai), ("api.anthropic.com", .anthropic),
            ("generativelanguage.googleapis.com", .gemini),
        ] {
            guard case .allowed(let entry, _) = allowlist.match(host: host, port: 443, scheme: .https) else {
                Issue.record("\(host) not allowed")
                continue
            }
            #expect(entry.mode == .inspect)
            #expect(entry.provider == provider)
            #expect(!entry.purpose.isEmpty)
        }
    }
}

@Suite("Paths in logs")
struct LoggedPathTests {
    @Test(
        "opaque tokens become {id}; names stay readable",
        arguments: [
            ("/v1/chat/completions?key=abc", "/v1/chat/completions"),
            (
                "/v1beta/models/gemini-2.0-flash-thinking-exp-01-21:streamGenerateContent",
                "/v1beta/models/gemini-2.0-flash-thinking-exp-01-21:streamGenerateContent"
            ),
            ("/v1/models/gpt-4o-mini-2024-07-18", "/v1/models/gpt-4o-mini-2024-07-18"),
            ("/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage", "/bot123456789:{id}/sendMessage"),
            ("/v1/files/file-abc123def456ghi789jkl0/content", "/v1/files/{id}/content"),
            ("/v1/threads/123e4567-e89b-12d3-a456-426614174000/runs", "/v1/threads/{id}/runs"),
            ("/v1/messages", "/v1/messages"),
            ("/v1/files/file-abc123def456ghi789jkl0", "/v1/files/{id}"),
            ("file-abc123def456ghi789jkl0:abc123def456ghi789jkl0", "{id}:{id}"),
            ("/caf\u{E9}/ABCDEF1234567890abcdef/x#frag", "/caf\u{E9}/{id}/x"),
            ("", ""),
        ]
    )
    func redaction(path: String, expected: String) {
        #expect(RequestPath.redactedForLog(path) == expected)
    }
}
