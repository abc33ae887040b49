import Foundation
import Testing

@testable import AirlockScrub

/// Seeded values for the tests below: random in shape, never copied from anywhere.
struct Drawn {
    private var state: UInt64

    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// `count` characters of `alphabet`.
    mutating func string(_ count: Int, from alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters[Int(next() % UInt64(characters.count))] })
    }

    static let lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
    static let alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
}

/// Published example values and documentation placeholders: not secrets, recognised by their exact value or their
/// documented shape while every rule stays as strict as it was.
@Suite struct PublishedExampleTests {
    @Test(arguments: [
        "const config = { apiKey: \"AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs\" };",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
            + "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            + "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        "SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ])
    func publishedExamplesAreNotSecrets(_ text: String) {
        #expect(Scan.secrets(text).isEmpty)
    }

    @Test func valuesNextToAPublishedExampleAreStillSecrets() {
        var drawn = Drawn(1)
        // One character off the published value, and fresh values in the same shapes.
        let nearGoogle = "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIt"
        let google = "AIza" + drawn.string(35, from: Drawn.alnum)
        let account = drawn.string(86, from: Drawn.alnum) + "=="
        let webhook =
            "T" + drawn.string(10, from: "ABCDEFGHJK0123456789") + "/B" + drawn.string(10, from: "ABCDEFGHJK0123456789")
            + "/" + drawn.string(24, from: Drawn.alnum)
        #expect(Scan.secrets("apiKey: \"\(nearGoogle)\"").map(\.value) == [nearGoogle])
        #expect(Scan.secrets("apiKey: \"\(google)\"").map(\.value) == [google])
        #expect(Scan.secrets("AccountName=prod;AccountKey=\(account);").map(\.value) == [account])
        #expect(
            Scan.secrets("url: https://hooks.slack.com/services/\(webhook)").map(\.id) == ["slack-webhook-url"])
    }
}

/// Assignments in the forms gitleaks' samples use: make's `::=` and `?=`, PHP's `.=`, Go and Kotlin declarations with
/// a type, a name and value passed to a call, and an XML element.
@Suite struct AssignmentFormTests {
    static let forms = [
        "ACME_TOKEN :::= \"{s}\"", "ACME_TOKEN ::= \"{s}\"", "ACME_TOKEN ?= \"{s}\"", "$acmeToken .= \"{s}\"",
        "var acmeToken string = \"{s}\"", "val acmeToken: String = \"{s}\"",
        "System.setProperty(\"ACME_TOKEN\", \"{s}\")", "<acmeToken>\n    {s}\n</acmeToken>",
        "<password>{s}</password>",
    ]

    @Test(arguments: forms.indices)
    func everyFormIsAnAssignment(index: Int) {
        var drawn = Drawn(UInt64(10 + index))
        let secret = drawn.string(32, from: Drawn.lowerAlnum)
        let text = Self.forms[index].replacingOccurrences(of: "{s}", with: secret)
        #expect(Scan.secrets(text).map(\.value) == [secret], "\(Self.forms[index])")
    }

    @Test(arguments: [
        "ACME_TOKEN ?= $(shell cat token.txt)",
        "var acmeToken string = loadToken()",
        "System.setProperty(\"ACME_TOKEN\", tokenFromVault)",
        "<acmeToken>\n    ${ACME_TOKEN}\n</acmeToken>",
        "<token><value>x</value></token>",
        "if acmeToken == \"expected_value_here\" {",
        "let tokenCount: Int = 42",
    ])
    func referencesAndComparisonsAreNot(_ text: String) {
        #expect(Scan.secrets(text).isEmpty, "\(text)")
    }

    @Test func lowerCaseRandomValuesAreNotNames() {
        var drawn = Drawn(7)
        for _ in 0..<20 {
            var value = drawn.string(24, from: Drawn.lowerAlnum)
            // Mixed as random values are: at least three switches from digits back to letters.
            while value.enumerated().filter({ i, c in
                i > 0 && c.isLetter && Array(value)[i - 1].isNumber
            }).count < 3 {
                value = drawn.string(24, from: Drawn.lowerAlnum)
            }
            #expect(Scan.secrets("api_token: '\(value)'").map(\.value) == [value])
        }
        for name in ["v1beta1_rollout_token", "s3Bucket2Token", "oauth2_refresh_token_v2"] {
            #expect(Scan.secrets("api_token: \(name)").isEmpty)
        }
    }
}

/// Values that stand for a secret without being one, in files whose other values are real.
@Suite struct ReferenceValueTests {
    @Test(arguments: [
        "CELERY_FLOWER_PASSWORD=!!!SET CELERY_FLOWER_PASSWORD!!!",
        "      - DATABASE_PASSWORD=/run/secrets/db-password",
        "api_token_file: ~/.config/acme/token",
        "      - POSTGRES_PASSWORD=nextcloud",
    ])
    func namesAndPathsAreNotSecrets(_ text: String) {
        #expect(Scan.secrets(text).isEmpty, "\(text)")
    }

    @Test func npmrcKeysAreWholeKeys() {
        var drawn = Drawn(3)
        let auth = drawn.string(24, from: Drawn.alnum) + "=="
        #expect(Scan.secrets("//registry.npmjs.org/:_auth=\(auth)").map(\.value) == [auth])
        #expect(Scan.secrets("_password=\(auth)").map(\.value) == [auth])
        #expect(!Scan.secrets("MYSQL_PASSWORD=petclinic").contains { $0.id == "npmrc-auth" })
    }

    @Test func aPasswordThatOnlyStartsWithASlashIsStillFound() {
        var drawn = Drawn(4)
        let secret = "/" + drawn.string(15, from: Drawn.alnum + "#%&")
        #expect(Scan.secrets("DB_PASSWORD=\(secret)").map(\.value) == [secret])
    }
}
