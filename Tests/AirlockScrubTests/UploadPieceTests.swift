import Foundation
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

/// Secrets cut in two by the boundary between two pieces of one upload: the second piece is read with the end of
/// the first in front of it.
@Suite struct PieceJointTests {
    static let path = "/upload/v1beta/files?upload_id=1"

    static func scrub(
        _ text: String, before: [UInt8] = [], policy: ScrubPolicy = ScrubPolicy()
    ) throws(ScrubError) -> ScrubResult {
        try Scrubber(policy: policy).scrub(
            Array(text.utf8), kind: .gemini, path: path, format: .uploadPiece, before: before)
    }

    /// Both pieces of `text` cut at `cut`, each scrubbed as the proxy does: the second with the first's `fileEnd`.
    static func pieces(
        _ text: String, cut: String.Index, policy: ScrubPolicy = ScrubPolicy()
    ) throws(ScrubError) -> (ScrubResult, ScrubResult) {
        let first = try scrub(String(text[..<cut]), policy: policy)
        return (first, try scrub(String(text[cut...]), before: first.fileEnd ?? [], policy: policy))
    }

    static func text(_ result: ScrubResult) -> String { String(decoding: result.output, as: UTF8.self) }

    @Test func aTokenCutInTwoIsRedactedWhereItContinues() throws {
        let token = EncodedPartTests.token
        let text = "the deploy key is \(token) and nothing else"
        let cut = try #require(text.range(of: token)).lowerBound
        let (first, second) = try Self.pieces(text, cut: text.index(cut, offsetBy: 14))
        // The first half matches no rule on its own and has left as it was.
        #expect(first.decision == .allowed && Self.text(first).hasSuffix(String(token.prefix(14))))
        #expect(first.fileEnd == Array(text[..<text.index(cut, offsetBy: 14)].utf8))
        #expect(second.decision == .redacted && second.output.count == text.utf8.count - first.output.count)
        #expect(Self.text(second) == "[REDACTED]" + String(repeating: " ", count: 16) + " and nothing else")
        let finding = try #require(second.findings.first)
        #expect(second.findings.count == 1 && finding.detector == "github-pat")
        #expect(finding.start == 0 && finding.end == token.utf8.count - 14 && finding.path == "$")
        // Without the end of the first piece, the second half is not recognised: this is what the joint adds.
        #expect(try Self.scrub(String(text[text.index(cut, offsetBy: 14)...])).decision == .allowed)
        // And the redacted second piece, read again after the same end, has nothing left to find.
        let again = try Scrubber(policy: ScrubPolicy()).scrub(
            second.output, kind: .gemini, path: Self.path, format: .uploadPiece, before: first.fileEnd ?? [])
        #expect(again.decision == .allowed)
    }

    @Test func anAssignmentWhoseNameEndedThePreviousPieceIsFound() throws {
        let text = "db:\n  host: db.internal\n  password: Vq3-lotus-Rp8-harbor\n  port: 5432\n"
        let cut = try #require(text.range(of: "Vq3")).lowerBound
        let (first, second) = try Self.pieces(text, cut: cut)
        #expect(first.findings.isEmpty)
        #expect(second.findings.map(\.detector) == ["password-assignment"])
        #expect(!Self.text(second).contains("lotus") && Self.text(second).hasSuffix("\n  port: 5432\n"))
    }

    @Test func aPrivateKeyCutInTwoIsRemovedFromBothPieces() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let lines = (0..<25).map { _ in
            String(
                (0..<64).map { _ in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return alphabet[Int(state >> 58)]
                })
        }
        let key = "-----BEGIN RSA PRIVATE KEY-----\n\(lines.joined(separator: "\n"))\n-----END RSA PRIVATE KEY-----"
        let text = "config:\n\(key)\nend of file\n"
        let (first, second) = try Self.pieces(text, cut: try #require(text.range(of: lines[12])).lowerBound)
        // The first piece holds a truncated key, which its own scan removes; the second holds the rest of it.
        #expect(first.decision == .redacted && !Self.text(first).contains(lines[11]))
        #expect(second.decision == .redacted && second.findings.map(\.detector) == ["private-key-rsa"])
        #expect(!Self.text(second).contains(lines[12]) && !Self.text(second).contains(lines[24]))
        #expect(
            Self.text(second).hasSuffix("\nend of file\n")
                && second.output.count == text.utf8.count - first.output.count)
        // The end the next piece would be read with is the file as the client sent it.
        #expect(second.fileEnd == Array(text.utf8))
    }

    @Test func aBlockingPolicyBlocksThePiece() throws {
        var policy = ScrubPolicy()
        policy.secrets = .block
        let token = EncodedPartTests.token
        let text = "key \(token)!"
        let (_, second) = try Self.pieces(text, cut: text.index(text.startIndex, offsetBy: 10), policy: policy)
        #expect(second.decision == .blocked && !second.changed)
    }

    @Test func aSecretThePieceHoldsWholeIsReportedOnce() throws {
        let token = EncodedPartTests.token
        let result = try Self.scrub("\(token) again", before: Array("a line before it\n".utf8))
        #expect(result.findings.map(\.detector) == ["github-pat"])
    }

    @Test func theFileEndIsBoundedAndKeptAfterABinaryPiece() throws {
        let big = String(repeating: "plain words in a long file\n", count: 1000)
        let result = try Self.scrub(big, before: Array("earlier".utf8))
        #expect(result.fileEnd == Array(big.utf8.suffix(PieceJoint.reach)))
        let small = try Self.scrub("and more", before: Array("earlier ".utf8))
        #expect(small.fileEnd == Array("earlier and more".utf8))
        let png = try Scrubber(policy: ScrubPolicy()).scrub(
            EncodedPartTests.pngBytes, kind: .gemini, path: Self.path, format: .uploadPiece, before: Array("x".utf8))
        #expect(png.unreadParts == ["binary-file"] && png.fileEnd == Array("x".utf8) + EncodedPartTests.pngBytes)
        #expect(try Scrubber(policy: ScrubPolicy()).scrub(Array("{}".utf8), kind: .gemini).fileEnd == nil)
    }

    /// Text with a stray byte that is not UTF-8 is not read as text, and its secrets are found by the rules alone;
    /// a secret that began in the piece before it, or runs on into the next one, is found all the same.
    @Test func aTokenCutInTwoIsRedactedWhenEitherPieceIsNotText() throws {
        let token = EncodedPartTests.token
        let head = Array("the deploy key is \(token.prefix(14))".utf8)
        let rest = Array("\(token.dropFirst(14)) and a stray byte \u{1}".utf8) + [0xFF, 0xFE] + Array(" end".utf8)
        let scrubber = Scrubber(policy: ScrubPolicy())
        let first = try scrubber.scrub(head, kind: .gemini, path: Self.path, format: .uploadPiece)
        let second = try scrubber.scrub(
            rest, kind: .gemini, path: Self.path, format: .uploadPiece, before: first.fileEnd ?? [])
        #expect(second.unreadParts == ["binary-file"])
        #expect(second.decision == .redacted && second.findings.map(\.detector) == ["github-pat"])
        #expect(second.output.count == rest.count && !Self.text(second).contains(String(token.suffix(12))))
        #expect(second.fileEnd == head + rest)

        // The other way round: the piece that is not text comes first, and the token runs on from its end.
        let binaryHead = [0xFF, 0xFE] + head
        let before = try scrubber.scrub(binaryHead, kind: .gemini, path: Self.path, format: .uploadPiece)
        #expect(before.unreadParts == ["binary-file"] && before.fileEnd == binaryHead)
        let after = try Self.scrub("\(token.dropFirst(14)) end", before: before.fileEnd ?? [])
        #expect(after.decision == .redacted && !Self.text(after).contains(String(token.suffix(12))))

        // An OpenAI upload part that is not text is read after the end of the part before it too.
        func form(_ content: [UInt8]) -> [UInt8] {
            Array(
                "--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"blob\"\r\n\r\n".utf8)
                + content + Array("\r\n--b--\r\n".utf8)
        }
        let parts = "/v1/uploads/upload_abc/parts"
        let boundary = BodyFormat.form(boundary: Array("b".utf8))
        let part1 = try scrubber.scrub(form(head), kind: .openai, path: parts, format: boundary)
        let part2 = try scrubber.scrub(
            form(rest), kind: .openai, path: parts, format: boundary, before: part1.fileEnd ?? [])
        #expect(part2.decision == .redacted && part2.findings.map(\.path) == ["$.data"])
        #expect(!Self.text(part2).contains(String(token.suffix(12))) && part2.fileEnd == head + rest)
    }

    /// A piece whose only bytes that are not UTF-8 sit in a secret that began in the piece before is text: it is
    /// read as text, code and all, as a second scrub of the redacted piece reads it.
    @Test func aPieceIsTextWhenOnlyASharedSecretMakesItBinary() throws {
        let head = Array("run this first:\ncurl -u deploy:\"Vq3-lo".utf8)
        let rest =
            Array("tus".utf8) + [0xFF]
            + Array("-Rp8\" https://status.internal/\n\n\(EncodedPartTests.pythonFile)\n".utf8)
        let scrubber = Scrubber(policy: ScrubPolicy())
        let first = try scrubber.scrub(head, kind: .gemini, path: Self.path, format: .uploadPiece)
        let second = try scrubber.scrub(
            rest, kind: .gemini, path: Self.path, format: .uploadPiece, before: first.fileEnd ?? [])
        #expect(second.unreadParts.isEmpty)
        #expect(second.findings.map(\.detector) == ["command-line-password", "code-python"])
        let again = try scrubber.scrub(
            second.output, kind: .gemini, path: Self.path, format: .uploadPiece, before: first.fileEnd ?? [])
        #expect(again.output == second.output)
    }

    @Test func openAIUploadPartsAreJoinedToo() throws {
        let token = EncodedPartTests.token
        func form(_ content: String) -> [UInt8] {
            Array(
                ("--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"blob\"\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n\(content)\r\n--b--\r\n").utf8)
        }
        let scrubber = Scrubber(policy: ScrubPolicy())
        let path = "/v1/uploads/upload_abc/parts"
        let first = try scrubber.scrub(
            form("my token is \(token.prefix(20))"), kind: .openai, path: path, format: .form(boundary: Array("b".utf8))
        )
        #expect(first.decision == .allowed && first.fileEnd == Array("my token is \(token.prefix(20))".utf8))
        let second = try scrubber.scrub(
            form("\(token.dropFirst(20)) end"), kind: .openai, path: path, format: .form(boundary: Array("b".utf8)),
            before: first.fileEnd ?? [])
        #expect(second.decision == .redacted && second.findings.map(\.path) == ["$.data"])
        #expect(!String(decoding: second.output, as: UTF8.self).contains(String(token.suffix(10))))
        // A form that is not a piece of an upload keeps no file end.
        let files = try scrubber.scrub(
            form("text"), kind: .openai, path: "/v1/files", format: .form(boundary: Array("b".utf8)))
        #expect(files.fileEnd == nil)
    }
}
