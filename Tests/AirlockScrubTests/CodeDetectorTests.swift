import Foundation
import Testing

@testable import AirlockScrub

@Suite struct CodeDetectorTests {
    /// Snippets in ten-plus languages, pasted into chat without fences.
    static let snippets: [(language: String, code: String)] = [
        (
            "python",
            "def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result"
        ),
        (
            "javascript",
            "const load = async (id) => {\n  const res = await fetch(`/api/${id}`);\n  return res.json();\n};"
        ),
        (
            "typescript",
            "interface User {\n  id: number;\n  name: string;\n}\nexport const byId = (u: User): number => u.id;"
        ),
        (
            "java",
            "public class Greeter {\n    public static void main(String[] args) {\n        System.out.println(\"hi\");\n    }\n}"
        ),
        ("c", "#include <stdio.h>\nint main(void) {\n    printf(\"%d\\n\", 42);\n    return 0;\n}"),
        (
            "cpp",
            "#include <vector>\nint sum(const std::vector<int>& v) {\n    int s = 0;\n    for (auto x : v) s += x;\n    return s;\n}"
        ),
        (
            "csharp",
            "using System;\npublic class Account {\n    public decimal Balance { get; set; }\n    public void Deposit(decimal x) { Balance += x; }\n}"
        ),
        (
            "go",
            "func handler(w http.ResponseWriter, r *http.Request) {\n\tname := r.URL.Query().Get(\"name\")\n\tif name == \"\" {\n\t\tname = \"world\"\n\t}\n\tfmt.Fprintf(w, \"hello %s\", name)\n}"
        ),
        (
            "rust",
            "fn parse(input: &str) -> Result<u32, ParseIntError> {\n    let n = input.trim().parse::<u32>()?;\n    Ok(n * 2)\n}"
        ),
        (
            "swift",
            "func fetch(id: Int) async throws -> User {\n    guard let url = URL(string: base + \"/\\(id)\") else { throw APIError.bad }\n    let (data, _) = try await session.data(from: url)\n    return try decoder.decode(User.self, from: data)\n}"
        ),
        ("kotlin", "fun main() {\n    val names = listOf(\"a\", \"b\")\n    names.forEach { println(it) }\n}"),
        (
            "ruby",
            "def greet(name)\n  if name.nil?\n    puts \"hello\"\n  end\n  names.each do |n|\n    puts n\n  end\nend"
        ),
        (
            "php",
            "<?php\nfunction total($items) {\n    $sum = 0;\n    foreach ($items as $i) { $sum += $i->price; }\n    return $sum;\n}"
        ),
        ("shell", "#!/bin/bash\nset -euo pipefail\nfor f in *.log; do\n  grep -q ERROR \"$f\" && echo \"$f\"\ndone"),
        (
            "sql",
            "SELECT u.id, u.email, COUNT(o.id) AS orders\nFROM users u\nLEFT JOIN orders o ON o.user_id = u.id\nWHERE u.created_at > NOW() - INTERVAL '30 days'\nGROUP BY u.id, u.email;"
        ),
    ]

    @Test(arguments: snippets.map(\.code))
    func unfencedCodeInProseIsOneRegionAndTheProseSurvives(_ code: String) throws {
        let text =
            "Hi team, the build broke after my change this morning.\n\n\(code)\n\nCould you take a look when you have a minute? Thanks."
        let regions = Scan.code(text)
        #expect(regions.count == 1, "expected one region, got \(regions.map(\.language))")
        let result = try Scan.text(text)
        let out = Scan.output(result)
        #expect(out.hasPrefix("Hi team, the build broke after my change this morning."))
        #expect(out.hasSuffix("Could you take a look when you have a minute? Thanks."))
        #expect(out.contains("[REDACTED:code:"))
        #expect(!out.contains(code.split(separator: "\n")[1]))
    }

    @Test func languagesAreNamed() {
        var right = 0
        for (language, code) in Self.snippets {
            if Scan.code("Look at this:\n\(code)\nThanks").first?.language == language { right += 1 }
        }
        // Short snippets are ambiguous (Kotlin and Scala, C and C++); most must still be named right.
        #expect(right >= Self.snippets.count - 3, "named \(right) of \(Self.snippets.count)")
    }

    /// The scrubber hands the detector the language markers its secret pass found; the languages named must be
    /// the ones the detector finds by scanning each block itself, and a scanner without markers falls back to that.
    @Test func markersFromTheSecretPassNameTheSameLanguages() throws {
        for (_, code) in Self.snippets {
            for text in ["Look at this:\n\(code)\nThanks", "Fenced:\n```\n\(code)\n```\nand again:\n\(code)\n"] {
                let bytes = Array(text.utf8)
                var markers: [KeywordAutomaton.Hit] = []
                _ = bytes.withUnsafeBufferPointer { SecretScanner.standard.scan($0, markers: &markers) }
                #expect(!markers.isEmpty)
                let alone = CodeDetector().detect(bytes)
                let reused = bytes.withUnsafeBufferPointer { CodeDetector().detect($0, markers: markers) }
                #expect(reused == alone)
                let custom = Scrubber(policy: ScrubPolicy(), secrets: SecretScanner(rules: SecretCatalogue.rules))
                #expect(!custom.secretsScanner.findsMarkers)
                let names = try custom.scrub(bytes, kind: .text).findings.map(\.detector)
                #expect(names == (try Scan.text(text)).findings.map(\.detector))
                #expect(names == alone.map { "code-\($0.language)" })
            }
        }
    }

    @Test(arguments: snippets.map(\.code))
    func fencedCodeIsRemovedWithItsFences(_ code: String) throws {
        let text = "Here it is:\n```\n\(code)\n```\nWhat is wrong?"
        let out = Scan.output(try Scan.text(text))
        #expect(out.hasPrefix("Here it is:\n[REDACTED:code:"))
        #expect(out.hasSuffix("\nWhat is wrong?"))
    }

    @Test func labelledFenceKeepsItsLanguageAndTildeFencesWork() throws {
        let out = Scan.output(try Scan.text("See:\n~~~rust\nlet x = 1;\nlet y = 2;\n~~~\nok"))
        #expect(out == "See:\n[REDACTED:code:rust:2-lines:1]\nok")
    }

    /// A fence label is client text. One the detector does not know must not become the detector id or the
    /// placeholder: those reach logs, the ledger and metric labels (where every new label is a new series).
    @Test func unknownFenceLabelNeverNamesTheLanguage() throws {
        let canary = "zq-canary-7f3a"
        let result = try Scan.text("Run this:\n```\(canary)\nlet total = compute(1, 2);\nprint(total);\n```\nThanks")
        let known = Set(LanguageTables.languages.map { "code-\($0.name)" } + ["code-code"])
        #expect(result.findings.count == 1)
        for finding in result.findings { #expect(known.contains(finding.detector)) }
        let out = Scan.output(result)
        #expect(!out.contains(canary))
        #expect(out.hasPrefix("Run this:\n[REDACTED:code:"))
    }

    @Test func unifiedDiffIsOneRegion() throws {
        let diff = """
            diff --git a/app/models.py b/app/models.py
            index 1a2b3c4..5d6e7f8 100644
            --- a/app/models.py
            +++ b/app/models.py
            @@ -10,7 +10,8 @@ class User:
                 name = Column(String)
            -    email = Column(String)
            +    email = Column(String, unique=True)
            +    active = Column(Boolean)
            """
        let regions = Scan.code("Please review this patch:\n\(diff)\nIs it safe?")
        #expect(regions.count == 1)
        #expect(regions.first?.kind == .diff)
        #expect(regions.first?.language == "python")
    }

    @Test(arguments: [
        "The retry fails when `retryCount` is zero and fetchUser() returns null; see PROJ-123.",
        "I changed src/app/users.py and lib/utils/format.ts yesterday.\nBoth are in the main branch now.\nThe CI is green again.",
        "TypeError: Cannot read properties of undefined (reading 'map')\nIt happens when the list is empty.\nAny idea why?",
        "Steps:\n- open the settings page\n- click save\n- the spinner never stops\nThis started on Monday.",
        "Traceback (most recent call last):\n  File \"app.py\", line 10, in <module>\n    main()\nValueError: bad input",
        "Dear team,\n\nthe quarterly report is attached. Revenue grew by 12% and costs fell.\nWe will discuss it on Friday.\n\nBest,\nDana",
        "Can you summarise this article for me? It says that the new policy will start in March, and that all staff must complete the training first.",
        "Meeting notes:\n1. Budget approved.\n2. Hiring plan delayed to Q3.\n3. Next review in two weeks.",
    ])
    func proseAndInlineIdentifiersAreNotCode(_ text: String) throws {
        #expect(Scan.code(text).isEmpty)
        #expect(Scan.output(try Scan.text(text)) == text)
    }

    @Test func dataFormatsAreNotCodeUnlessThePolicySaysSo() {
        let json =
            "Here is the payload:\n{\n  \"name\": \"Ada\",\n  \"roles\": [\"admin\", \"dev\"],\n  \"active\": true\n}\nIs it valid?"
        let yaml = "Config:\n```yaml\nserver:\n  port: 8080\n  host: example.org\n```\nok?"
        let csv = "Data:\nname,age,city\nAda,36,London\nAlan,41,Wilmslow\nGrace,85,Arlington\nThanks"
        for text in [json, yaml, csv] {
            #expect(Scan.code(text).isEmpty, "\(text)")
        }
        #expect(!Scan.code(yaml, includeData: true).isEmpty)
    }

    /// Long lines are scored word by word only until they have four stopwords and twelve words; the rest is
    /// counted byte by byte. These put calls, operators and symbols after that point; the scores are the ones the
    /// word-by-word scorer gave for the whole line.
    static let longLines: [(line: String, score: Double)] = [
        (
            "We agreed that the retry loop in the worker is the cause, and that it should stop after the fifth "
                + "attempt: see retry(count) && backoff >= limit;", 2.0
        ),
        (
            "If you want the details, it is all in the doc that we wrote for the team about the outage, including the "
                + "timeline {a: 1, b: [2, 3]} and more", -5.0
        ),
        (
            "So the plan is that we ship the fix on Monday and then we watch the error rate for a week or so, just to "
                + "be sure.", -7.0
        ),
        (
            "    result = compute_total(order) if the order is not None and the items are all in stock else "
                + "fallback(order) # it was a bug", 0.5
        ),
        (
            "The function returns a list of the users that are in the group, and it is called like this: "
                + "fetchUsers(groupId) => users", -3.0
        ),
    ]

    @Test(arguments: longLines)
    func longLinesScoreAsAWhole(line: String, expected: Double) {
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBufferPointer { CodeDetector().score($0, 0..<$0.count) } == expected)
    }

    /// Reading only the lines between the barriers around some offsets finds the same blocks there as reading the
    /// whole text: every block it returns is one the whole reading finds, and every block the whole reading finds
    /// across an offset is among them. Texts are drawn from prose, snippets, indented and blank lines, comments,
    /// data, placeholders and, now and then, a fence.
    @Test func readingAroundOffsetsFindsTheBlocksAcrossThemAsReadingAllDoes() {
        let pool =
            Self.snippets.flatMap { $0.code.split(separator: "\n").map(String.init) } + [
                "The quarterly plan was reviewed by the team and the open questions were assigned to owners.",
                "Could you tell me why this happens when the service is restarted after a deploy?",
                "Thanks.", "ok", "", "", "    and it is indented like this", "// a comment", "# a heading",
                "- a list item that reads as prose", "{", "}", "  \"replicas\": 3,", "[REDACTED:code:go:4-lines:1]",
                "x = 1", "return x", "Here it is:", "It is called like fetchUsers(groupId) in the worker.",
                // Code only after code: an indented line that gains 1 there.
                "    retry(count", "    handle(err", "\n\n\n",
            ]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33) % n
        }
        var crossing = 0
        for round in 0..<1000 {
            var lines = (0..<(20 + next(60))).map { _ in pool[next(pool.count)] }
            if round % 10 == 0 { lines[next(lines.count)] = "```" }
            let text = Array(lines.joined(separator: "\n").utf8)
            var starts: [Int] = [0]
            for (i, byte) in text.enumerated() where byte == 0x0A { starts.append(i + 1) }
            let offsets = (0..<(1 + next(4))).map { _ in starts[next(starts.count)] }
            let detector = CodeDetector()
            let (all, around) = text.withUnsafeBufferPointer {
                (detector.detect($0), detector.detect($0, markers: nil, around: offsets))
            }
            for region in around { #expect(all.contains(region), "round \(round)") }
            for region in all
            where offsets.contains(where: { region.range.lowerBound < $0 && $0 < region.range.upperBound }) {
                crossing += 1
                #expect(around.contains(region), "round \(round)")
            }
        }
        #expect(crossing > 100)
    }
}

/// Code where a label or a quote says otherwise, and code in languages without a keyword table.
@Suite struct CodeWhereLabelsSayOtherwiseTests {
    static let python = """
        def handler(event, context):
            client = boto3.client("s3")
            for key in event["keys"]:
                client.delete_object(Bucket=BUCKET, Key=key)
            return {"ok": True}
        """

    @Test(arguments: ["text", "log", "json", "plaintext", "md", "markdown", "txt", "output"])
    func aFenceLabelledAsTextOrDataIsStillRead(label: String) throws {
        let text = "Here is what I ran:\n```\(label)\n\(Self.python)\n```\nWhy does it fail?"
        let result = try Scan.text(text)
        #expect(result.findings.map(\.detector) == ["code-python"])
        #expect(!Scan.output(result).contains("delete_object"))
        #expect(Scan.output(result).hasSuffix("```\nWhy does it fail?"))
    }

    @Test func nestedFencesAreRead() throws {
        let text = "The README says:\n````markdown\n# Usage\n\nRun this:\n```python\n\(Self.python)\n```\n````\nThanks"
        let result = try Scan.text(text)
        #expect(result.findings.map(\.detector) == ["code-python"])
        #expect(!Scan.output(result).contains("delete_object") && Scan.output(result).contains("# Usage"))
    }

    @Test func aLogFenceOfLogLinesIsLeftAlone() throws {
        let text = """
            The service printed:
            ```log
            2026-12-01 10:00:01 INFO starting worker pool with 8 workers
            2026-12-01 10:00:02 WARN the queue is almost full, slowing down
            2026-12-01 10:00:09 INFO all workers finished their batches
            ```
            """
        #expect(try Scan.text(text).findings.isEmpty)
    }

    @Test(arguments: [
        """
        Can you fix this?
               IDENTIFICATION DIVISION.
               PROGRAM-ID. PAYROLL.
               DATA DIVISION.
               WORKING-STORAGE SECTION.
               01 WS-TOTAL PIC 9(7)V99 VALUE ZERO.
               PROCEDURE DIVISION.
                   PERFORM CALC-PAY UNTIL WS-EOF = 1.
                   MOVE WS-TOTAL TO OUT-TOTAL.
                   STOP RUN.
        Thanks
        """,
        """
        Why does this fail?
        REPORT z_sales.
        DATA: lt_vbak TYPE TABLE OF vbak,
              ls_vbak TYPE vbak.
        SELECT * FROM vbak INTO TABLE lt_vbak WHERE erdat = sy-datum.
        LOOP AT lt_vbak INTO ls_vbak.
          WRITE: / ls_vbak-vbeln, ls_vbak-netwr.
        ENDLOOP.
        Thanks
        """,
        """
        Here it is:
        Public Class Invoice
            Private _total As Decimal
            Public Function AddLine(ByVal amount As Decimal) As Decimal
                _total += amount
                Return _total
            End Function
        End Class
        Thanks
        """,
    ])
    func codeInLanguagesWithoutATableIsFound(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.count == 1 && result.findings.allSatisfy { $0.category == .code })
        let out = Scan.output(result)
        #expect(out.hasPrefix(String(text.prefix { $0 != "\n" })) && out.hasSuffix("\nThanks"))
        #expect(!out.contains("WS-TOTAL") && !out.contains("lt_vbak") && !out.contains("_total"))
    }

    @Test func fencedCOBOLIsFound() throws {
        let text =
            "```cobol\n       PROCEDURE DIVISION.\n           MOVE WS-TOTAL TO OUT-TOTAL.\n           STOP RUN.\n```"
        #expect(try Scan.text(text).findings.map(\.category) == [.code])
    }

    @Test func quotedCodeIsFound() throws {
        let quoted = Self.python.split(separator: "\n").map { "> " + $0 }.joined(separator: "\n")
        let text = "You wrote:\n\(quoted)\nand it fails on the second call."
        let result = try Scan.text(text)
        #expect(result.findings.map(\.detector) == ["code-python"])
        #expect(!Scan.output(result).contains("delete_object"))
    }

    @Test func codeInAJSONStringInProseIsFound() throws {
        let escaped = Self.python.replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(
            of: "\n", with: "\\n")
        let text = "The job definition is {\"name\": \"cleanup\", \"script\": \"\(escaped)\"} and it runs hourly."
        let result = try Scan.text(text)
        #expect(result.findings.map(\.category) == [.code])
        #expect(!Scan.output(result).contains("delete_object"))
        #expect(Scan.output(result).hasSuffix(" and it runs hourly."))
        let again = try Scan.text(Scan.output(result))
        #expect(again.findings.isEmpty)
    }

    @Test(arguments: [
        "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY.",
        "If you need the report, ask the team.\nFor example, the weekly one is in the shared folder.\nWhile it is long, it is worth reading.",
        "> I think we should ship on Monday.\n> The tests are green and the docs are done.\n\nAgreed, let's do it.",
    ])
    func proseStaysProse(_ text: String) throws {
        #expect(try Scan.text(text).findings.isEmpty)
    }
}

/// Infrastructure as code is code by default, named after its tool; plain YAML data is not.
@Suite struct InfrastructureCodeTests {
    @Test(arguments: [
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n"
                + "    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n", "kubernetes"
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  ports:\n"
                + "    - port: {{ .Values.service.port }}\n", "helm"
        ),
        (
            "services:\n  db:\n    image: postgres:16\n    volumes:\n      - data:/var/lib/postgresql/data\n"
                + "  web:\n    build: .\n", "docker-compose"
        ),
        (
            "name: CI\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                + "      - uses: actions/checkout@v4\n      - run: |\n          make test\n", "github-actions"
        ),
        ("stages:\n  - test\nunit:\n  stage: test\n  script:\n    - make test\n", "gitlab-ci"),
        (
            "- hosts: web\n  become: true\n  tasks:\n    - name: install nginx\n      apt:\n        name: nginx\n",
            "ansible"
        ),
        (
            "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY . .\nRUN <<EOF\ngo mod download\ngo build -o /app\nEOF\n"
                + "FROM gcr.io/distroless/base\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]", "dockerfile"
        ),
    ])
    func infrastructureIsCodeNamedAfterItsTool(document: String, tool: String) throws {
        for text in ["Why does this fail?\n\(document)\nThanks", "```yaml\n\(document)\n```", document] {
            let result = try Scan.text(text)
            #expect(result.findings.map(\.detector) == ["code-\(tool)"], "\(tool)")
            #expect(try Scan.text(Scan.output(result)).findings.isEmpty)
        }
    }

    @Test(arguments: [
        "config:\n  name: demo\n  size: 3\n  tags:\n    - a\n    - b\n",
        "Note: the service is down.\nReason: the disk filled up.\nStatus: investigating.\n",
        "- milk\n- eggs\n- bread\n",
        "services:\n  - billing\n  - search\n  - mail\n",
    ])
    func yamlDataAndProseAreNotCode(_ text: String) throws {
        #expect(try Scan.text(text).findings.isEmpty)
    }

    @Test func dataFormatsStillCountWhenAsked() throws {
        var policy = ScrubPolicy()
        policy.codeIncludesDataFormats = true
        let result = try Scan.text("```yaml\nconfig:\n  name: demo\n  size: 3\n```", policy: policy)
        #expect(result.findings.map(\.detector) == ["code-yaml"])
    }
}

/// Error output and maths quote source lines and symbols, but are prose to the reader.
@Suite struct DiagnosticsTests {
    @Test(arguments: [
        """
        Seeing this since the deploy:
        goroutine 135 [running]:
        runtime/pprof.writeGoroutineStacks(0x91be20, 0xc0003aa0e0, 0x0, 0x0)
        \t/goroot/src/runtime/pprof/pprof.go:665 +0x9d
        net/http.(*conn).serve(0xc0001a63c0, 0x924de0, 0xc000190780)
        \t/goroot/src/net/http/server.go:1895 +0x86c
        created by net/http.(*Server).Serve
        \t/goroot/src/net/http/server.go:2933 +0x35c
        """,
        """
        ____________________ test_total ____________________

            def test_total():
        >       assert order.total() == 20
        E       assert 19 == 20
        E        +  where 19 = <bound method Order.total of <Order 7>>()

        tests/test_order.py:12: AssertionError
        """,
        """
        thread 'main' panicked at src/main.rs:4:19:
        end byte index 1 is not a char boundary
        note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
        """,
        """
        app/models/user.rb:12:in `save': undefined method `name' for nil (NoMethodError)
        \tfrom app/controllers/users_controller.rb:8:in `create'
        \tfrom bin/rails:4:in `<main>'
        """,
        """
        ```
        Exception in thread "main" java.lang.IllegalStateException: closed
            at com.acme.billing.Invoice.total(Invoice.java:42)
            at com.acme.billing.Job.run(Job.java:17)
            at java.base/java.lang.Thread.run(Thread.java:833)
        ```
        """,
        """
        A semidefinite program is an optimization problem of the form
        \\begin{array}{ll}
        \\mbox{minimize}   & \\mathbf{tr}(CX) \\\\
        \\mbox{subject to} & \\mathbf{tr}(A_iX) = b_i, \\quad i=1,\\ldots,p \\\\
                          & X \\succeq 0,
        \\end{array}
        """,
    ])
    func errorOutputAndMathsAreNotCode(_ text: String) throws {
        #expect(try Scan.text(text).findings.isEmpty)
    }

    @Test func codeAroundAQuotedTraceIsStillCode() throws {
        let text = """
            This fails:
            ```python
            def total(order):
                return sum(line.price for line in order.lines)
            ```
            with
            Traceback (most recent call last):
              File "app.py", line 2, in total
            TypeError: unsupported operand type(s)
            """
        #expect(try Scan.text(text).findings.map(\.detector) == ["code-python"])
    }
}
