import Foundation
import Testing

@testable import AirlockScrub

/// Parts that are not read as text (images, PDFs, text in another character set or with a stray control byte) are
/// still searched for secrets: a secret is ASCII wherever it sits. It is replaced in place by a placeholder of its
/// own length, so the part keeps its size and every offset inside it.
@Suite struct BinarySecretsTests {
    static let token = EncodedPartTests.token
    /// A log saved with its colours (ESC bytes) and a Latin-1 "é": not UTF-8 text, so read as binary.
    static let log: [UInt8] = Array("\u{1B}[32mdeploy ok\u{1B}[0m caf".utf8) + [0xE9] + Array(" token=\(token)\n".utf8)

    @Test func aFormPartReadAsBinaryHasItsSecretsRedactedInPlace() throws {
        let body = MultipartTests.form([
            .init("purpose", "batch"),
            .init("file", filename: "ci.log", type: "application/octet-stream", bytes: Self.log),
        ])
        let result = try MultipartTests.scrub(body)
        #expect(result.decision == .redacted && result.unreadParts == ["binary-file"])
        #expect(result.findings.map { "\($0.detector) \($0.path)" } == ["github-pat $.file"])
        #expect(result.output.count == body.count)
        let file = try #require(try MultipartTests.read(result.output).last)
        #expect(!file.1.contains(Self.token) && file.1.contains("[REDACTED:secret:github-pat:1]"))
        // Read again, nothing is left to find.
        #expect(try MultipartTests.scrub(result.output).findings.isEmpty)
    }

    @Test func aTextFileUploadedAsAnImageIsReadAsText() throws {
        let body = MultipartTests.form([
            .init("purpose", "vision"),
            .init("file", filename: "photo.png", type: "image/png", bytes: Array(EncodedPartTests.envFile.utf8)),
        ])
        let result = try MultipartTests.scrub(body)
        #expect(result.decision == .redacted && result.unreadParts.isEmpty)
        let file = try #require(try MultipartTests.read(result.output).last)
        #expect(file.1 == "# settings\nGITHUB_TOKEN=[REDACTED:secret:github-pat:1]\nREGION=eu-west-1\n")
        // Where binary parts are refused, a part declared binary is refused whatever it holds.
        var policy = ScrubPolicy()
        policy.binary = .block
        #expect(try MultipartTests.scrub(body, policy: policy).findingsSummary == "binary-image:1")
    }

    @Test func aBinaryUploadPieceHasItsSecretsRedactedInPlace() throws {
        // A PNG whose text chunk carries a token.
        let png = EncodedPartTests.pngBytes + Array("tEXtComment\u{0}\(Self.token)".utf8) + [0, 0, 0, 0]
        let result = try Scrubber(policy: ScrubPolicy()).scrub(
            png, kind: .gemini, path: "/upload/v1beta/files?upload_id=1", format: .uploadPiece)
        #expect(result.decision == .redacted && result.output.count == png.count)
        #expect(result.output.prefix(EncodedPartTests.pngBytes.count).elementsEqual(EncodedPartTests.pngBytes))
        #expect(!String(decoding: result.output, as: UTF8.self).contains(Self.token))
    }

    @Test func anUntypedBase64FileThatIsNotTextIsSearchedToo() throws {
        let body = """
            {"model":"gpt-4.1","input":[{"role":"user","content":[
              {"type":"input_file","filename":"ci.log","file_data":"\(EncodedPartTests.b64(Self.log))"}]}]}
            """
        let result = try Scan.json(body, kind: .openai, path: "/v1/responses")
        #expect(result.findings.filter { $0.category == .secret }.map(\.detector) == ["github-pat"])
        #expect(result.unreadParts == ["binary-file"])
        let input = (try Scan.parse(result.output) as! [String: Any])["input"] as! [[String: Any]]
        let part = try #require((input[0]["content"] as? [[String: Any]])?.first)
        let data = try #require(part["file_data"] as? String)
        let decoded = try #require(Data(base64Encoded: data))
        #expect(decoded.count == Self.log.count && !String(decoding: decoded, as: UTF8.self).contains(Self.token))
    }

    @Test func aStrayByteInsideASecretDoesNotMakeAPartBinary() throws {
        // The password holds the file's only byte that is not UTF-8: without it the file is text, and it is read as
        // text (its placeholder is not fitted), as a second pass would read the redacted file.
        let file = Array("db:\n  password: Vq3-lotus-".utf8) + [0xE9] + Array("-harbor\n  port: 5432\n".utf8)
        let body = MultipartTests.form([
            .init("file", filename: "db.yaml", type: "application/octet-stream", bytes: file)
        ])
        let result = try MultipartTests.scrub(body)
        #expect(result.unreadParts.isEmpty && result.findings.map(\.detector) == ["password-assignment"])
        let content = try #require(try MultipartTests.read(result.output).last).1
        #expect(content == "db:\n  password: [REDACTED:secret:password-assignment:1]\n  port: 5432\n")
        #expect(try MultipartTests.scrub(result.output).findings.isEmpty)
    }

    @Test func whenBinaryPartsAreBlockedTheyAreNotSearched() throws {
        var policy = ScrubPolicy()
        policy.binary = .block
        let body = MultipartTests.form([
            .init("file", filename: "ci.log", type: "application/octet-stream", bytes: Self.log)
        ])
        let result = try MultipartTests.scrub(body, policy: policy)
        #expect(result.decision == .blocked && result.findings.map(\.category) == [.binary])
    }
}
