import Foundation
import Testing

@testable import AirlockScrub

/// Every place each provider's request shape carries text is scanned; binary parts are counted and left alone.
@Suite struct AdapterTests {
    static let token = "ghp_" + "Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU"
    static let image = "data:image/png;base64," + String(repeating: "iVBORw0KGgo", count: 20)

    static func check(
        _ body: String, kind: PayloadKind, path: String = "", policy: ScrubPolicy = ScrubPolicy(),
        expecting paths: [String]
    ) throws {
        let result = try Scan.json(body, kind: kind, path: path, policy: policy)
        let found = result.findings.filter { $0.category == .secret }.map(\.path)
        #expect(Set(found) == Set(paths), "found \(found)")
        let out = Scan.output(result)
        #expect(!out.contains(token))
        #expect(Scan.shape(try Scan.parse(result.output)) == Scan.shape(try Scan.parse(Array(body.utf8))))
    }

    @Test func openAIChatCompletions() throws {
        let t = Self.token
        let args = #"{\"query\":\"\#(t)\",\"n\":1}"#
        let body = """
            {"model":"gpt-4o","messages":[
              {"role":"system","content":"key \(t)"},
              {"role":"user","content":[{"type":"text","text":"see \(t)"},{"type":"image_url","image_url":{"url":"\(Self.image)"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"search","arguments":"\(args)"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"result \(t)"}],
             "tools":[{"type":"function","function":{"name":"search","description":"uses \(t)","parameters":{"type":"object"}}}]}
            """
        try Self.check(
            body, kind: .openai, path: "/v1/chat/completions",
            expecting: [
                "$.messages[0].content", "$.messages[1].content[0].text",
                "$.messages[2].tool_calls[0].function.arguments.query", "$.messages[3].content",
                "$.tools[0].function.description",
            ])
        #expect(try Scan.json(body, kind: .openai).binaryParts == 1)
    }

    @Test func openAIResponses() throws {
        let t = Self.token
        let body = """
            {"model":"gpt-4.1","instructions":"never share \(t)","input":[
              {"role":"user","content":[{"type":"input_text","text":"hi \(t)"},{"type":"input_image","image_url":"\(Self.image)"}]},
              {"type":"function_call","call_id":"c1","name":"run","arguments":"{\\"cmd\\":\\"\(t)\\"}"},
              {"type":"function_call_output","call_id":"c1","output":"done \(t)"}]}
            """
        var keepStore = ScrubPolicy()
        keepStore.forceStoreFalse = false
        try Self.check(
            body, kind: .openai, path: "/v1/responses", policy: keepStore,
            expecting: [
                "$.instructions", "$.input[0].content[0].text", "$.input[1].arguments.cmd", "$.input[2].output",
            ])
        let plain = try Scan.json(#"{"model":"m","input":"x \#(t)"}"#, kind: .openai, path: "/v1/responses")
        #expect(plain.findings.contains { $0.path == "$.input" })
    }

    @Test func openAIEmbeddingsAndCompletions() throws {
        let t = Self.token
        try Self.check(
            #"{"model":"e","input":["a \#(t)","b"]}"#, kind: .openai, path: "/v1/embeddings", expecting: ["$.input[0]"])
        try Self.check(
            #"{"model":"c","prompt":"p \#(t)"}"#, kind: .openai, path: "/v1/completions", expecting: ["$.prompt"])
    }

    @Test func anthropicMessages() throws {
        let t = Self.token
        let body = """
            {"model":"claude","max_tokens":10,"system":[{"type":"text","text":"sys \(t)"}],"messages":[
              {"role":"user","content":"plain \(t)"},
              {"role":"user","content":[{"type":"text","text":"block \(t)"},
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}},
                {"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc \(t)"}}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"run","input":{"cmd":"echo \(t)"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":"out \(t)"},
                {"type":"tool_result","tool_use_id":"tu2","content":[{"type":"text","text":"nested \(t)"}]}]}]}
            """
        try Self.check(
            body, kind: .anthropic, path: "/v1/messages",
            expecting: [
                "$.system[0].text", "$.messages[0].content", "$.messages[1].content[0].text",
                "$.messages[1].content[2].source.data", "$.messages[2].content[0].input.cmd",
                "$.messages[3].content[0].content", "$.messages[3].content[1].content[0].text",
            ])
        #expect(try Scan.json(body, kind: .anthropic).binaryParts == 1)
        try Self.check(#"{"model":"m","system":"s \#(t)","messages":[]}"#, kind: .anthropic, expecting: ["$.system"])
    }

    @Test func gemini() throws {
        let t = Self.token
        for system in ["systemInstruction", "system_instruction"] {
            let body = """
                {"\(system)":{"parts":[{"text":"sys \(t)"}]},"contents":[
                  {"role":"user","parts":[{"text":"hi \(t)"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgoAAAANSUhEUg"}}]},
                  {"role":"model","parts":[{"functionCall":{"name":"run","args":{"cmd":"\(t)"}}},{"executableCode":{"language":"PYTHON","code":"print(1)\\nx = 2"}}]},
                  {"role":"user","parts":[{"functionResponse":{"name":"run","response":{"out":"\(t)"}}}]}]}
                """
            try Self.check(
                body, kind: .gemini, path: "/v1beta/models/gemini-2.0-flash:generateContent",
                expecting: [
                    "$.\(system).parts[0].text", "$.contents[0].parts[0].text",
                    "$.contents[1].parts[0].functionCall.args.cmd",
                    "$.contents[2].parts[0].functionResponse.response.out",
                ])
            let result = try Scan.json(body, kind: .gemini)
            #expect(result.binaryParts == 1)
            #expect(
                result.findings.contains {
                    $0.detector == "code-python" && $0.path == "$.contents[1].parts[1].executableCode.code"
                })
        }
    }

    /// A redaction replaces only what it removes: the rest of the string keeps the client's bytes, escapes
    /// included, and still decodes to the same text.
    @Test func redactionKeepsTheClientsEscapesAroundIt() throws {
        let t = Self.token
        let content = #"caf\u00e9 \/path\n\"q\" \#(t) \ud83d\ude00 \u4e2d end"#
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"\#(content)"}]}"#
        let result = try Scan.json(body, kind: .openai)
        let output = String(decoding: result.output, as: UTF8.self)
        let placeholder = "[REDACTED:secret:github-pat:1]"
        #expect(output == body.replacingOccurrences(of: t, with: placeholder))
        let object = try JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any]
        let message = (object?["messages"] as? [[String: Any]])?.first?["content"] as? String
        #expect(message == "café /path\n\"q\" \(placeholder) 😀 中 end")
    }

    /// `executableCode.language` is client text: only a language the detector knows may name the finding.
    @Test func executableCodeLanguageComesFromTheDetectorsTable() throws {
        let canary = "ZQ-CANARY-LANG"
        for (language, detector) in [
            ("PYTHON", "code-python"), (canary, "code-code"), ("LANGUAGE_UNSPECIFIED", "code-code"),
        ] {
            let body = """
                {"contents":[{"role":"model","parts":[{"executableCode":{"language":"\(language)","code":"x = 1\\ny = 2"}}]}]}
                """
            let result = try Scan.json(body, kind: .gemini)
            #expect(result.findings.map(\.detector) == [detector])
            let placeholder = "\"code\":\"[REDACTED:code:\(detector.dropFirst(5)):2-lines:1]\""
            #expect(String(decoding: result.output, as: UTF8.self).contains(placeholder))
        }
    }

    @Test func unknownJSONScansEveryString() throws {
        let t = Self.token
        let body = #"{"model":"\#(t)","id":"\#(t)","payload":{"notes":["\#(t)"],"deep":{"x":"\#(t)"}}}"#
        try Self.check(body, kind: .json, expecting: ["$.model", "$.id", "$.payload.notes[0]", "$.payload.deep.x"])
        // Structural keys are never treated as code.
        let code = "def f(x):\\n    y = x + 1\\n    return y"
        let result = try Scan.json(#"{"model":"\#(code)","notes":"\#(code)"}"#, kind: .json)
        #expect(result.findings.map(\.path) == ["$.notes"])
    }

    @Test func secretInAKeyIsRedactedWithoutEchoingIt() throws {
        let t = Self.token
        let result = try Scan.json(
            #"{"model":"m","messages":[{"role":"user","content":"{\"\#(t)\": 1}"}]}"#, kind: .openai)
        #expect(!Scan.output(result).contains(t))
        #expect(result.findings.allSatisfy { !$0.path.contains(t) })
    }

    /// A value is read with the name it is assigned to: a password in a JSON document pasted as content, in a tool
    /// call's input, in request metadata or in a form field is found though the value alone looks like any word.
    @Test func valuesAreReadWithTheNameTheyAreAssignedTo() throws {
        let password = "Tr0ub4dor&3x-Q"
        let nested = try Scan.json(
            #"{"model":"m","messages":[{"role":"user","content":"{\"db\": {\"password\": \"\#(password)\"}}"}]}"#,
            kind: .openai)
        #expect(nested.findings.map(\.detector) == ["password-assignment"])
        #expect(nested.findings.map(\.path) == ["$.messages[0].content.db.password"])
        #expect(!Scan.output(nested).contains(password))

        let toolInput = try Scan.json(
            #"{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"connect","#
                + #""input":{"host":"db","password":"\#(password)"}}]}]}"#, kind: .anthropic)
        #expect(toolInput.findings.map(\.detector) == ["password-assignment"])

        let key = "q8Rz3LmN7vT2xK9pW4sY6bH1"
        let metadata = try Scan.json(
            #"{"model":"m","metadata":{"api_key":"\#(key)"},"input":"hi"}"#, kind: .openai, path: "/v1/responses")
        #expect(metadata.findings.contains { $0.detector == "api-key-assignment" && $0.path == "$.metadata.api_key" })
        #expect(!Scan.output(metadata).contains(key))

        // A key that is itself a token keeps its own rule; the name only adds context.
        let keyed = try Scan.json(
            #"{"model":"m","messages":[{"role":"user","content":"{\"aws_secret_access_key\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8Hk2LmQ9\"}"}]}"#,
            kind: .openai)
        #expect(keyed.findings.map(\.detector) == ["aws-secret-access-key"])

        // Names alone are not secrets: schema descriptions, literal types and counts stay.
        let schema = try Scan.json(
            #"{"model":"m","tools":[{"type":"function","function":{"name":"login","parameters":{"type":"object","#
                + #""properties":{"password":{"type":"string","description":"The password the user typed"},"#
                + #""token":{"type":"string"}}}}}],"messages":[{"role":"user","content":"{\"token_count\": \"12345678\", \"secret\": \"kept in the vault\"}"}]}"#,
            kind: .openai)
        #expect(schema.findings.isEmpty, "\(schema.findings.map(\.detector))")
    }

    @Test func minimisation() throws {
        let added = try Scan.json(#"{"model":"m","input":"hi"}"#, kind: .openai, path: "/v1/responses")
        #expect(Scan.output(added) == #"{"store":false,"model":"m","input":"hi"}"#)
        #expect(added.findings.map(\.detector) == ["openai-store-disabled"])
        #expect(added.decision == .allowed)
        let replaced = try Scan.json(#"{"store": true, "input":"hi"}"#, kind: .openai, path: "/v1/responses")
        #expect(Scan.output(replaced) == #"{"store": false, "input":"hi"}"#)
        let kept = try Scan.json(#"{"store":false,"input":"hi"}"#, kind: .openai, path: "/v1/responses")
        #expect(kept.findings.isEmpty && !kept.changed)
        // Only a body for OpenAI is rewritten: another host's JSON at a similar path is left as it is.
        let other = try Scan.json(#"{"input":"hi"}"#, kind: .json, path: "/v1/responses")
        #expect(other.findings.isEmpty && !other.changed)
        let guessed = try Scan.json(#"{"input":"hi"}"#, kind: .auto, path: "/v1/responses")
        #expect(guessed.findings.map(\.detector) == ["openai-store-disabled"])

        var policy = ScrubPolicy()
        policy.dropIdentifiers = true
        let dropped = try Scan.json(
            #"{"user":"u-42","model":"m","metadata":{"k":"v"},"safety_identifier":"s","messages":[]}"#, kind: .openai,
            path: "/v1/chat/completions", policy: policy)
        #expect(Scan.output(dropped) == #"{"model":"m","messages":[]}"#)
        #expect(dropped.findings.filter { $0.detector == "identifier-dropped" }.count == 3)
    }

    @Test(
        "the operation is named from the path's end, query ignored",
        arguments: [
            (PayloadKind.openai, "/v1/chat/completions?x=1", ProviderOperation.chat),
            (.openai, "/v1/completions", .completions),
            (.openai, "/v1/responses", .responses),
            (.openai, "/v1/embeddings", .embeddings),
            (.openai, "/v1/models", .other),
            (.openai, "/v1/responses/extra", .other),
            (.anthropic, "/v1/messages", .messages),
            (.anthropic, "/v1/messages/count_tokens", .countTokens),
            (.anthropic, "/v1/chat/completions", .other),
            (.gemini, "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", .streamGenerateContent),
            (.gemini, "/v1beta/models/gemini-2.0-flash:generateContent", .generateContent),
            (.gemini, "/v1beta/models/gemini-2.0-flash:countTokens", .countTokens),
            (.gemini, "/v1beta/models/text-embedding-004:batchEmbedContents", .embedContent),
            (.gemini, "/v1beta/models/gemini-2.0-flash", .other),
            (.gemini, "", .other),
            (.json, "/v1/chat/completions", .other),
        ]
    )
    func operationFromPath(kind: PayloadKind, path: String, expected: ProviderOperation) {
        #expect(ProviderOperation.from(path: path, kind: kind) == expected)
    }
}
