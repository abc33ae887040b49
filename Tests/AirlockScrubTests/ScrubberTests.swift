import Foundation
import Testing

@testable import AirlockScrub

@Suite struct ScrubberTests {
    static let token = "sk-ant-api03-" + String(repeating: "Zq8RkT3vW9xY2bN5mC7d", count: 5)

    @Test func blockNamesDetectorsAndPathsButNotTheText() throws {
        var policy = ScrubPolicy()
        policy.secrets = .block
        let body = #"{"model":"m","messages":[{"role":"user","content":"key \#(Self.token)"}]}"#
        let result = try Scan.json(body, kind: .anthropic, policy: policy)
        #expect(result.decision == .blocked)
        #expect(result.output == Array(body.utf8))
        #expect(result.findings.map(\.detector) == ["anthropic-api-key"])
        #expect(result.findings.map(\.path) == ["$.messages[0].content"])
        #expect(ScanReport.json(result, kind: .anthropic).contains("\"output\":null"))
        #expect(!ScanReport.json(result, kind: .anthropic).contains("Zq8RkT3v"))
    }

    @Test func monitorForwardsUnchanged() throws {
        var policy = ScrubPolicy()
        policy.secrets = .monitor
        policy.code = .monitor
        let body = #"{"messages":[{"role":"user","content":"key \#(Self.token)"}]}"#
        let result = try Scan.json(body, kind: .anthropic, policy: policy)
        #expect(result.decision == .allowed)
        #expect(!result.changed)
        #expect(result.findings.count == 1)
    }

    @Test func perCategoryActions() throws {
        var policy = ScrubPolicy()
        policy.code = .block
        let code = "def f(x):\n    y = x + 1\n    return y * 2\n"
        let result = try Scan.text("see\n\(code)", policy: policy)
        #expect(result.decision == .blocked)
        policy = ScrubPolicy().overriding(secrets: nil, code: .monitor)
        #expect(try Scan.text("see\n\(code)", policy: policy).decision == .allowed)
    }

    @Test func rewritingKeepsEscapesValid() throws {
        let body =
            #"{"messages":[{"role":"user","content":"quote \" backslash \\ tab \t unicode \u00e9 \#(Self.token) end"}]}"#
        let result = try Scan.json(body, kind: .anthropic)
        let parsed = try Scan.parse(result.output) as! [String: Any]
        let content = ((parsed["messages"] as! [[String: Any]])[0]["content"]) as! String
        #expect(content == "quote \" backslash \\ tab \t unicode é [REDACTED:secret:anthropic-api-key:1] end")
    }

    /// Random payloads built from secrets, code and prose: nothing detected survives, a second pass changes
    /// nothing, and the output is valid JSON of the same shape.
    @Test func properties() throws {
        var rng = SplitMix(seed: 0xA1B2)
        let examples = RuleExample.all
        let prose = [
            "Please review the attached plan.", "It fails on Mondays.", "Thanks a lot!", "The CI is green again.",
            "Can you explain why `retryCount` resets?", "See PROJ-42 for context.",
        ]
        let code = CodeDetectorTests.snippets.map(\.code)
        // Lines that look like code on their own but are no block alone, placed right next to fences and snippets.
        let loose = ["x = 1", "return total;", "}", "import os", "if (ready) {", "count += 1"]
        for round in 0..<400 {
            var parts: [String] = []
            var planted: [String] = []
            for _ in 0..<Int(rng.next() % 5 + 1) {
                switch rng.next() % 5 {
                case 0:
                    let example = examples[Int(rng.next() % UInt64(examples.count))]
                    let positive = example.positives[Int(rng.next() % 2)]
                    parts.append(positive.text)
                    planted.append(positive.secret)
                case 1: parts.append(code[Int(rng.next() % UInt64(code.count))])
                case 2: parts.append("```\n" + code[Int(rng.next() % UInt64(code.count))] + "\n```")
                case 3: parts.append(loose[Int(rng.next() % UInt64(loose.count))])
                default: parts.append(prose[Int(rng.next() % UInt64(prose.count))])
                }
            }
            let text = parts.joined(separator: rng.next() % 2 == 0 ? "\n\n" : "\n")
            let body = try JSONSerialization.data(
                withJSONObject: ["model": "m", "messages": [["role": "user", "content": text]], "n": round])
            let first = try Scrubber(policy: ScrubPolicy()).scrub(Array(body), kind: .openai)
            let out = String(decoding: first.output, as: UTF8.self)
            for secret in planted {
                #expect(!out.contains(secret), "round \(round): a planted secret survived")
            }
            #expect(Scan.shape(try Scan.parse(first.output)) == Scan.shape(try Scan.parse(Array(body))))
            let second = try Scrubber(policy: ScrubPolicy()).scrub(first.output, kind: .openai)
            #expect(second.output == first.output, "round \(round): scrubbing is not idempotent")
            #expect(second.findings.isEmpty, "round \(round): \(second.findings.map(\.detector))")
        }
    }

    /// Placeholders have brackets and colons where the secret had none: a second pass must not read the lines
    /// that hold them as code because of that.
    @Test func placeholdersDoNotMakeLinesCodeOnASecondPass() throws {
        let text =
            "The CI is green again.\n\nexport HEROKU_API_KEY=69bc945e07a392f046ce3672d71d34c7870e\n\n"
            + #"{"settings": {"value": "patgiLtD4u6BweyP0hb0Vn1toSpT5oeqv2acyAJcgEfc48kSxhvutBimhrhFaiIClgl39ciH1abho0gUIh"}}"#
        let body = try JSONSerialization.data(withJSONObject: ["messages": [["role": "user", "content": text]]])
        let first = try Scrubber(policy: ScrubPolicy()).scrub(Array(body), kind: .openai)
        #expect(first.findings.map(\.detector) == ["heroku-api-key", "airtable-pat"])
        let second = try Scrubber(policy: ScrubPolicy()).scrub(first.output, kind: .openai)
        #expect(second.findings.isEmpty, "\(second.findings.map(\.detector))")
        #expect(second.output == first.output)
    }

    @Test func aRemovedBlockStillPartsTheLinesAroundItOnASecondPass() throws {
        // One code line either side of a fence is no region on its own; with the fence replaced by a placeholder
        // line, a second pass must not join them into one.
        let text = "x = 1\n```py\ndef f():\n    return 1\n```\ny = 2"
        let body = try JSONSerialization.data(withJSONObject: ["messages": [["role": "user", "content": text]]])
        let first = try Scrubber(policy: ScrubPolicy()).scrub(Array(body), kind: .openai)
        #expect(first.findings.map(\.detector) == ["code-python"])
        let second = try Scrubber(policy: ScrubPolicy()).scrub(first.output, kind: .openai)
        #expect(second.findings.isEmpty, "\(second.findings.map(\.detector))")
        #expect(second.output == first.output)
    }

    @Test(arguments: [
        "e_access_key = wJarUXltnFEMIM-QM--7EDENG/bPxRfiCYzEf\naccess_key = wJarUXltnFEMIM-QM--7EDENG/bPxRfPLECEZ",
        "set it up:\ncurl -u admin:Wq9zT4kP2mXv --proxy-user proxy:Zr8xQ3vN7pLk https://example.com/x",
    ])
    func codeIsLookedForInTheTextAsItLeaves(text: String) throws {
        // Code is judged with the secrets already replaced, as a second pass sees the text, and every password on a
        // command line is found at once: the second pass finds nothing new.
        let body = try JSONSerialization.data(withJSONObject: ["messages": [["role": "user", "content": text]]])
        for fitted in [false, true] {
            let scrub = { (bytes: [UInt8]) throws(ScrubError) -> ScrubResult in
                fitted
                    ? try Scrubber(policy: ScrubPolicy()).scrub(bytes, kind: .gemini, format: .uploadPiece)
                    : try Scrubber(policy: ScrubPolicy()).scrub(bytes, kind: .openai)
            }
            let first = try scrub(fitted ? Array(text.utf8) : Array(body))
            #expect(first.decision == .redacted)
            let second = try scrub(first.output)
            #expect(second.findings.isEmpty, "\(second.findings.map(\.detector))")
            #expect(second.output == first.output)
        }
    }

    @Test func quotesInsideACommandLinePasswordStayWhereTheyWere() throws {
        // The shell joins `Wq9z"T4 kP"2mXv` into one word; the placeholders go between its quotes, so the words
        // after it begin and end where they did and a second pass reads the same options.
        let text = #"curl -u admin:Wq9z"T4kP"2mXv -H "X-Trace: a1" https://example.com/x"#
        let first = try Scrubber(policy: ScrubPolicy()).scrub(Array(text.utf8), kind: .text)
        let out = String(decoding: first.output, as: UTF8.self)
        #expect(first.findings.map(\.detector) == Array(repeating: "command-line-password", count: 3))
        #expect(out.hasPrefix(#"curl -u admin:[REDACTED:secret:command-line-password:1]"[REDACTED:"#))
        #expect(out.hasSuffix(#":3] -H "X-Trace: a1" https://example.com/x"#))
        #expect(try Scrubber(policy: ScrubPolicy()).scrub(first.output, kind: .text).output == first.output)
    }

    @Test func aCommandLineIsReadAgainAsItLeaves() throws {
        // The `&` in the URL's password ends the command for the first reading, so `-u` is not read; once the
        // password is a placeholder, the line runs on, and a second pass would read `-u admin:…`. The scrubber
        // reads the line again as it leaves and finds it at once.
        let text = #"curl https://deploy:Xq7p&Zr9w@example.com/x -u admin:Wq9zT4kP2mXv -H "A: b""#
        let first = try Scrubber(policy: ScrubPolicy()).scrub(Array(text.utf8), kind: .text)
        #expect(first.findings.map(\.detector) == ["url-credentials", "command-line-password"])
        #expect(!String(decoding: first.output, as: UTF8.self).contains("Wq9zT4kP2mXv"))
        #expect(try Scrubber(policy: ScrubPolicy()).scrub(first.output, kind: .text).findings.isEmpty)
    }

    @Test func whatASecondPassWouldFindIsMappedBackToTheText() {
        let token = EncodedPartTests.token
        let text = Array("ab SECRET cd \(token) ef".utf8)
        let secret = Span(range: 3..<9, placeholder: "[REDACTED:secret:x:1]")
        let start = 13
        for fitted in [false, true] {
            let found = text.withUnsafeBufferPointer {
                Scrubber.foundAsItLeaves($0, secrets: [secret], fitted: fitted, .standard)
            }
            #expect(found.map(\.range) == [start..<start + token.utf8.count])
        }
    }

    @Test func aSecretUsedAsAMemberNameIsRedactedAsAName() throws {
        // The member's value is read with its name in front; a match that lies inside the name alone belongs
        // to the name, which is scanned as a name.
        let key = "sk-proj-Q7vZ2kP9mW4xR8tL3nB6yH1cJ5dF0gAaSsEeTtUuIiOoPpLlKkJjHhGg"
        let body = #"{"model":"gpt-4o","metadata":{"\#(key)":"x"},"messages":[{"role":"user","content":"hi"}]}"#
        let result = try Scrubber(policy: ScrubPolicy()).scrub(Array(body.utf8), kind: .openai)
        #expect(result.findings.map { "\($0.detector) \($0.path)" } == ["openai-project-key $.metadata.{key}"])
        #expect(!String(decoding: result.output, as: UTF8.self).contains(key))
    }

    // MARK: Hostile input

    @Test func deepNestingIsRefusedWithoutOverflow() {
        let depth = 200_000
        let body = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: ScrubError.self) { try Scan.json(body, kind: .json) }
        do {
            _ = try Scan.json(body, kind: .json)
        } catch {
            #expect((error as? ScrubError)?.code == .nestingTooDeep)
        }
        let nestedInString = #"{"a":"\#(String(repeating: "[", count: 100))\#(String(repeating: "]", count: 100))"}"#
        #expect(throws: Never.self) { try Scan.json(nestedInString, kind: .json) }
    }

    @Test(arguments: [
        ("{\"a\": \"\u{FFFD}\"", "invalid_json"),
        ("{\"a\": 1,}", "invalid_json"),
        ("{\"a\": \"\\ud800\"}", "invalid_utf8"),
        ("{\"a\": \"x\"} trailing", "invalid_json"),
        ("", "invalid_json"),
        ("not json", "invalid_json"),
    ])
    func malformedBodiesAreRefused(_ body: String, _ code: String) {
        do {
            _ = try Scan.json(body, kind: .openai)
            Issue.record("accepted a malformed body")
        } catch {
            #expect((error as? ScrubError)?.code.rawValue == code)
        }
    }

    @Test func invalidUTF8IsRefused() {
        for bytes: [UInt8] in [
            Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8),
            Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),  // encoded surrogate
            Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),  // overlong
        ] {
            #expect(
                throws: ScrubError(
                    code: .invalidUTF8, message: "the body is not acceptable: invalid UTF-8 in a string at byte 6")
            ) {
                try Scrubber(policy: ScrubPolicy()).scrub(bytes, kind: .openai)
            }
        }
        #expect(throws: ScrubError.self) { try Scrubber(policy: ScrubPolicy()).scrub([0xFF, 0xFE], kind: .text) }
    }

    @Test func hugeStringsAreScanned() throws {
        let filler = String(repeating: "lorem ipsum dolor sit amet ", count: 200_000)
        let body = #"{"messages":[{"role":"user","content":"\#(filler)\#(Self.token)\#(filler)"}]}"#
        let result = try Scan.json(body, kind: .anthropic)
        #expect(result.findings.map(\.detector) == ["anthropic-api-key"])
        #expect(!Scan.output(result).contains(Self.token))
    }

    @Test func timeBudgetFailsClosed() {
        var policy = ScrubPolicy()
        policy.timeBudget = .zero
        #expect(throws: ScrubError.self) {
            try Scan.json(#"{"messages":[{"content":"hi"}]}"#, kind: .anthropic, policy: policy)
        }
    }

    @Test func scanReportJSONHasTheDocumentedShape() throws {
        let result = try Scan.text("token ghp_Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU here")
        let object = try Scan.parse(Array(ScanReport.json(result, kind: .text).utf8)) as! [String: Any]
        #expect(object["decision"] as? String == "redacted")
        #expect(object["output"] as? String == "token [REDACTED:secret:github-pat:1] here")
        let finding = (object["findings"] as! [[String: Any]])[0]
        #expect(Set(finding.keys) == ["category", "detector", "path", "start", "end", "action"])
        #expect(finding["start"] as? Int == 6 && finding["end"] as? Int == 46)
    }
}

/// A small deterministic generator for property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
