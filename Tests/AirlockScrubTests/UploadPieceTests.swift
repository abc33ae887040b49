import Testing

@testable import AirlockScrub

/// Pieces of resumable uploads: the upload's length was declared when it started, so text is redacted in place
/// with placeholders fitted to what they replace.
@Suite struct UploadPieceTests {
    static func scrub(_ body: [UInt8], policy: ScrubPolicy = ScrubPolicy()) throws(ScrubError) -> ScrubResult {
        try Scrubber(policy: policy).scrub(
            body, kind: .gemini, path: "/upload/v1beta/files?upload_id=1", format: .uploadPiece)
    }

    @Test func secretsAndCodeAreRedactedWithoutChangingTheLength() throws {
        let aws = "AKIA" + "Q7ZK4M2P9X3T6W8R"
        let text = "token \(EncodedPartTests.token)\naws \(aws)\n\n\(EncodedPartTests.pythonFile)\n\nThanks"
        let body = Array(text.utf8)
        let result = try Self.scrub(body)
        #expect(result.decision == .redacted)
        #expect(result.output.count == body.count)
        let out = String(decoding: result.output, as: UTF8.self)
        #expect(!out.contains(EncodedPartTests.token) && !out.contains(aws) && !out.contains("apply_discount"))
        // A placeholder longer than the token it replaces is cut to one that fits.
        #expect(out.hasPrefix("token [REDACTED:secret:github-pat:1]          \naws [REDACTED]          \n"))
        #expect(out.hasSuffix("Thanks"))
        // After its placeholder, the code is spaces with its line breaks in their places (the placeholder itself
        // covers the first two).
        let tail = try #require(out.split(separator: "[REDACTED:code:python:6-lines:1]").last)
        #expect(tail.hasSuffix("\n\nThanks") && tail.dropLast(8).allSatisfy { $0 == " " || $0 == "\n" })
        #expect(tail.filter { $0 == "\n" }.count == 5)
        #expect(try Self.scrub(result.output).output == result.output)
    }

    @Test func shortSpansBecomeAsterisks() {
        let text = Array("a secret b".utf8)
        let span = Span(range: 2..<8, placeholder: "[REDACTED:secret:x:1]")
        #expect(String(decoding: Span.fitted([span], to: text), as: UTF8.self) == "a ****** b")
    }

    @Test func aPieceMayBeginAndEndInsideACharacter() throws {
        let text = Array("café token \(EncodedPartTests.token) déjà".utf8)
        // Cut after the first byte of "é" at the end and before the second byte of "é" at the start.
        let piece = Array(text[4..<(text.count - 2)])
        #expect(!EncodedPart.looksLikeText(piece))
        #expect(EncodedPart.looksLikeText(piece, piece: true))
        let result = try Self.scrub(piece)
        #expect(result.decision == .redacted && result.output.count == piece.count)
    }

    @Test func binaryPiecesAreCountedOrBlocked() throws {
        let png = EncodedPartTests.pngBytes
        let monitored = try Self.scrub(png)
        #expect(monitored.unreadParts == ["binary-file"] && !monitored.changed)
        var policy = ScrubPolicy()
        policy.binary = .block
        #expect(try Self.scrub(png, policy: policy).decision == .blocked)
    }
}
