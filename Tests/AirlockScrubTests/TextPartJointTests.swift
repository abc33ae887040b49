import Foundation
import Testing

@testable import AirlockScrub

/// Secrets cut in two by the boundary between two text parts of one body. The provider reads neighbouring text
/// parts as one text, so each part is read with the end of the parts before it and the start of the parts after it.
@Suite struct TextPartJointTests {
    static let token = EncodedPartTests.token

    /// `texts` as the text parts of one message in `kind`'s shape.
    static func body(_ texts: [String], kind: PayloadKind) throws -> String {
        let parts: [[String: Any]] =
            kind == .gemini ? texts.map { ["text": $0] } : texts.map { ["type": "text", "text": $0] }
        let object: [String: Any] =
            switch kind {
            case .gemini: ["contents": [["role": "user", "parts": parts]]]
            case .anthropic: ["model": "claude", "max_tokens": 10, "messages": [["role": "user", "content": parts]]]
            default: ["model": "gpt-4o", "messages": [["role": "user", "content": parts]]]
            }
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// The texts of the parts in `result`, in order.
    static func texts(_ result: ScrubResult, kind: PayloadKind) throws -> [String] {
        let root = try #require(try Scan.parse(result.output) as? [String: Any])
        let message = try #require(
            ((kind == .gemini ? root["contents"] : root["messages"]) as? [[String: Any]])?.first)
        let parts = try #require((kind == .gemini ? message["parts"] : message["content"]) as? [[String: Any]])
        return parts.compactMap { $0["text"] as? String }
    }

    @Test(arguments: [PayloadKind.openai, .anthropic, .gemini])
    func aTokenCutBetweenTwoPartsIsRedactedInBoth(kind: PayloadKind) throws {
        let body = try Self.body(
            ["my token is \(Self.token.prefix(20))", "\(Self.token.dropFirst(20)) please"], kind: kind)
        let result = try Scan.json(body, kind: kind)
        #expect(result.decision == .redacted)
        let texts = try Self.texts(result, kind: kind)
        #expect(texts == ["my token is [REDACTED:secret:github-pat:1]", "[REDACTED:secret:github-pat:1] please"])
        // One secret, reported once, where it starts.
        #expect(result.findings.map(\.detector) == ["github-pat"])
        #expect(result.findings.first?.path.hasSuffix("[0].text") == true)
        // Each half alone matches no rule: this is what reading the parts together adds.
        #expect(
            Scan.secrets(String(Self.token.prefix(20))).isEmpty
                && Scan.secrets(String(Self.token.dropFirst(20))).isEmpty)
        // And the output has nothing left to find.
        let again = try Scrubber(policy: ScrubPolicy()).scrub(result.output, kind: kind)
        #expect(again.findings.isEmpty && again.output == result.output)
    }

    @Test func aTokenSpreadOverThreePartsIsRedactedInEach() throws {
        let token = Self.token
        let cuts = [token.index(token.startIndex, offsetBy: 10), token.index(token.startIndex, offsetBy: 22)]
        let body = try Self.body(
            ["key: \(token[..<cuts[0]])", String(token[cuts[0]..<cuts[1]]), "\(token[cuts[1]...]) end"], kind: .openai)
        let result = try Scan.json(body, kind: .openai)
        let texts = try Self.texts(result, kind: .openai)
        #expect(
            texts == [
                "key: [REDACTED:secret:github-pat:1]", "[REDACTED:secret:github-pat:1]",
                "[REDACTED:secret:github-pat:1] end",
            ])
        #expect(result.findings.map(\.detector) == ["github-pat"])
    }

    @Test func anAssignmentWhoseNameEndsOnePartIsFoundInTheNext() throws {
        let body = try Self.body(["config:\n  password:", " Vq3-lotus-Rp8-harbor\n  port: 5432"], kind: .anthropic)
        let result = try Scan.json(body, kind: .anthropic)
        let texts = try Self.texts(result, kind: .anthropic)
        #expect(texts[0] == "config:\n  password:")
        #expect(!texts[1].contains("lotus") && texts[1].hasSuffix("\n  port: 5432"))
        #expect(result.findings.map(\.detector) == ["password-assignment"])
    }

    @Test func aPrivateKeyCutBetweenPartsIsRemovedFromBoth() throws {
        let lines = (0..<12).map { n in String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo\(n % 10)", count: 2) }
        let key =
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\(lines.joined(separator: "\n"))\n-----END OPENSSH PRIVATE KEY-----"
        let cut = try #require(key.range(of: lines[6])).lowerBound
        let body = try Self.body(["here is my key\n" + key[..<cut], key[cut...] + "\nthanks"], kind: .gemini)
        let result = try Scan.json(body, kind: .gemini)
        let texts = try Self.texts(result, kind: .gemini).joined()
        #expect(!texts.contains(lines[5]) && !texts.contains(lines[6]) && !texts.contains(lines[11]))
        #expect(texts.hasPrefix("here is my key\n") && texts.hasSuffix("\nthanks"))
        #expect(result.findings.count == 1)
    }

    @Test func aSecretAPartHoldsWholeIsReportedOnce() throws {
        let body = try Self.body(["token \(Self.token)", " and the next part"], kind: .openai)
        let result = try Scan.json(body, kind: .openai)
        #expect(result.findings.map(\.detector) == ["github-pat"])
        #expect(
            try Self.texts(result, kind: .openai) == ["token [REDACTED:secret:github-pat:1]", " and the next part"])
    }

    @Test func aBlockingPolicyBlocksTheRequest() throws {
        var policy = ScrubPolicy()
        policy.secrets = .block
        let body = try Self.body(
            ["my token is \(Self.token.prefix(20))", String(Self.token.dropFirst(20))], kind: .openai)
        let result = try Scan.json(body, kind: .openai, policy: policy)
        #expect(result.decision == .blocked && !result.changed)
    }

    @Test func partsAreReadTogetherOnlyWhenTheyAreNeighbours() throws {
        let first = "my token is \(Self.token.prefix(20))"
        let second = "\(Self.token.dropFirst(20)) please"
        // An image between them: the provider does not read the halves as one text.
        let image = #"{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}"#
        let parted = """
            {"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"\(first)"},\(image),\
            {"type":"text","text":"\(second)"}]}]}
            """
        #expect(try Scan.json(parted, kind: .openai).findings.isEmpty)
    }

    @Test func neighbouringMessagesAndInputsAreReadAroundTheirBoundaries() throws {
        let first = "my token is \(Self.token.prefix(20))"
        let second = "\(Self.token.dropFirst(20)) please"
        // The model reads neighbouring messages together, and an embeddings index keeps neighbouring inputs
        // together: both halves of a token would reach the provider.
        let messages = """
            {"model":"gpt-4o","messages":[{"role":"user","content":"\(first)"},{"role":"user","content":"\(second)"}]}
            """
        let inputs = """
            {"model":"text-embedding-3-small","input":["\(first)","\(second)"]}
            """
        for (body, path) in [(messages, "/v1/chat/completions"), (inputs, "/v1/embeddings")] {
            let result = try Scrubber(policy: ScrubPolicy()).scrub(Array(body.utf8), kind: .openai, path: path)
            #expect(result.findings.map(\.detector) == ["github-pat"])
            let out = String(decoding: result.output, as: UTF8.self)
            #expect(!out.contains(String(Self.token.prefix(20))) && !out.contains(String(Self.token.dropFirst(20))))
            let again = try Scrubber(policy: ScrubPolicy()).scrub(result.output, kind: .openai, path: path)
            #expect(again.findings.isEmpty && again.output == result.output)
        }
    }

    @Test func onlyTheTextNearABoundaryIsReadAgain() throws {
        let prose = String(repeating: "plain words in a long message\n", count: 1500)
        let aws = "AKIA" + "Q7ZK4M2P9X3T6W8R"
        let first = Array("aws \(aws)\n\(prose)my token is \(Self.token.prefix(20))".utf8)
        let second = Array("\(Self.token.dropFirst(20)) and\n\(prose)".utf8)
        let found = Scrubber(policy: ScrubPolicy()).jointFindings(first + second, starts: [0, first.count])
        // The key at the start of the first part is far from the boundary: its own scan finds it, and the joint
        // read does not see it again. The token across the boundary is listed for both parts, reported with the first.
        #expect(found[0].count == 1 && found[1].count == 1)
        #expect(found[0][0].range == first.count - 20..<first.count && !found[0][0].reportedBefore)
        #expect(found[1][0].range == 0..<Self.token.utf8.count - 20 && found[1][0].reportedBefore)
        #expect(found[0][0].text == Array(Self.token.utf8))
        let body = try Self.body(
            [String(decoding: first, as: UTF8.self), String(decoding: second, as: UTF8.self)], kind: .openai)
        let result = try Scan.json(body, kind: .openai)
        #expect(result.findings.map(\.detector).sorted() == ["aws-access-key-id", "github-pat"])
        #expect(!Scan.output(result).contains(String(Self.token.prefix(20))))
    }
}

/// Code whose lines are spread over neighbouring text parts, one line or a few per part: no part holds enough of
/// it to read as code on its own, and the provider reads the parts as one text.
@Suite struct TextPartCodeTests {
    static let lines = [
        "def apply_discount(order, rate):",
        "    if rate <= 0:",
        "        return order.total",
        "    return round(order.total * (1 - rate), 2)",
    ]

    @Test(arguments: [PayloadKind.openai, .anthropic, .gemini])
    func codeWithOneLinePerPartIsRedactedInEachPart(kind: PayloadKind) throws {
        let texts = ["Can you review this?\n"] + Self.lines + ["\nThanks, it is for the shop."]
        // No part holds code on its own.
        for text in texts { #expect(Scan.code(text).isEmpty) }
        let result = try Scan.json(try TextPartJointTests.body(texts, kind: kind), kind: kind)
        #expect(result.decision == .redacted)
        let out = try TextPartJointTests.texts(result, kind: kind)
        let placeholder = "[REDACTED:code:python:4-lines:1]"
        #expect(out == ["Can you review this?\n"] + Array(repeating: placeholder, count: 4) + [texts.last!])
        // One block, reported once, where it starts, with all of its lines.
        let code = result.findings.filter { $0.category == .code }
        #expect(code.map(\.detector) == ["code-python"] && code.first?.lines == 4)
        #expect(code.first?.path.hasSuffix("[1].text") == true)
        // Nothing is left to find.
        let again = try Scrubber(policy: ScrubPolicy()).scrub(result.output, kind: kind)
        #expect(again.findings.isEmpty && again.output == result.output)
    }

    @Test func aBlockThatGoesOnInsideAPartIsOneBlock() throws {
        let texts = ["Here it is:\n" + Self.lines[0], Self.lines[1...].joined(separator: "\n") + "\n\nWhat is wrong?"]
        let result = try Scan.json(try TextPartJointTests.body(texts, kind: .openai), kind: .openai)
        let out = try TextPartJointTests.texts(result, kind: .openai)
        #expect(
            out == [
                "Here it is:\n[REDACTED:code:python:4-lines:1]", "[REDACTED:code:python:4-lines:1]\n\nWhat is wrong?",
            ])
        // The second part's own lines are code too, but they are part of the one block.
        #expect(result.findings.filter { $0.category == .code }.count == 1)
    }

    @Test func sentencesOnePerPartStayAsTheyAre() throws {
        let texts = [
            "I ordered a lamp last week.", "It arrived broken, and the box was wet.",
            "Could you send a new one or refund me?", "My order number is in the email.",
        ]
        let result = try Scan.json(try TextPartJointTests.body(texts, kind: .anthropic), kind: .anthropic)
        #expect(result.decision == .allowed && result.findings.isEmpty)
    }

    /// A run is read again for code only where a block could cross a boundary.
    @Test func onlyRunsWhoseBoundariesCodeCouldCrossAreReadAgain() {
        func mayCross(_ parts: [String]) -> Bool {
            let text = Array(parts.joined(separator: "\n").utf8)
            var boundaries: [Int] = []
            var offset = 0
            for part in parts.dropLast() {
                offset += part.utf8.count + 1
                boundaries.append(offset)
            }
            return text.withUnsafeBufferPointer { CodeDetector().mayCross($0, boundaries: boundaries) }
        }
        #expect(mayCross(Self.lines))
        #expect(!mayCross(["I ordered a lamp last week.", "It arrived broken, and the box was wet."]))
        // Code whose neighbours are prose is left to its own part's scan.
        #expect(!mayCross(["Here is the function.", Self.lines.joined(separator: "\n"), "Thanks for looking at it."]))
        // A fence may run on into the parts after it.
        #expect(mayCross(["Look at this:\n```", "the first line of it", "```"]))
    }

    @Test func aBlockingPolicyBlocksTheRequest() throws {
        var policy = ScrubPolicy()
        policy.code = .block
        let body = try TextPartJointTests.body(Self.lines, kind: .gemini)
        #expect(try Scan.json(body, kind: .gemini, policy: policy).decision == .blocked)
    }
}
