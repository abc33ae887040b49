import AirlockPolicy
import Foundation
import Testing

@Suite("allowlist check: every finding in one run, counts and suggestions")
struct AllowlistFindingsTests {
    @Test(
        "an unknown key comes with the nearest known one",
        arguments: [
            ("purpse", "purpose"), ("port", "ports"), ("metods", "methods"), ("hots", "host"),
        ])
    func unknownKeySuggestion(typed: String, expected: String) {
        let result = AllowlistLoader.parse(
            text: "version: 1\nentries:\n  - host: api.example.com\n    purpose: Tests\n    \(typed): x\n",
            file: "a.yaml")
        let finding = result.diagnostics.first { $0.rule == "schema.unknown-key" }
        #expect(finding?.message == "unknown key '\(typed)' in an entry; did you mean '\(expected)'?")
    }

    @Test("a schema error does not hide how broad its entry is, and every entry is counted")
    func schemaAndBreadthInOneRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("firstrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("team.yaml").path
        try """
        version: 1
        entries:
          - host: "*.github.io"
            purpse: Pages for the docs site
          - host: api.example.com
            purpose: The example API
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let report = AllowlistChecker.check(paths: [file]).report
        let rules = Set(report.findings.map(\.rule))
        #expect(rules == ["schema.unknown-key", "schema.missing-purpose", "breadth.public-suffix-wildcard"])
        #expect(report.entryCount == 2)
        #expect(report.text().hasSuffix("3 errors, 0 warnings in 1 file (2 entries)\n"))
    }

    @Test("one entry is counted in the singular")
    func singular() {
        let report = CheckReport(
            findings: [.init(rule: "schema.empty", message: "x", location: .init(file: "f", line: 1, column: 1))],
            files: ["f"], entryCount: 1)
        #expect(report.text().hasSuffix("1 error, 0 warnings in 1 file (1 entry)\n"))
    }

    @Test("the suggestion helper prefers a prefix, then a substring, then an edit distance of two")
    func suggestion() {
        #expect(Suggestion.nearest("redact", among: ["allowed", "redacted"]) == "redacted")
        #expect(Suggestion.nearest("gemini", among: ["openai", "gcp.gemini"]) == "gcp.gemini")
        #expect(Suggestion.nearest("eror", among: ["error", "denied"]) == "error")
        #expect(Suggestion.nearest("zzzzzz", among: ["error", "denied"]) == nil)
    }
}
