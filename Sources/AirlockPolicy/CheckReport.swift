import Foundation

/// The findings of `airlock allowlist check`, and their renderings for people, programs and CI systems.
/// A host the ledger recorded, and how often it was reached or refused.
public struct LedgerHostCount: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// True when requests were forwarded; false for refused attempts.
    public var contacted: Bool
    public var count: Int
    public init(host: String, port: Int, contacted: Bool, count: Int) {
        self.host = host
        self.port = port
        self.contacted = contacted
        self.count = count
    }
}

public struct CheckReport: Sendable {
    public var findings: [PolicyDiagnostic]
    public var files: [String]
    public var entryCount: Int

    public init(findings: [PolicyDiagnostic], files: [String], entryCount: Int) {
        self.findings = findings.sorted { ($0.location, $0.rule) < ($1.location, $1.rule) }
        self.files = files
        self.entryCount = entryCount
    }

    public var errors: Int { findings.filter { $0.severity == .error }.count }
    public var warnings: Int { findings.filter { $0.severity == .warning }.count }

    /// Every rule id with its one-line description; SARIF lists them, docs/allowlist.md documents them.
    public static let rules: [(id: String, description: String)] = [
        ("yaml.syntax", "The file is not valid YAML."),
        ("file.unreadable", "The file cannot be read."),
        ("file.encoding", "The file is not UTF-8."),
        ("schema.empty", "The file is empty."),
        ("schema.version", "The file's version is not 1."),
        ("schema.missing-key", "A required top-level key is missing."),
        ("schema.wrong-type", "A value has the wrong type."),
        ("schema.unknown-key", "A key is not part of the allowlist format."),
        ("schema.missing-host", "An entry has no host."),
        (
            "schema.invalid-host",
            "A host is not a valid name, wildcard or IP literal (including IDN that does not normalise, underscores, empty labels)."
        ),
        ("schema.invalid-port", "A port is not between 1 and 65535."),
        ("schema.unknown-scheme", "The scheme is not https or http."),
        ("schema.unknown-mode", "The mode is not inspect or tunnel."),
        ("schema.unknown-provider", "The provider is not openai, anthropic or gemini."),
        ("schema.invalid-method", "A method is not an HTTP method token."),
        ("schema.invalid-path", "A path prefix is not a canonical absolute path."),
        ("schema.missing-purpose", "An entry does not say why it is needed."),
        ("schema.placeholder-purpose", "An entry's purpose is empty or a placeholder."),
        ("breadth.bare-wildcard", "A bare '*' would allow every host."),
        (
            "breadth.public-suffix-wildcard",
            "A wildcard sits directly on a public suffix, where anyone can register names."
        ),
        ("breadth.ip-literal", "An entry names an IP address instead of a host."),
        ("breadth.non-standard-port", "Ports other than 443 without a stated port_reason."),
        ("breadth.plain-http", "An entry allows unencrypted HTTP."),
        ("consistency.duplicate", "The same host, scheme and port are listed twice."),
        ("consistency.conflicting-mode", "The same host is listed with different modes."),
        ("consistency.shadowed", "An entry is already covered by a wildcard entry."),
        ("consistency.provider-tunnel", "An AI-provider host is in tunnel mode, so its payloads cannot be inspected."),
        ("hygiene.trailing-dot", "A host is written with a trailing dot."),
        ("hygiene.uppercase", "A host is written with uppercase letters."),
        ("manifest.invalid", "The manifest's backend permissions are not a list."),
        ("manifest.invalid-host", "A manifest backend entry is not a host, URL or address object."),
        ("manifest.not-allowlisted", "The manifest declares a host that the allowlist does not cover."),
        ("manifest.undeclared", "An allowlisted host is not declared in the manifest."),
        ("statement.not-allowlisted", "The security statement lists a host that the allowlist does not."),
        ("statement.undeclared", "An allowlisted host is missing from the security statement's endpoint table."),
        (
            "ledger.contacted-not-allowlisted",
            "The ledger shows requests that reached a host which the allowlist no longer allows."
        ),
        (
            "ledger.attempted-not-allowlisted",
            "The ledger shows attempts to reach a host that is not allowlisted (refused by Airlock)."
        ),
    ]

    /// `file:line:col: severity rule-id message`, grouped by file, then a one-line summary.
    public func text() -> String {
        var out = ""
        var lastFile: String?
        for finding in findings {
            if let lastFile, lastFile != finding.location.file { out += "\n" }
            lastFile = finding.location.file
            out += "\(finding.location): \(finding.severity.rawValue) \(finding.rule) \(finding.message)\n"
        }
        if !findings.isEmpty { out += "\n" }
        let fileCount = "\(files.count) file\(files.count == 1 ? "" : "s")"
        if findings.isEmpty {
            out += "ok: \(entryCount) entr\(entryCount == 1 ? "y" : "ies") in \(fileCount), no findings\n"
        } else {
            out +=
                "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") in \(fileCount) (\(entryCount) entr\(entryCount == 1 ? "y" : "ies"))\n"
        }
        return out
    }

    /// Stable JSON: `{"version":1,"summary":{…},"findings":[{"rule","severity","message","file","line","column"}]}`.
    public func json() -> String {
        PolicyJSON.encode([
            "version": 1,
            "summary": [
                "errors": errors, "warnings": warnings, "notes": findings.count - errors - warnings,
                "entries": entryCount, "files": files,
            ],
            "findings": findings.map { f -> [String: Any] in
                [
                    "rule": f.rule, "severity": f.severity.rawValue, "message": f.message, "file": f.location.file,
                    "line": f.location.line, "column": f.location.column,
                ]
            },
        ])
    }

    /// SARIF 2.1.0, for code-scanning tools.
    public func sarif() -> String {
        let index = Dictionary(uniqueKeysWithValues: Self.rules.enumerated().map { ($1.id, $0) })
        let results: [[String: Any]] = findings.map { f in
            var physical: [String: Any] = ["artifactLocation": ["uri": f.location.file]]
            if f.location.line > 0 {
                physical["region"] = ["startLine": f.location.line, "startColumn": max(1, f.location.column)]
            }
            var result: [String: Any] = [
                "ruleId": f.rule, "level": f.severity.rawValue, "message": ["text": f.message],
                "locations": [["physicalLocation": physical]],
            ]
            if let i = index[f.rule] { result["ruleIndex"] = i }
            return result
        }
        let rules: [[String: Any]] = Self.rules.map { ["id": $0.id, "shortDescription": ["text": $0.description]] }
        return PolicyJSON.encode([
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [["tool": ["driver": ["name": "airlock", "rules": rules]], "results": results]],
        ])
    }

    /// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=rule::message`.
    public func github() -> String {
        func escapeData(_ s: String) -> String {
            s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                .replacingOccurrences(of: "\n", with: "%0A")
        }
        func escapeProperty(_ s: String) -> String {
            escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        }
        var out = ""
        for f in findings {
            let command = f.severity == .error ? "error" : (f.severity == .warning ? "warning" : "notice")
            out +=
                "::\(command) file=\(escapeProperty(f.location.file)),line=\(max(1, f.location.line)),col=\(max(1, f.location.column)),title=\(escapeProperty(f.rule))::\(escapeData(f.message))\n"
        }
        return out
    }
}

/// Runs every check `airlock allowlist check` performs: schema, lint, and the optional cross-checks.
public enum AllowlistChecker {
    /// The report, and whether an input could not be read or parsed at all (exit status 2).
    /// - Parameter ledgerHosts: hosts the ledger recorded in the window, with their port, whether requests were
    ///   forwarded (`contacted`) or refused (`attempted`), and how many; plus the ledger file for locations.
    public static func check(
        paths: [String], manifest: String? = nil, statement: String? = nil,
        ledgerHosts: (file: String, hosts: [LedgerHostCount])? = nil
    ) -> (
        report: CheckReport, unreadable: Bool
    ) {
        let parsed = AllowlistLoader.parse(paths: paths)
        var findings = parsed.diagnostics
        if parsed.files.isEmpty {
            findings.append(
                .init(
                    rule: "file.unreadable", message: "no allowlist files found",
                    location: .init(file: paths.joined(separator: ","), line: 0, column: 0)))
        }
        do {
            let linter = AllowlistLinter(publicSuffixes: try PublicSuffixList.system())
            findings += linter.lint(parsed.entries) + linter.lint(entriesWithErrors: parsed.entriesWithErrors)
            if let manifest {
                findings += AllowlistCrossCheck.compare(
                    manifest: try AllowlistCrossCheck.forgeBackendHosts(path: manifest), entries: parsed.entries)
            }
            if let statement {
                findings += AllowlistCrossCheck.compare(
                    statement: try AllowlistCrossCheck.statementHosts(path: statement), entries: parsed.entries)
            }
        } catch {
            findings += error.diagnostics
        }
        if let (file, hosts) = ledgerHosts {
            findings += compare(ledger: hosts, file: file, entries: parsed.entries)
        }
        let unreadable = findings.contains {
            $0.rule.hasPrefix("file.") || $0.rule.hasPrefix("yaml.") || $0.rule.hasPrefix("manifest.invalid")
        }
        return (CheckReport(findings: findings, files: parsed.files, entryCount: parsed.entryCount), unreadable)
    }

    /// Hosts in the ledger that the current allowlist does not allow.
    static func compare(ledger hosts: [LedgerHostCount], file: String, entries: [AllowlistEntry]) -> [PolicyDiagnostic]
    {
        let allowlist = Allowlist(entries: entries)
        let location = SourceLocation(file: file, line: 0, column: 0)
        var findings: [PolicyDiagnostic] = []
        for item in hosts.sorted(by: { ($0.host, $0.port) < ($1.host, $1.port) }) {
            if case .allowed = allowlist.match(
                host: item.host, port: item.port, scheme: item.port == 80 ? .http : .https)
            {
                continue
            }
            let times = item.count == 1 ? "1 request" : "\(item.count) requests"
            if item.contacted {
                findings.append(
                    .init(
                        rule: "ledger.contacted-not-allowlisted",
                        message: "\(item.host):\(item.port) was contacted (\(times)) but is not on the allowlist now",
                        location: location))
            } else {
                findings.append(
                    .init(
                        rule: "ledger.attempted-not-allowlisted", severity: .warning,
                        message: "\(item.host):\(item.port) was attempted and refused (\(times))", location: location))
            }
        }
        return findings
    }
}
