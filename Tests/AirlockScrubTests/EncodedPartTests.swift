import Foundation
import Testing

@testable import AirlockScrub

/// Base64 parts: text files sent as base64 are decoded and scanned, binary parts are left alone and counted, and
/// what cannot be read is refused.
@Suite struct EncodedPartTests {
    static let token = "ghp_" + "Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU"
    static let envFile = "# settings\nGITHUB_TOKEN=\(token)\nREGION=eu-west-1\n"
    static let pythonFile = """
        import os

        def apply_discount(order, rate):
            if rate <= 0:
                return order.total
            return round(order.total * (1 - rate), 2)
        """
    /// Bytes that begin like a PNG image.
    static let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D] + Array(0..<200)

    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// The decoded bytes of the base64 string at `path` (keys and indexes) in a JSON body, after any data URL prefix.
    static func decodedPart(_ body: [UInt8], _ path: [Any]) throws -> String {
        String(decoding: try decodedBytes(body, path), as: UTF8.self)
    }

    static func decodedBytes(_ body: [UInt8], _ path: [Any]) throws -> [UInt8] {
        var value = try Scan.parse(body)
        for step in path {
            if let key = step as? String {
                value = (value as! [String: Any])[key]!
            } else {
                value = (value as! [Any])[step as! Int]
            }
        }
        var text = value as! String
        if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") {
            text = String(text[text.index(after: comma)...])
        }
        text = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Array(try #require(Data(base64Encoded: text)))
    }

    // MARK: Base64

    @Test func base64AgreesWithFoundationBothWays() throws {
        var state: UInt64 = 7
        for length in 0..<300 {
            let bytes = (0..<length).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 40)
            }
            let standard = Data(bytes).base64EncodedString()
            #expect(String(decoding: Base64.encode(bytes), as: UTF8.self) == standard)
            let decoded = try #require(Base64.decode(Array(standard.utf8)))
            #expect(decoded.bytes == bytes && !decoded.urlSafe)
            // The URL-safe alphabet without padding, as some clients send it, is written back the same way.
            let urlSafe = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let other = try #require(Base64.decode(Array(urlSafe.utf8)))
            #expect(other.bytes == bytes)
            let again = Base64.encode(other.bytes, urlSafe: other.urlSafe, padded: other.padded)
            #expect(String(decoding: again, as: UTF8.self) == urlSafe)
        }
        // MIME-style line breaks, and whitespace anywhere between characters.
        for spaced in ["QUJD\nREVG", "QU JD\r\nRE\tVG", " QUJDREVG ", "QUJDREU =\n"] {
            #expect(
                Base64.decode(Array(spaced.utf8))?.bytes == Array((spaced.hasSuffix("=\n") ? "ABCDE" : "ABCDEF").utf8))
        }
    }

    @Test func base64RefusesWhatIsNotBase64() {
        for bad in ["abc!", "A", "AAAAA", "AAAA=", "AA=A", "AA==A", "A+B-", "QUJD=", "QQ===", "QUI==", "%QUJD"] {
            #expect(Base64.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    // MARK: Media types

    @Test func mediaTypesSayWhetherAPartIsText() {
        let cases: [(String, EncodedPart.Content)] = [
            ("text/plain", .text(language: nil)), ("TEXT/Markdown; charset=utf-8", .text(language: nil)),
            ("text/x-python", .text(language: "python")), ("application/x-python", .text(language: "python")),
            ("text/javascript", .text(language: "javascript")), ("application/x-sh", .text(language: "shell")),
            ("application/json", .text(language: nil)), ("application/vnd.api+json", .text(language: nil)),
            ("application/x-yaml", .text(language: nil)), ("text/csv", .text(language: nil)),
            ("image/png", .binary), ("audio/wav", .binary), ("video/mp4", .binary), ("application/pdf", .binary),
            ("application/zip", .binary),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", .binary),
            ("application/octet-stream", .unknown), ("", .unknown), ("nonsense", .unknown),
        ]
        for (type, expected) in cases {
            #expect(EncodedPart.content(ofMediaType: type) == expected, "\(type)")
        }
        #expect(EncodedPart.content(declaredAs: ["image/png", "text/plain"]) == .text(language: nil))
        #expect(EncodedPart.content(declaredAs: ["image/png", "application/octet-stream"]) == .unknown)
        #expect(EncodedPart.content(declaredAs: ["image/png", "image/jpeg"]) == .binary)
        #expect(EncodedPart.content(declaredAs: []) == .unknown)
    }

    // MARK: Provider shapes

    @Test func geminiTextFilesAreScannedAndWrittenBack() throws {
        for (object, typeKey) in [("inlineData", "mimeType"), ("inline_data", "mime_type")] {
            let body = """
                {"contents":[{"role":"user","parts":[{"text":"summarise this"},
                  {"\(object)":{"\(typeKey)":"text/plain","data":"\(Self.b64(Self.envFile))"}}]}]}
                """
            let result = try Scan.json(body, kind: .gemini, path: "/v1beta/models/gemini-2.0-flash:generateContent")
            #expect(result.decision == .redacted)
            #expect(result.binaryParts == 0)
            #expect(
                result.findings.map(\.path) == ["$.contents[0].parts[1].\(object).data"]
                    && result.findings.map(\.detector) == ["github-pat"])
            let file = try Self.decodedPart(result.output, ["contents", 0, "parts", 1, object, "data"])
            #expect(file == "# settings\nGITHUB_TOKEN=[REDACTED:secret:github-pat:1]\nREGION=eu-west-1\n")
            #expect(!Scan.output(result).contains(Self.b64(Self.token)))
        }
    }

    /// URL-safe base64 without padding, as some clients send it, is written back the same way.
    @Test func theClientsBase64AlphabetIsKept() throws {
        let file = Self.envFile + "??"
        let sent = Self.b64(file).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        try #require(sent.contains("-") || sent.contains("_"))
        let body = #"{"contents":[{"parts":[{"inline_data":{"mime_type":"text/plain","data":"\#(sent)"}}]}]}"#
        let result = try Scan.json(body, kind: .gemini)
        let data =
            try #require(
                (((try Scan.parse(result.output) as! [String: Any])["contents"] as! [[String: Any]])[0]["parts"]
                    as! [[String: Any]])[0]["inline_data"] as? [String: Any])["data"] as! String
        #expect(!data.contains("+") && !data.contains("/") && !data.contains("="))
        #expect(
            try Self.decodedPart(result.output, ["contents", 0, "parts", 0, "inline_data", "data"])
                == "# settings\nGITHUB_TOKEN=[REDACTED:secret:github-pat:1]\nREGION=eu-west-1\n??")
    }

    @Test func sourceFilesAreCodeAsAWhole() throws {
        let body =
            #"{"contents":[{"parts":[{"inlineData":{"mimeType":"text/x-python","data":"\#(Self.b64(Self.pythonFile))"}}]}]}"#
        let result = try Scan.json(body, kind: .gemini)
        #expect(result.findings.map(\.detector) == ["code-python"])
        let file = try Self.decodedPart(result.output, ["contents", 0, "parts", 0, "inlineData", "data"])
        #expect(file == "[REDACTED:code:python:6-lines:1]")
    }

    @Test func openAIFilePartsAndDataURLsAreScanned() throws {
        let dataURL = "data:text/plain;base64," + Self.b64(Self.envFile)
        let chat = """
            {"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"read"},
              {"type":"file","file":{"filename":"settings.env","file_data":"\(dataURL)"}}]}]}
            """
        let result = try Scan.json(chat, kind: .openai, path: "/v1/chat/completions")
        #expect(result.findings.map(\.path) == ["$.messages[0].content[1].file.file_data"])
        let content = try #require(
            ((try Scan.parse(result.output) as! [String: Any])["messages"] as! [[String: Any]])[0]["content"] as? [Any])
        let fileData = ((content[1] as! [String: Any])["file"] as! [String: Any])["file_data"] as! String
        #expect(fileData.hasPrefix("data:text/plain;base64,"))
        #expect(
            try Self.decodedPart(result.output, ["messages", 0, "content", 1, "file", "file_data"])
                == "# settings\nGITHUB_TOKEN=[REDACTED:secret:github-pat:1]\nREGION=eu-west-1\n")

        // A Responses input_file with bare base64 and no type: its bytes read as text, so it is scanned.
        let responses = """
            {"model":"gpt-4.1","input":[{"role":"user","content":[
              {"type":"input_file","filename":"notes.txt","file_data":"\(Self.b64(Self.envFile))"}]}]}
            """
        let second = try Scan.json(responses, kind: .openai, path: "/v1/responses")
        #expect(second.findings.filter { $0.category == .secret }.map(\.path) == ["$.input[0].content[0].file_data"])

        // A data URL without a media type is text/plain (RFC 2397), wherever it appears.
        let bare = #"{"model":"m","messages":[{"role":"user","content":"data:;base64,\#(Self.b64(Self.envFile))"}]}"#
        #expect(try Scan.json(bare, kind: .openai).findings.map(\.detector) == ["github-pat"])
    }

    @Test func binaryPartsAreCountedAndLeftAlone() throws {
        let png = Self.b64(Self.pngBytes)
        let pdf = Self.b64(Array("%PDF-1.7\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3] + Array("\nBT /F1 12 Tf ET\n".utf8))
        let bodies: [(String, PayloadKind)] = [
            (#"{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"\#(png)"}}]}]}"#, .gemini),
            (#"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/pdf","data":"\#(pdf)"}}]}]}"#, .gemini),
            (
                #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,\#(png)"}}]}]}"#,
                .openai
            ),
            (
                #"{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"\#(png)","format":"wav"}}]}]}"#,
                .openai
            ),
            (
                #"{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"\#(png)"}}]}]}"#,
                .anthropic
            ),
            // No useful type, and bytes that are not text.
            (
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/octet-stream","data":"\#(png)"}}]}]}"#,
                .gemini
            ),
            (#"{"input":[{"role":"user","content":[{"type":"input_file","file_data":"\#(png)"}]}]}"#, .openai),
        ]
        // What logs, metrics and the ledger count for each: the part's kind, forwarded unread.
        let kinds = ["image", "pdf", "image", "audio", "image", "file", "file"]
        for ((body, kind), expected) in zip(bodies, kinds) {
            let result = try Scan.json(body, kind: kind)
            #expect(result.binaryParts == 1, "\(body.prefix(60))")
            #expect(result.findings.isEmpty && result.output == Array(body.utf8), "\(body.prefix(60))")
            #expect(result.decision == .allowed && result.findingsSummary == "binary-\(expected):1")
        }
    }

    /// A media type is what the client says, not what the bytes are: a part declared binary is decoded all the same.
    @Test func aPartDeclaredBinaryIsReadByItsBytes() throws {
        // A text file sent as an image is text: scanned as text, not counted as an image.
        let mislabelled =
            #"{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"\#(Self.b64(Self.envFile))"}}]}]}"#
        let text = try Scan.json(mislabelled, kind: .gemini)
        #expect(text.findings.map(\.detector) == ["github-pat"] && text.binaryParts == 0)
        let decoded = try Self.decodedPart(text.output, ["contents", 0, "parts", 0, "inlineData", "data"])
        #expect(decoded == "# settings\nGITHUB_TOKEN=[REDACTED:secret:github-pat:1]\nREGION=eu-west-1\n")

        // Text after a real file's first bytes: counted as that file, its secret replaced in place, its size kept.
        let bytes = Array("%PDF-1.7\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3] + Array("\n\(Self.token)\n".utf8)
        let pdf =
            #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/pdf","data":"\#(Self.b64(bytes))"}}]}]}"#
        let binary = try Scan.json(pdf, kind: .gemini)
        #expect(binary.findingsSummary == "github-pat:1,binary-pdf:1" && binary.decision == .redacted)
        let out = try Self.decodedBytes(binary.output, ["contents", 0, "parts", 0, "inlineData", "data"])
        #expect(out.count == bytes.count && out.prefix(15) == bytes.prefix(15))
        #expect(!String(decoding: out, as: UTF8.self).contains(Self.token))

        // A declared image whose base64 does not decode cannot be read.
        #expect(throws: ScrubError.self) {
            try Scan.json(
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBOR!"}}]}]}"#, kind: .gemini)
        }
    }

    /// With `binary: block`, a part that cannot be scanned stops the request; its finding names its kind and path.
    @Test func binaryPartsCanBeBlocked() throws {
        var policy = ScrubPolicy()
        policy.binary = .block
        let png = Self.b64(Self.pngBytes)
        let cases: [(String, PayloadKind, String, String)] = [
            (
                #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,\#(png)"}}]}]}"#,
                .openai, "binary-image", "$.messages[0].content[0].image_url.url"
            ),
            (
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/pdf","data":"\#(png)"}}]}]}"#, .gemini,
                "binary-pdf", "$.contents[0].parts[0].inlineData.data"
            ),
            (
                #"{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"\#(png)","format":"wav"}}]}]}"#,
                .openai, "binary-audio", "$.messages[0].content[0].input_audio.data"
            ),
            (
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/octet-stream","data":"\#(png)"}}]}]}"#,
                .gemini, "binary-file", "$.contents[0].parts[0].inlineData.data"
            ),
        ]
        for (body, kind, detector, path) in cases {
            let result = try Scan.json(body, kind: kind, policy: policy)
            #expect(result.decision == .blocked, "\(detector)")
            #expect(result.findings.map(\.detector) == [detector] && result.findings.map(\.path) == [path])
            #expect(result.findings.allSatisfy { $0.category == .binary && $0.action == .block })
            #expect(result.unreadParts.isEmpty && result.findingsSummary == "\(detector):1")
        }
        // A text file is read, not blocked as binary.
        let text =
            #"{"contents":[{"parts":[{"inlineData":{"mimeType":"text/plain","data":"\#(Self.b64("hello"))"}}]}]}"#
        #expect(try Scan.json(text, kind: .gemini, policy: policy).decision == .allowed)
    }

    @Test func aTypeThatSaysNothingLeavesItToTheBytes() throws {
        let body =
            #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/octet-stream","data":"\#(Self.b64(Self.envFile))"}}]}]}"#
        let result = try Scan.json(body, kind: .gemini)
        #expect(result.findings.map(\.detector) == ["github-pat"] && result.binaryParts == 0)
    }

    /// A part that declares its type twice is binary only if both declarations say so.
    @Test func aDuplicatedTypeCannotHideText() throws {
        let data = Self.b64(Self.envFile)
        for pair in [("image/png", "text/plain"), ("text/plain", "image/png")] {
            let body =
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"\#(pair.0)","data":"\#(data)","mimeType":"\#(pair.1)"}}]}]}"#
            #expect(try Scan.json(body, kind: .gemini).findings.map(\.detector) == ["github-pat"], "\(pair)")
        }
    }

    @Test func whatCannotBeReadIsRefusedWithoutEchoingIt() {
        let canary = "CANARY.\(Self.token)"
        let cases: [(String, String)] = [
            (
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"text/plain","data":"\#(canary)"}}]}]}"#,
                "invalid_base64"
            ),
            (
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"text/plain","data":"\#(Self.b64([0x41, 0xFF, 0xFE, 0x42]))"}}]}]}"#,
                "invalid_utf8"
            ),
            (
                #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/octet-stream","data":"\#(canary)!"}}]}]}"#,
                "invalid_base64"
            ),
        ]
        for (body, code) in cases {
            do {
                _ = try Scan.json(body, kind: .auto)
                Issue.record("accepted: \(code)")
            } catch let error as ScrubError {
                #expect(error.code.rawValue == code)
                #expect(!error.message.contains("CANARY") && !error.message.contains(Self.token))
                #expect(error.message.contains("$."))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    /// Outside the fields that carry base64 parts the model reads a string as it is: a `data:` URL there that is not
    /// a readable text file is scanned as text, never skipped as binary.
    @Test func dataURLsInProseAreReadAsText() throws {
        let png = Self.b64(Self.pngBytes)
        let contents = [
            "data:text/plain;base64,not base64 at all, and \(Self.token)",
            "data:image/png;base64,\(png) and then \(Self.token)",
            "data:application/octet-stream;base64,\(Self.b64(Self.envFile))",
        ]
        for content in contents {
            let body = #"{"messages":[{"role":"user","content":"\#(content)"}]}"#
            let result = try Scan.json(body, kind: .openai)
            #expect(result.findings.map(\.detector) == ["github-pat"], "\(content.prefix(30))")
            #expect(result.binaryParts == 0)
        }
        let image = #"{"messages":[{"role":"user","content":"data:image/png;base64,\#(png)"}]}"#
        let result = try Scan.json(image, kind: .openai)
        #expect(result.findings.isEmpty && result.binaryParts == 0 && result.output == Array(image.utf8))
    }

    @Test func actionsApplyAndScrubbingAgainChangesNothing() throws {
        let body = """
            {"contents":[{"parts":[{"inlineData":{"mimeType":"text/plain","data":"\(Self.b64(Self.envFile))"}},
              {"inlineData":{"mimeType":"text/x-python","data":"\(Self.b64(Self.pythonFile))"}}]}]}
            """
        let first = try Scan.json(body, kind: .gemini)
        let second = try Scrubber(policy: ScrubPolicy()).scrub(first.output, kind: .gemini)
        #expect(second.output == first.output && second.findings.isEmpty)

        var block = ScrubPolicy()
        block.secrets = .block
        #expect(try Scan.json(body, kind: .gemini, policy: block).decision == .blocked)
        var monitor = ScrubPolicy()
        monitor.secrets = .monitor
        monitor.code = .monitor
        let watched = try Scan.json(body, kind: .gemini, policy: monitor)
        #expect(watched.output == Array(body.utf8) && watched.findings.count == 2)
    }
}
