import AirlockPolicy
import Foundation
import Testing

@Suite("allowlist check")
struct AllowlistCheckTests {
    static let fixtures =
        "/" + #filePath.split(separator: "/").dropLast(2).joined(separator: "/") + "/Fixtures/allowlist-check/"

    func check(_ file: String, manifest: String? = nil, statement: String? = nil) -> (
        report: CheckReport, unreadable: Bool
    ) {
        AllowlistChecker.check(
            paths: [Self.fixtures + file], manifest: manifest.map { Self.fixtures + $0 },
            statement: statement.map { Self.fixtures + $0 })
    }

    @Test("the clean fixture has no findings")
    func clean() {
        let (report, unreadable) = check("clean.yaml")
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(!unreadable)
        #expect(report.entryCount == 3)
    }

    @Test(
        "each finding type names its rule, line and column",
        arguments: [
            ("bare-wildcard.yaml", "breadth.bare-wildcard", 3, 11, PolicyDiagnostic.Severity.error),
            ("public-suffix-com.yaml", "breadth.public-suffix-wildcard", 3, 11, .error),
            ("public-suffix-co-uk.yaml", "breadth.public-suffix-wildcard", 3, 11, .error),
            ("public-suffix-github-io.yaml", "breadth.public-suffix-wildcard", 3, 11, .error),
            ("public-suffix-herokuapp.yaml", "breadth.public-suffix-wildcard", 3, 11, .error),
            ("ip-literal.yaml", "breadth.ip-literal", 3, 11, .warning),
            ("non-standard-port.yaml", "breadth.non-standard-port", 4, 12, .warning),
            ("plain-http.yaml", "breadth.plain-http", 3, 5, .warning),
            ("duplicate.yaml", "consistency.duplicate", 5, 5, .error),
            ("shadowed.yaml", "consistency.shadowed", 5, 5, .warning),
            ("conflicting-mode.yaml", "consistency.conflicting-mode", 6, 5, .error),
            ("provider-tunnel.yaml", "consistency.provider-tunnel", 3, 5, .error),
            ("provider-flag-tunnel.yaml", "consistency.provider-tunnel", 3, 5, .error),
            ("trailing-dot.yaml", "hygiene.trailing-dot", 3, 11, .warning),
            ("uppercase.yaml", "hygiene.uppercase", 3, 11, .warning),
            ("unknown-key.yaml", "schema.unknown-key", 5, 5, .error),
            ("wrong-type.yaml", "schema.wrong-type", 4, 12, .error),
            ("missing-purpose.yaml", "schema.missing-purpose", 3, 5, .error),
            ("placeholder-purpose.yaml", "schema.placeholder-purpose", 4, 14, .error),
            ("underscore-host.yaml", "schema.invalid-host", 3, 11, .error),
            ("empty-label.yaml", "schema.invalid-host", 3, 11, .error),
            ("bad-idn.yaml", "schema.invalid-host", 3, 11, .error),
            ("invalid-port.yaml", "schema.invalid-port", 4, 18, .error),
            ("unknown-mode.yaml", "schema.unknown-mode", 4, 11, .error),
            ("unknown-provider.yaml", "schema.unknown-provider", 4, 15, .error),
            ("unknown-scheme.yaml", "schema.unknown-scheme", 4, 13, .error),
        ]
    )
    func finding(file: String, rule: String, line: Int, column: Int, severity: PolicyDiagnostic.Severity) throws {
        let (report, unreadable) = check(file)
        #expect(!unreadable)
        let finding = try #require(report.findings.first { $0.rule == rule }, "\(report.findings)")
        #expect(finding.location.line == line, "\(finding)")
        #expect(finding.location.column == column, "\(finding)")
        #expect(finding.severity == severity)
        #expect(finding.location.file.hasSuffix(file))
    }

    @Test("hygiene findings show the normal form")
    func normalForm() {
        #expect(check("uppercase.yaml").report.findings.first?.message.contains("write 'api.example.com'") == true)
        #expect(check("trailing-dot.yaml").report.findings.first?.message.contains("write 'api.example.com'") == true)
    }

    @Test("a syntax error is unreadable input, with its location")
    func syntax() throws {
        let (report, unreadable) = check("syntax-error.yaml")
        #expect(unreadable)
        let finding = try #require(report.findings.first)
        #expect(finding.rule == "yaml.syntax")
        // The parser notices the unclosed flow sequence where the file ends.
        #expect(finding.location.line == 4)
        #expect(finding.location.file.hasSuffix("syntax-error.yaml"))
    }

    @Test("a missing file is unreadable input")
    func missing() {
        #expect(check("does-not-exist.yaml").unreadable)
    }

    @Test("the manifest matches in both directions; Forge wildcards do not cover the apex")
    func manifest() throws {
        #expect(check("clean.yaml", manifest: "manifest.yml").report.findings.isEmpty)
        let findings = check("clean.yaml", manifest: "manifest-drift.yml").report.findings
        let notAllowlisted = findings.filter { $0.rule == "manifest.not-allowlisted" }
        #expect(notAllowlisted.map(\.location.line).sorted() == [6, 7])  // internal-tools apex, forgotten.example.net
        #expect(notAllowlisted.allSatisfy { $0.location.file.hasSuffix("manifest-drift.yml") })
        let undeclared = findings.filter { $0.rule == "manifest.undeclared" }
        #expect(undeclared.map(\.location.line).sorted() == [6, 9])  // the wildcard entry and metrics.example.com
    }

    @Test("the statement's endpoint table matches in both directions; other tables are ignored")
    func statement() throws {
        #expect(check("clean.yaml", statement: "statement.md").report.findings.isEmpty)
        let findings = check("clean.yaml", statement: "statement-drift.md").report.findings
        let stray = try #require(findings.first { $0.rule == "statement.not-allowlisted" })
        #expect((stray.location.line, stray.location.column) == (6, 3))
        #expect(findings.filter { $0.rule == "statement.undeclared" }.count == 2)
    }

    @Test("render output read back as a statement gives no findings")
    func roundTrip() throws {
        let parsed = AllowlistLoader.parse(paths: [Self.fixtures + "clean.yaml"])
        let markdown = AllowlistRenderer.markdown(parsed.entries)
        let hosts = AllowlistCrossCheck.statementHosts(text: "# Endpoints\n\n" + markdown, file: "rendered.md")
        #expect(hosts.count == 3)
        #expect(AllowlistCrossCheck.compare(statement: hosts, entries: parsed.entries).isEmpty)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(AllowlistRenderer.json(parsed.entries).utf8)) as? [String: Any])
        #expect((json["endpoints"] as? [[String: Any]])?.first?["host"] as? String == "api.openai.com")
    }

    @Test("output formats")
    func formats() throws {
        let report = check("duplicate.yaml").report
        #expect(report.text().contains("duplicate.yaml:5:5: error consistency.duplicate"))
        #expect(report.text().hasSuffix("1 error, 0 warnings in 1 file (2 entries)\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect((json["summary"] as? [String: Any])?["errors"] as? Int == 1)
        #expect(report.github().hasPrefix("::error file="))
        #expect(report.github().contains(",line=5,col=5,title=consistency.duplicate::"))
        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(report.sarif().utf8)) as? [String: Any])
        #expect(sarif["version"] as? String == "2.1.0")
    }

    @Test("the shipped allowlist passes strictly")
    func shipped() {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let (report, unreadable) = AllowlistChecker.check(paths: [root + "/Allowlist"])
        #expect(!unreadable)
        #expect(report.findings.isEmpty, "\(report.findings)")
    }

    @Test("the public suffix list: rules, wildcards and exceptions")
    func publicSuffixes() {
        let list = PublicSuffixList(text: "com\nco.uk\n*.ck\n!www.ck\n// comment\ngithub.io\n", source: "test")
        #expect(list.isPublicSuffix("com"))
        #expect(list.isPublicSuffix("co.uk"))
        #expect(list.isPublicSuffix("anything.ck"))
        #expect(!list.isPublicSuffix("www.ck"))
        #expect(list.isPublicSuffix("github.io"))
        #expect(!list.isPublicSuffix("example.com"))
        #expect(list.isPublicSuffix("unlistedtld"))
    }
}
