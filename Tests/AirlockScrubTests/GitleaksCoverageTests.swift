import Foundation
import Testing

@testable import AirlockScrub

/// Formats gitleaks has a rule for that Airlock now covers by a rule of its own, each with values drawn in the
/// documented format and near misses one step past a boundary (length, prefix, structure, placeholder).
@Suite struct GitleaksCoverageTests {
    static let hexDigits = "0123456789abcdef"
    static let base64URL = Drawn.alnum + "-_"

    static func uuid(_ drawn: inout Drawn) -> String {
        [8, 4, 4, 4, 12].map { drawn.string($0, from: hexDigits) }.joined(separator: "-")
    }

    static func base64URLEncoded(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A JSON Web Token with a random subject, issue time and signature.
    static func jsonWebToken(_ drawn: inout Drawn) -> String {
        let header = base64URLEncoded(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims =
            #"{"sub":"\#(drawn.string(10, from: "0123456789"))","iat":17\#(drawn.string(8, from: "0123456789"))}"#
        let signature = base64URLEncoded((0..<32).map { _ in UInt8(truncatingIfNeeded: drawn.next()) })
        return "\(header).\(base64URLEncoded(Array(claims.utf8))).\(signature)"
    }

    @Test func plaidAccessTokensAreFound() {
        var drawn = Drawn(31)
        for environment in ["sandbox", "development", "production"] {
            let token = "access-\(environment)-\(Self.uuid(&drawn))"
            #expect(Scan.secrets("PLAID_ACCESS_TOKEN=\(token)").map(\.id) == ["plaid-access-token"])
            #expect(Scan.secrets("item linked: \(token)").map(\.value) == [token])
        }
        let uuid = Self.uuid(&drawn)
        #expect(Scan.secrets("see access-staging-\(uuid) there").isEmpty)  // wrong environment
        #expect(Scan.secrets("see access-sandbox-\(uuid.dropLast()) there").isEmpty)  // one short
        #expect(Scan.secrets("see access-sandbox-00000000-0000-0000-0000-000000000000 there").isEmpty)
    }

    @Test func slackLegacyBotTokensAreFoundButNotWords() {
        var drawn = Drawn(34)
        let legacy = "xoxb-\(drawn.string(12, from: "0123456789"))-\(drawn.string(24, from: Drawn.alnum))"
        let current =
            "xoxb-\(drawn.string(13, from: "0123456789"))-\(drawn.string(13, from: "0123456789"))-"
            + drawn.string(24, from: Drawn.alnum)
        #expect(Scan.secrets("SLACK_BOT_TOKEN=\(legacy)").map(\.id) == ["slack-bot-token"])
        #expect(Scan.secrets("SLACK_BOT_TOKEN=\(current)").map(\.id) == ["slack-bot-token"])
        // No workspace id, or one too short: words or a stand-in, not a token.
        #expect(Scan.secrets("see xoxb-not-a-real-token-this-will-not-work").isEmpty)
        #expect(Scan.secrets("see xoxb-1234567-\(drawn.string(24, from: Drawn.alnum))").isEmpty)
    }

    @Test func wordsAfterATokensPrefixAreAStandIn() {
        var drawn = Drawn(35)
        for text in [
            "x = sk-proj-this-is-my-project-key-for-the-demo-application-only",
            "x = xoxp-not-a-real-user-token-but-long-enough-to-match-the-rule-length-ok",
            "x = xapp-not-a-real-app-token-but-long-enough-to-match",
            "x = npm_ThisIsNotARealNpmTokenForTheDemoApp1",
            "x = glsa_this_is_not_a_real_grafana_token_value_ok",
        ] {
            #expect(Scan.secrets(text).isEmpty, "\(text)")
        }
        // Random bodies of small letters and digits stay tokens, whatever words they hold by chance.
        for _ in 0..<50 {
            let key = "LTAI" + drawn.string(20, from: Drawn.lowerAlnum)
            #expect(Scan.secrets("alibaba_key: \(key)").map(\.value) == [key])
        }
    }

    @Test func base64EncodedJSONWebTokensAreFound() {
        var drawn = Drawn(36)
        for _ in 0..<5 {
            let encoded = Data(Self.jsonWebToken(&drawn).utf8).base64EncodedString()
            #expect(Scan.secrets("session: \(encoded)").map(\.id) == ["jwt-base64"])
            #expect(Scan.secrets("\"auth\": \"\(encoded)\"").map(\.value) == [encoded])
        }
        let encoded = Data(Self.jsonWebToken(&drawn).utf8).base64EncodedString()
        let document = Data(#"eyJ{"note": "only starts like a token, and is a document of words"}"#.utf8)
        #expect(Scan.secrets("session: \(document.base64EncodedString())").isEmpty)
        #expect(Scan.secrets("session: \(encoded.prefix(56))").isEmpty)
        #expect(Scan.secrets("session: x\(encoded)").isEmpty)
    }

    @Test func nuGetClearTextPasswordsAreFound() {
        var drawn = Drawn(37)
        let password = drawn.string(18, from: Drawn.alnum + "!%+-")
        let config = """
            <packageSourceCredentials>
              <Contoso>
                <add key="Username" value="ci" />
                <add key="ClearTextPassword" value="\(password)" />
              </Contoso>
            </packageSourceCredentials>
            """
        #expect(Scan.secrets(config).map(\.id) == ["nuget-config-password"])
        #expect(Scan.secrets(config).map(\.value) == [password])
        for text in [
            #"<add key="ClearTextPassword" value="%NUGET_PASSWORD%" />"#,  // an environment variable
            #"<add key="ClearTextPassword" value="33f!!lloppa" />"#,  // the documentation's example
            #"<add key="ClearTextPassword" value="XXXXXXXXXXX" />"#,
            #"<add key="ClearTextPassword" value="\#(password.prefix(7))" />"#,
            #"<input key="Password" value="\#(password)" />"#,
        ] {
            #expect(Scan.secrets(text).isEmpty, "\(text)")
        }
    }

    @Test func aUUIDUnderATokensNameIsTheToken() {
        var drawn = Drawn(38)
        // HubSpot, Snyk and Heroku keys are UUIDs; whether one reads as words is chance.
        for _ in 0..<40 {
            let key = Self.uuid(&drawn)
            #expect(Scan.secrets("hubspotToken := \"\(key)\"").map(\.value) == [key])
            #expect(Scan.secrets("SNYK_TOKEN=\(key)").map(\.value) == [key])
        }
        // Ids stay ids.
        let id = Self.uuid(&drawn)
        #expect(Scan.secrets("\"requestId\": \"\(id)\"").isEmpty)
        #expect(Scan.secrets("TOKEN_ID=\(id)").isEmpty)
        #expect(Scan.secrets("api_token = \"014df517-39d1-4453-b7b3-9930c563627c\"").isEmpty)  // published example
    }

    @Test func namesGitleaksAllowsAreNoCredentials() {
        var drawn = Drawn(39)
        let value = drawn.string(32, from: Self.hexDigits)
        // gitleaks' generic rule allows these names: database keys, public values, request-forgery tokens.
        for name in [
            "csrf_token", "csrfToken", "CSRF_TOKEN", "public_token", "primary_key", "foreignKey", "public_key",
            "schema_key", "sequence_key", "myPrimaryKey",
        ] {
            #expect(Scan.secrets("\(name) = \"\(value)\"").isEmpty, "\(name)")
        }
        // A longer word that merely ends like one, and the credential names themselves, stay credentials.
        for name in ["republic_token", "api_token", "GITHUB_TOKEN", "signing_key", "publish_token"] {
            #expect(Scan.secrets("\(name) = \"\(value)\"").map(\.value) == [value], "\(name)")
        }
    }
}
