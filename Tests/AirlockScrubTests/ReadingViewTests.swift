import Foundation
import Testing

@testable import AirlockScrub

/// Text read as a reader takes it: percent-encoded bytes, invisible characters inside a token, and tokens
/// hard-wrapped across two lines.
@Suite struct ReadingViewTests {
    static let token = EncodedPartTests.token
    static let aws = "AKIA" + "Q7ZK4M2P9X3T6W8R"

    /// The text scrubbed, with what left checked: no piece of any of `secrets` of eight bytes or more survives, and a
    /// second pass finds nothing more.
    static func scrubbed(_ text: String, hiding secrets: [String]) throws -> String {
        let result = try Scan.text(text)
        let out = Scan.output(result)
        for secret in secrets {
            let bytes = Array(secret.utf8)
            for start in 0...(bytes.count - 8) {
                let piece = String(decoding: bytes[start..<start + 8], as: UTF8.self)
                #expect(!out.contains(piece), "a piece of secret \(secrets.firstIndex(of: secret)!) left")
            }
        }
        let again = try Scan.text(out)
        #expect(again.findings.isEmpty && Scan.output(again) == out)
        return out
    }

    @Test(arguments: [
        // The `0` of `%20` is glued to the prefix.
        "GET /search?q=token%20\(token)&page=2",
        "id0\(token) in the log",
        "Authorization%3A%20Bearer%20eyJhbGciOiJIUzI1NiJ9Qx7Rt2Vw9Ym4Kp8Nz3Lq",
        "https://x.test/cb?dsn=postgres%3A%2F%2Fadmin%3Ah7Gk2pQz9xLm%40db.internal%3A5432%2Fapp",
        "export%20GITHUB_TOKEN%3D\(token)",
    ])
    func percentEncodedSecretsAreFound(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(result.decision == .redacted)
        #expect(
            !Scan.output(result).contains("h7Gk2pQz9xLm")
                && !Scan.output(result).contains(String(Self.token.dropFirst(4))))
        #expect(!Scan.output(result).contains("Qx7Rt2Vw9Ym4Kp8Nz3Lq"))
        let again = try Scan.text(Scan.output(result))
        #expect(again.findings.isEmpty)
    }

    @Test func prefixesThatNameThemselvesAreFoundGluedToText() {
        #expect(Scan.secrets("id0\(Self.aws) rotated").map(\.id).contains("aws-access-key-id"))
        #expect(Scan.secrets("x\(Self.token)").map(\.id) == ["github-pat"])
        #expect(
            Scan.secrets("abcxoxb-2749163850-8264017395124-Zq8RkT3vW9xY2bN5mC7dF1gH").map(\.id) == ["slack-bot-token"])
        // A generic word is not a prefix inside another word, and capitals inside a run of capitals are not a key.
        #expect(Scan.secrets("turnkey-4f3e2d1c0b9a8f7e6d5c4b3a29181716").isEmpty)
        #expect(Scan.secrets("XYZAKIAQ7ZK4M2P9X3T6W8R").isEmpty)
    }

    @Test(arguments: ["\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}"])
    func invisibleCharactersInsideATokenDoNotHideIt(_ invisible: String) throws {
        let split = String(Self.token.prefix(17)) + invisible + String(Self.token.dropFirst(17))
        let out = try Self.scrubbed("use \(split) for the build", hiding: [Self.token])
        #expect(out == "use [REDACTED:secret:github-pat:1] for the build")
    }

    @Test func aTokenWrappedByATerminalIsFound() throws {
        let line = "here is the output of the deploy script on the build host: " + String(Self.token.prefix(20))
        let text = line + "\n" + String(Self.token.dropFirst(20)) + " and then it stopped"
        let out = try Self.scrubbed(text, hiding: [String(Self.token.prefix(20)), String(Self.token.dropFirst(20))])
        #expect(out.hasSuffix(" and then it stopped"))
    }

    @Test func aWholeTokenAtALineEndDoesNotTakeInTheNextLine() throws {
        let text = "the token that the deploy script printed was " + Self.token + "\naws " + Self.aws + "\nok"
        let result = try Scan.text(text)
        #expect(
            Scan.output(result)
                == "the token that the deploy script printed was [REDACTED:secret:github-pat:1]\n"
                + "aws [REDACTED:secret:aws-access-key-id:2]\nok")
    }

    @Test(arguments: [
        "The discount is 50%25 off, and 100%20 of users agreed.",
        "Progress: 45%\nDone at 100%",
        "the file is caf%C3%A9.txt and the other is na%C3%AFve.md",
        "A long line of ordinary prose that goes on to the end of the terminal width\nand continues here.",
    ])
    func textThatReadsTheSameIsLeftAlone(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.isEmpty && Scan.output(result) == text)
    }
}
