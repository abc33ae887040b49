import Foundation
import Testing

@testable import AirlockScrub

/// Containers that once let text leave unread: `data:` URLs that are percent-encoded rather than base64, UTF-16
/// text, and token ids in place of text.
@Suite struct EncodingsTests {
    static let token = EncodedPartTests.token
    static let aws = "AKIA" + "Q7ZK4M2P9X3T6W8R"
    static let awsSecret = "q8Vd2RkT9mW1xZp4Lc7Hs0bNf3Gy6Ju5Ea8Ko2Mt"
    static let credentials = "[default]\naws_access_key_id = \(aws)\naws_secret_access_key = \(awsSecret)\n"

    static func percent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// The same `data:` URL in every field a provider reads one from.
    static func bodies(url: String) -> [(String, PayloadKind, String)] {
        [
            (
                #"{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(url)"}}]}]}"#,
                .openai, "/v1/chat/completions"
            ),
            (
                #"{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_image","image_url":"\#(url)"}]}]}"#,
                .openai, "/v1/responses"
            ),
            (
                #"{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"\#(url)"}}]}]}"#,
                .anthropic, "/v1/messages"
            ),
            (
                #"{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"text/plain","fileUri":"\#(url)"}}]}]}"#,
                .gemini, "/v1beta/models/gemini-2.0-flash:generateContent"
            ),
        ]
    }

    @Test func percentEncodedDataURLsAreReadInEveryField() throws {
        let url = "data:text/plain," + Self.percent(Self.credentials)
        for (body, kind, path) in Self.bodies(url: url) {
            let result = try Scan.json(body, kind: kind, path: path)
            let out = Scan.output(result)
            #expect(result.decision == .redacted, "\(path)")
            #expect(!out.contains(Self.aws) && !out.contains(Self.awsSecret), "\(path): a key left")
            #expect(
                Set(result.findings.map(\.detector)).isSuperset(of: ["aws-access-key-id", "aws-secret-access-key"]))
            #expect(try Scan.parse(result.output) is [String: Any])
            let again = try Scan.json(out, kind: kind, path: path)
            #expect(again.findings.isEmpty && Scan.output(again) == out)
        }
    }

    @Test func percentEncodedCodeIsFoundToo() throws {
        let url = "data:text/x-python," + Self.percent(EncodedPartTests.pythonFile)
        let (body, kind, path) = Self.bodies(url: url)[0]
        let result = try Scan.json(body, kind: kind, path: path)
        #expect(result.findings.map(\.detector) == ["code-python"])
        #expect(!Scan.output(result).contains("apply_discount"))
    }

    @Test func aWordBeforeACommaIsNoDataURL() throws {
        let text = "data:note, the figures are in the appendix"
        #expect(EncodedPart.percentDataURL(Array(text.utf8)) == nil)
        let base64 = "data:text/plain;base64,aGVsbG8="
        #expect(EncodedPart.percentDataURL(Array(base64.utf8)) == nil)
    }

    static func utf16(_ text: String, bigEndian: Bool, bom: Bool) -> [UInt8] {
        var bytes: [UInt8] = bom ? (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) : []
        for unit in text.utf16 {
            let high = UInt8(unit >> 8)
            let low = UInt8(unit & 0xFF)
            bytes += bigEndian ? [high, low] : [low, high]
        }
        return bytes
    }

    @Test(arguments: [(false, true), (true, true), (false, false), (true, false)])
    func utf16TextIsReadAsText(bigEndian: Bool, bom: Bool) throws {
        // What Windows PowerShell 5 writes by default: `Get-Content .env > out.txt`.
        let text = "PS C:\\app> type .env\r\nGITHUB_TOKEN=\(Self.token)\r\nREGION=eu-west-1\r\n"
        let bytes = Self.utf16(text, bigEndian: bigEndian, bom: bom)
        let body =
            #"{"contents":[{"parts":[{"inlineData":{"mimeType":"application/octet-stream","data":"\#(EncodedPartTests.b64(bytes))"}}]}]}"#
        let result = try Scan.json(body, kind: .gemini, path: "/v1beta/models/gemini-2.0-flash:generateContent")
        #expect(result.findings.map(\.detector).contains("github-pat"))
        let decoded = try EncodedPartTests.decodedBytes(
            result.output, ["contents", 0, "parts", 0, "inlineData", "data"])
        #expect(decoded.count == bytes.count)
        let read = try #require(decoded.withUnsafeBufferPointer { UTF16Text($0) })
        let out = String(decoding: read.utf8, as: UTF8.self)
        #expect(!out.contains(String(Self.token.dropFirst(4).prefix(12))))
        #expect(out.contains("GITHUB_TOKEN=[REDACTED") && out.hasSuffix("REGION=eu-west-1\r\n"))
    }

    @Test func binaryIsNotUTF16() {
        let png = EncodedPartTests.pngBytes
        #expect(png.withUnsafeBufferPointer { UTF16Text($0) } == nil)
    }

    @Test(arguments: [
        (#"{"model":"text-embedding-3-small","input":[[1820,374,264,1296]]}"#, "/v1/embeddings", "input"),
        (#"{"model":"text-embedding-3-small","input":[1820,374,264]}"#, "/v1/embeddings", "input"),
        (#"{"model":"gpt-3.5-turbo-instruct","prompt":[1820,374,264],"max_tokens":5}"#, "/v1/completions", "prompt"),
    ])
    func tokenIDsAreRefused(body: String, path: String, field: String) {
        #expect {
            try Scan.json(body, kind: .openai, path: path)
        } throws: { error in
            guard let error = error as? ScrubError else { return false }
            return error.code == .tokenIDsUnreadable && error.message.contains("$.\(field)")
        }
    }

    @Test func textInputsAreStillRead() throws {
        let body = #"{"model":"text-embedding-3-small","input":["one","two"]}"#
        #expect(try Scan.json(body, kind: .openai, path: "/v1/embeddings").decision == .allowed)
    }
}
