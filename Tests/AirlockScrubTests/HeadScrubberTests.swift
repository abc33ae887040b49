import Foundation
import Testing

@testable import AirlockScrub

/// Secrets in the request head: in headers and query parameters redacted in their values like secrets in a body, a
/// credential that holds another service's secret refused, and a secret in the path refused.
@Suite struct HeadScrubberTests {
    static let token = EncodedPartTests.token
    static let body = Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}"#.utf8)
    static let sdkHeaders: [(name: String, value: String)] = [
        ("Host", "api.openai.com"), ("Content-Type", "application/json"), ("User-Agent", "OpenAI/Python 1.54.0"),
        ("X-Stainless-Retry-Count", "0"), ("OpenAI-Organization", "org-Zq8RkT3vW9xY2bN5mC7dF1gH"),
        ("Idempotency-Key", "stainless-python-retry-6f1c2a4e-8a7b-4c3d-9e2f-1a2b3c4d5e6f"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("Authorization", "Bearer sk-proj-" + String(repeating: "Zq8RkT3vW9xY2bN5", count: 3)),
        ("Cookie", "__cf_bm=Xq7pZr9wT4kP2mXvQ8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU.1700000000-1.0.1.1-abcDEF"),
    ]

    static func scrub(
        _ headers: [(name: String, value: String)], kind: PayloadKind = .openai, policy: ScrubPolicy = ScrubPolicy()
    ) throws -> ScrubResult {
        try Scrubber(policy: policy).scrub(body, kind: kind, path: "/v1/chat/completions", headers: headers)
    }

    @Test func anSDKsOwnHeadersAndTheProvidersKeyPass() throws {
        let result = try Self.scrub(Self.sdkHeaders)
        #expect(result.findings.isEmpty && result.headerValues.isEmpty && result.decision == .allowed)
    }

    @Test func aSecretInAnotherHeaderIsRedactedInItsValue() throws {
        let result = try Self.scrub(
            Self.sdkHeaders + [
                ("X-Debug-Token", "Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0s"), ("X-Trace", "run 7 \(Self.token)"),
            ])
        #expect(result.decision == .redacted)
        #expect(result.findings.map(\.path) == ["header.X-Debug-Token", "header.X-Trace"])
        #expect(result.findings.map(\.detector) == ["token-assignment", "github-pat"])
        let count = Self.sdkHeaders.count
        #expect(result.headerValues[count] == "[REDACTED:secret:token-assignment:1]")
        #expect(result.headerValues[count + 1] == "run 7 [REDACTED:secret:github-pat:2]")
        // Offsets are in the value; the body is untouched.
        #expect(result.findings[1].start == 6 && result.findings[1].end == 6 + Self.token.utf8.count)
        #expect(result.output == Self.body && !result.changed)
    }

    @Test func headersAndBodyShareTheNumbering() throws {
        let body = Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"key \#(Self.token)"}]}"#.utf8)
        let result = try Scrubber(policy: ScrubPolicy()).scrub(
            body, kind: .openai,
            headers: [("X-Trace", "run \(Self.token)"), ("X-Other", "ghp_" + "Wq9zT4kP2mXvQ8RkT3vW9xY2bN5mC7dF1gH4")])
        #expect(result.headerValues[0] == "run [REDACTED:secret:github-pat:1]")
        #expect(result.headerValues[1] == "[REDACTED:secret:github-pat:2]")
        #expect(String(decoding: result.output, as: UTF8.self).contains("key [REDACTED:secret:github-pat:1]"))
    }

    @Test(arguments: [
        (PayloadKind.openai, "Authorization", "Bearer \(EncodedPartTests.token)"),
        (PayloadKind.anthropic, "x-api-key", "AKIA" + "Q7ZK4M2P9X3T6W8R"),
        (PayloadKind.gemini, "X-Goog-Api-Key", "sk-proj-" + String(repeating: "Zq8RkT3vW9xY2bN5", count: 3)),
    ])
    func anotherServicesSecretAsTheCredentialIsBlocked(kind: PayloadKind, name: String, value: String) throws {
        let result = try Self.scrub([("Content-Type", "application/json"), (name, value)], kind: kind)
        #expect(result.decision == .blocked && result.headerValues.isEmpty)
        #expect(result.findings.map(\.path) == ["header.\(name)"] && result.findings.allSatisfy { $0.action == .block })
        // Monitor counts it and lets it pass.
        var policy = ScrubPolicy()
        policy.secrets = .monitor
        let monitored = try Self.scrub([(name, value)], kind: kind, policy: policy)
        #expect(monitored.decision == .allowed && monitored.findings.count == 1)
    }

    @Test func eachProvidersOwnCredentialsPass() throws {
        let anthropic = "sk-ant-api03-" + String(repeating: "Zq8RkT3vW9xY2bN5", count: 6)
        #expect(try Self.scrub([("x-api-key", anthropic)], kind: .anthropic).findings.isEmpty)
        #expect(
            try Self.scrub(
                [("x-goog-api-key", "AIza" + String(repeating: "Zq8RkT3vW", count: 4) + "b2N")], kind: .gemini
            ).findings.isEmpty)
        #expect(
            try Self.scrub(
                [("Authorization", "Bearer ya29." + String(repeating: "Zq8RkT3vW9", count: 5))], kind: .gemini
            ).findings.isEmpty)
        // A host without a provider: its credential header holds whatever its credentials are.
        #expect(try Self.scrub([("Authorization", "Bearer \(Self.token)")], kind: .json).findings.isEmpty)
    }

    @Test func aBlockingPolicyBlocksAnyHeaderSecret() throws {
        var policy = ScrubPolicy()
        policy.secrets = .block
        let result = try Self.scrub([("X-Debug-Token", Self.token)], policy: policy)
        #expect(result.decision == .blocked && result.headerValues.isEmpty)
    }

    @Test func aRequestWithoutABodyHasItsHeadersRead() throws {
        let result = try Scrubber(policy: ScrubPolicy()).scrub(
            headers: [("X-Api-Token", Self.token)], kind: .openai, path: "/v1/models")
        #expect(result.decision == .redacted && result.output.isEmpty)
        #expect(result.headerValues == [0: "[REDACTED:secret:github-pat:1]"])
    }

    @Test func aHeaderNameThatHoldsASecretIsRefusedAndNotEchoed() throws {
        let result = try Self.scrub([(Self.token, "1")])
        #expect(result.decision == .blocked && result.findings.map(\.path) == ["header.{key}"])
    }

    @Test func aSecretThatRunsOverSeveralHeadersIsRedactedInEach() throws {
        let body = String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo5", count: 2)
        let result = try Self.scrub([
            ("X-Key", "-----BEGIN OPENSSH PRIVATE KEY-----"), ("X-Key-Body", body),
            ("X-Key-End", "-----END OPENSSH PRIVATE KEY-----"), ("X-Other", "plain"),
        ])
        #expect(result.decision == .redacted)
        #expect(Set(result.headerValues.keys) == [0, 1, 2])
        #expect(result.headerValues.values.allSatisfy { !$0.contains("QUJDREVG") && !$0.contains("BEGIN OPENSSH") })
    }

    // MARK: The request target

    static func scrub(
        target: String, kind: PayloadKind = .gemini, policy: ScrubPolicy = ScrubPolicy()
    ) throws(ScrubError) -> ScrubResult {
        try Scrubber(policy: policy).scrub(headers: [("Content-Type", "application/json")], kind: kind, path: target)
    }

    static let geminiKey = "AIza" + String(repeating: "Zq8RkT3vW", count: 4) + "b2N"

    @Test func aProvidersOwnTargetPasses() throws {
        for (kind, target) in [
            (PayloadKind.gemini, "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=\(Self.geminiKey)"),
            (.gemini, "/v1beta/models?pageSize=50&pageToken=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3"),
            (.gemini, "/upload/v1beta/files?upload_id=AHxI1nNq8Zk3pQw7vR2sT9uY4bC6dE1fG&upload_protocol=resumable"),
            (.openai, "/v1/files?purpose=assistants&limit=100&after=file-Zq8RkT3vW9xY2bN5mC7dF1gH&order=desc"),
            (.openai, "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"),
            (.anthropic, "/v1/messages?beta=true"),
        ] {
            let result = try Self.scrub(target: target, kind: kind)
            #expect(result.findings.isEmpty && result.target == nil, "\(target)")
        }
    }

    @Test func aSecretInAQueryValueIsRedactedAndTheRestLeavesAsSent() throws {
        let target =
            "/v1beta/models/gemini-2.0-flash:generateContent?alt=sse&key=\(Self.geminiKey)"
            + "&debug_token=Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0s&trace=run+7+\(Self.token)&q=a%20b"
        let result = try Self.scrub(target: target)
        #expect(result.decision == .redacted)
        #expect(result.findings.map(\.path) == ["query.debug_token", "query.trace"])
        #expect(result.findings.map(\.detector) == ["token-assignment", "github-pat"])
        // Offsets are in the decoded value.
        #expect(result.findings[1].start == 6 && result.findings[1].end == 6 + Self.token.utf8.count)
        #expect(
            result.target
                == "/v1beta/models/gemini-2.0-flash:generateContent?alt=sse&key=\(Self.geminiKey)"
                + "&debug_token=%5BREDACTED%3Asecret%3Atoken-assignment%3A1%5D"
                + "&trace=run%207%20%5BREDACTED%3Asecret%3Agithub-pat%3A2%5D&q=a%20b")
        // Read again as it leaves, nothing is left to find.
        let again = try Self.scrub(target: result.target!)
        #expect(again.target == nil && again.decision == .allowed)
    }

    @Test func aPercentEncodedSecretIsFoundDecoded() throws {
        let encoded = Self.token.utf8.map { "%" + String($0, radix: 16, uppercase: true) }.joined()
        let result = try Self.scrub(target: "/v1/models?note=\(encoded)", kind: .openai)
        #expect(result.findings.map(\.detector) == ["github-pat"])
        #expect(result.target == "/v1/models?note=%5BREDACTED%3Asecret%3Agithub-pat%3A1%5D")
    }

    @Test func queryAndBodyShareTheNumbering() throws {
        let body = Array(#"{"contents":[{"parts":[{"text":"key \#(Self.token)"}]}]}"#.utf8)
        let result = try Scrubber(policy: ScrubPolicy()).scrub(
            body, kind: .gemini, path: "/v1beta/models/m:generateContent?trace=\(Self.token)")
        #expect(result.target == "/v1beta/models/m:generateContent?trace=%5BREDACTED%3Asecret%3Agithub-pat%3A1%5D")
        #expect(String(decoding: result.output, as: UTF8.self).contains("key [REDACTED:secret:github-pat:1]"))
    }

    @Test func anotherServicesSecretAsTheKeyParameterIsBlocked() throws {
        let result = try Self.scrub(target: "/v1beta/models/m:generateContent?key=\(Self.token)")
        #expect(result.decision == .blocked && result.target == nil)
        #expect(result.findings.map(\.path) == ["query.key"] && result.findings.allSatisfy { $0.action == .block })
    }

    @Test func aSecretInThePathOrAParameterNameIsRefusedAndNotEchoed() throws {
        for target in [
            "/v1/files/\(Self.token)/content", "/v1/models?\(Self.token)", "/v1/models?\(Self.token)=1",
            "/v1/files/%67hp_\(Self.token.dropFirst(4))",
        ] {
            let result = try Self.scrub(target: target, kind: .openai)
            #expect(result.decision == .blocked && result.target == nil, "\(target)")
            #expect(result.findings.allSatisfy { $0.path == "path" || $0.path == "query.{key}" })
            #expect(result.findings.allSatisfy { $0.start == 0 && $0.end == 0 })
        }
    }

    @Test func aPageTokenIsReadForSecretsByTheirShapeOnly() throws {
        let result = try Self.scrub(target: "/v1beta/files?pageToken=\(Self.token)")
        #expect(result.findings.map(\.detector) == ["github-pat"] && result.decision == .redacted)
    }

    @Test func anUndecodableTargetIsRefusedClearly() {
        for target in ["/v1/models?q=%zz", "/v1/models?q=%4", "/v1/mod%els"] {
            do throws(ScrubError) {
                _ = try Self.scrub(target: target, kind: .openai)
                Issue.record("\(target) was read")
            } catch {
                #expect(error.code == .invalidRequestTarget)
                #expect(error.message.contains("two hex digits"))
            }
        }
    }
}
