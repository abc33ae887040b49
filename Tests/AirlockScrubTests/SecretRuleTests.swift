import Foundation
import Testing

@testable import AirlockScrub

/// One catalogue rule's examples, from `Fixtures/rule-examples.json`: true positives taken from published token
/// formats (gitleaks' rule samples, vendor documentation), near misses one step past each boundary the rule claims,
/// and published samples the rule does not catch, kept with the reason and not asserted.
struct RuleExample: Decodable, CustomTestStringConvertible, Sendable {
    struct Positive: Decodable, Sendable {
        var text: String
        var secret: String
        var source: String?
    }
    struct Negative: Decodable, Sendable {
        var text: String
        /// The boundary this near miss sits one step past: `prefix`, `alphabet`, `length-min`, `length-max`, …
        var boundary: String
        var source: String?
    }
    struct KnownMiss: Decodable, Sendable {
        var text: String
        var secret: String
        var source: String
        var reason: String
    }
    var rule: String
    /// Where the examples come from: a gitleaks rule file and id, or a vendor's documentation.
    var source: String
    var boundaries: [String]
    var positives: [Positive]
    var negatives: [Negative]
    var knownMisses: [KnownMiss]?
    var testDescription: String { rule }

    enum CodingKeys: String, CodingKey {
        case rule, source, boundaries, positives, negatives
        case knownMisses = "known_misses"
    }

    static let all: [RuleExample] = {
        let url = Bundle.module.url(forResource: "rule-examples", withExtension: "json")!
        return try! JSONDecoder().decode([RuleExample].self, from: Data(contentsOf: url))
    }()
}

extension SecretRule {
    /// The boundaries a token or keyed rule claims, which its near misses must probe. A token whose every prefix is
    /// distinctive (holds a character other than a letter or digit, and is 4 or more long) is still taken when the
    /// run after it is longer than its length (see `Matchers.token`), so it claims no longest length.
    var claimedBoundaries: Set<String> {
        switch matcher {
        case .token:
            let distinctive = keywords.allSatisfy { keyword in
                keyword.utf8.count >= 4 && keyword.utf8.contains { !$0.isASCIIAlphanumeric }
            }
            return distinctive
                ? ["prefix", "alphabet", "length-min"] : ["prefix", "alphabet", "length-min", "length-max"]
        case .keyed: return ["prefix", "alphabet", "length-min", "length-max"]
        default: return []
        }
    }
}

@Suite struct SecretRuleTests {
    @Test func catalogueIsLargeWithStableUniqueIDs() {
        let rules = SecretCatalogue.rules
        #expect(rules.count >= 150)
        #expect(Set(rules.map(\.id)).count == rules.count)
        for rule in rules {
            #expect(!rule.description.isEmpty)
            #expect(rule.id.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(rule.id)")
        }
    }

    @Test func everyRuleHasPublishedExamplesAndNearMissesAtEachBoundary() {
        let examples = Dictionary(uniqueKeysWithValues: RuleExample.all.map { ($0.rule, $0) })
        #expect(examples.count == SecretCatalogue.rules.count, "examples for rules the catalogue does not have")
        for rule in SecretCatalogue.rules {
            guard let example = examples[rule.id] else {
                Issue.record("no examples for \(rule.id)")
                continue
            }
            #expect(!example.source.isEmpty, "\(rule.id) names no source")
            #expect(example.positives.count >= 2, "\(rule.id) needs two true positives")
            for positive in example.positives {
                #expect(!(positive.source ?? example.source).isEmpty, "\(rule.id): a positive names no source")
                #expect(positive.text.contains(positive.secret), "\(rule.id): a positive's secret is not in its text")
            }
            #expect(!example.negatives.isEmpty, "\(rule.id) needs a near miss")
            let probed = Set(example.negatives.map(\.boundary))
            #expect(!probed.contains(""), "\(rule.id): a near miss names no boundary")
            #expect(probed == Set(example.boundaries), "\(rule.id): boundaries and near misses disagree")
            let missing = rule.claimedBoundaries.subtracting(probed)
            #expect(missing.isEmpty, "\(rule.id) has no near miss at \(missing.sorted())")
            for miss in example.knownMisses ?? [] {
                #expect(
                    !miss.source.isEmpty && !miss.reason.isEmpty, "\(rule.id): a known miss needs a source and reason")
            }
        }
    }

    @Test(arguments: RuleExample.all)
    func ruleFindsItsPositivesAndNotItsNearMisses(_ example: RuleExample) throws {
        for positive in example.positives {
            let found = Scan.secrets(positive.text)
            #expect(
                found.contains { $0.id == example.rule && $0.value.contains(positive.secret) },
                "\(example.rule) missed a positive; found \(found.map(\.id))")
            let scrubbed = Scan.output(try Scan.text(positive.text))
            #expect(!scrubbed.contains(positive.secret), "\(example.rule): the secret survived redaction")
        }
        for negative in example.negatives {
            let found = Scan.secrets(negative.text)
            #expect(
                !found.contains { $0.id == example.rule },
                "\(example.rule) flagged a near miss at its \(negative.boundary) boundary")
        }
    }

    @Test(arguments: [
        "commit 3f9c2a7d1e4b5c6a8f0e9d2c1b3a4f5e6d7c8b9a fixed the build",
        "sha256:9b2c4f1e8a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b",
        "image: registry.example.com/app@sha256:4f3e2d1c0b9a8f7e6d5c4b3a29181716151413121110090807060504030201ff",
        "request id 123e4567-e89b-12d3-a456-426614174000 failed",
        "md5 d41d8cd98f00b204e9800998ecf8427e and sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "AWS docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as examples",
        "export OPENAI_API_KEY=<your-api-key>",
        "api_key = \"${OPENAI_API_KEY}\"",
        "token = os.environ[\"GITHUB_TOKEN\"]",
        "password: \"****\"",
        "the key is sk-proj-****abcd (masked)",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "Use Authorization: Bearer $TOKEN in the request",
        "postgres://localhost:5432/app",
        "client_secret: ${{ secrets.CLIENT_SECRET }}",
        "The password must be at least 12 characters long.",
        "We rotate the token every 24 hours and store secrets in Vault.",
        "max_tokens: 4096, temperature: 0.2",
        "base64 of hello world is aGVsbG8gd29ybGQ=",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
        "git push -u origin main && sort -u names.txt | uniq -c",
        "curl -u admin https://api.internal/health",
        "docker run -u 1000:1000 -p 8080:80 nginx",
        "http --auth-type bearer GET https://api.internal",
        "The machine learning model needs a password manager.",
        "Authorization: Bearer is the scheme this API expects",
        #""SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf""#,
        #""pattern": "^arn:(aws[a-zA-Z-]*):secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[a-zA-Z0-9/_+=.@-]+$""#,
        #""IAMUserChangePassword": "arn:aws:iam::aws:policy/IAMUserChangePassword""#,
        "def load(data: bytes, password: typing.Optional[bytes] = None) -> Key:",
        "page_token: Optional[str] = None",
        "user, password = parts['user'], parts['pass']",
        #"client = Client(api_key="test-api-key")"#,
        #"self.token = 'magic_token'"#,
        #"GOOGLE_API_KEY_ENV = "GOOGLE_API_KEY""#,
        #"next_page_token="next_tok_2""#,
        #"_CREDENTIALS_FILENAME = "application_default_credentials.json""#,
        #"api_key = "{api_key}""#,
        "curl -d 'token=$TOKEN&token_type_hint=refresh_token'",
    ])
    func benignLookAlikesAreNotFlagged(_ text: String) {
        #expect(Scan.secrets(text).isEmpty, "flagged: \(Scan.secrets(text).map(\.id))")
    }

    @Test(arguments: [
        ("github-pat", "ghp_" + "1aj6FHjBb72AfT0T0arI2LERfAKegs9pV6JI"),
        ("github-pat", "ghp_" + "bAXlCpb7NjcbuNOqMtuifiKawMmUwDxXxxOT"),
        (
            "anthropic-api-key",
            "sk-ant-api03-" + "q8Zr2YoURk4Tn7Wm1Xc5Vb9Pd3Lf6Gh0Js2Ka4Qe8Ru1Ty5Ui7Op3As9Df6Gh2Jk4Lz8Xc1Vb5Nm7Qw3Er9"
                + "Ty1Ui5Op7As3Df-9GhJkQAA"
        ),
    ])
    func aRandomTokenThatHappensToHoldAPlaceholderWordIsASecret(rule: String, token: String) {
        // `fAKe`, `DxXxx`, `YoUR` inside an otherwise random token: chance, not a placeholder.
        #expect(Scan.secrets("key \(token)").contains { $0.id == rule })
    }

    @Test(arguments: [
        ("api-key-assignment", #"api_key = "AMEw9yO5jnsGnZJLHSKDFHJJu""#),
        ("token-assignment", "token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token"),
        ("password-assignment", #"password = "correct-horse-battery-staple""#),
    ])
    func valuesThatAreNotNamesAreStillSecrets(rule: String, text: String) {
        // A name is no key or token; a password may be words, and a random value is never a name.
        #expect(Scan.secrets(text).contains { $0.id == rule }, "\(Scan.secrets(text).map(\.id))")
    }

    @Test func checksumIsNotRequired() {
        // A token of the right prefix and shape is redacted whether or not its checksum is valid.
        let token = "ghp_" + "Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU"
        #expect(Scan.secrets("GH=\(token)").contains { $0.id == "github-pat" })
    }

    @Test func sameSecretSameNumberWithinARequest() throws {
        let token = "glpat-" + "Zq8RkT3vW9xY2bN5mC7d"
        let other = "npm_" + "Q2w3E4r5T6y7U8i9O0p1A2s3D4f5G6h7J8k9"
        let result = try Scan.text("a \(token) b \(other) c \(token)")
        let out = Scan.output(result)
        #expect(
            out
                == "a [REDACTED:secret:gitlab-pat:1] b [REDACTED:secret:npm-access-token:2] c [REDACTED:secret:gitlab-pat:1]"
        )
    }

    @Test func escapedUnicodeDoesNotHideASecret() throws {
        // `ghp\u005f…` decodes to `ghp_…`.
        let body = #"{"messages":[{"role":"user","content":"ghp\u005fZq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU"}]}"#
        let result = try Scan.json(body, kind: .openai)
        #expect(result.findings.map(\.detector) == ["github-pat"])
        #expect(!Scan.output(result).contains("Zq8RkT3v"))
    }
}

/// Secrets that once left beside what the rules found, or behind an ordinary symbol.
@Suite struct SecretShapesTests {
    static let aws = "AKIA" + "Q7ZK4M2P9X3T6W8R"
    static let awsSecret = "q8Vd2RkT9mW1xZp4Lc7Hs0bNf3Gy6Ju5Ea8Ko2Mt"

    @Test(arguments: [
        "User name,Password,Access key ID,Secret access key,Console login link\nci-bot,,\(aws),\(awsSecret),https://console.example\n",
        "$ aws configure\nAWS Access Key ID [None]: \(aws)\nAWS Secret Access Key [None]: \(awsSecret)\nDefault region name [None]: eu-west-1\n",
        "AWSCredentials creds = new BasicAWSCredentials(\"\(aws)\", \"\(awsSecret)\");",
        "The deploy user is \(aws) and its Secret access key: \(awsSecret)",
        "Secret access key: \(awsSecret)",
    ])
    func awsSecretKeysOutsideAWSNamedFields(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(!Scan.output(result).contains(Self.awsSecret))
        #expect(try Scan.text(Scan.output(result)).findings.isEmpty)
    }

    @Test func aGitShaBesideAKeyIdIsNoSecret() {
        let text = "\(Self.aws) was rotated in 3f9c2a7d1e4b5c6a8f0e9d2c1b3a4f5e6d7c8b9a"
        #expect(Scan.secrets(text).map(\.id) == ["aws-access-key-id"])
    }

    @Test(arguments: [
        ("password: \"ab<cd>ef9Xq\"", "ab<cd>ef9Xq"),
        ("DB_PASSWORD=p(a)ss;w0rd&x]y", "p(a)ss;w0rd&x]y"),
        ("password: Tr0ub4dor&3,x;y}z", "Tr0ub4dor&3,x;y}z"),
        ("  db_password: it's,my[pass]word9", "it's,my[pass]word9"),
        ("export API_TOKEN=Zk3(9)qP,vW;7", "Zk3(9)qP,vW;7"),
        ("password = \"x>9Lq<2m\"", "x>9Lq<2m"),
    ])
    func passwordsWithOrdinarySymbolsAreFoundWhole(text: String, secret: String) throws {
        let result = try Scan.text(text + "\nnext: 1")
        let out = Scan.output(result)
        #expect(result.decision == .redacted)
        for piece in [secret.prefix(4), secret.suffix(4)] { #expect(!out.contains(piece)) }
        #expect(out.hasSuffix("\nnext: 1"))
    }

    @Test(arguments: [
        "export OPENAI_API_KEY=<your-api-key>",
        "password: <password>",
        "page_token: Optional[str] = None",
        "password = getpass()",
        "  password: ${DB_PASSWORD}",
    ])
    func placeholdersAndCodeAreNoPasswords(_ text: String) {
        #expect(Scan.secrets(text).isEmpty)
    }

    @Test func numericPasswordsAreFound() throws {
        #expect(try Scan.text("password: \"84629173\"").findings.map(\.detector) == ["password-assignment"])
        let tool = """
            {"model":"claude","max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1",\
            "name":"login","input":{"user":"ops","password":84629173,"pin":"2468","timeout":30}}]}]}
            """
        let result = try Scan.json(tool, kind: .anthropic, path: "/v1/messages")
        let out = Scan.output(result)
        #expect(!out.contains("84629173"))
        #expect(result.findings.map(\.detector) == ["password-assignment"])
        #expect(out.contains(#""timeout":30"#))
        #expect(try Scan.parse(result.output) is [String: Any])
        #expect(try Scan.json(out, kind: .anthropic, path: "/v1/messages").findings.isEmpty)
    }
}

/// Credentials in connection and deployment set-ups that no assignment names.
@Suite struct ConnectionSecretsTests {
    @Test(arguments: [
        ("- run: docker login -u ci -p Xk92LmQz7wP4 registry.acme.io", "Xk92LmQz7wP4"),
        ("podman login --password Hq3Nw8Lz2Vb7 quay.io", "Hq3Nw8Lz2Vb7"),
        ("docker login --password=Tz3Nw8Kq1Rb6 ghcr.io", "Tz3Nw8Kq1Rb6"),
        ("APP_KEY=base64:q7Vd2RkT9mW1xZp4Lc7Hs0bNf3Gy6Ju5Ea8Ko2MtA0=", "q7Vd2RkT9mW1xZp4Lc7Hs0bNf3Gy6Ju5Ea8Ko2MtA0="),
    ])
    func registryLoginsAndApplicationKeys(text: String, secret: String) throws {
        let out = Scan.output(try Scan.text(text))
        #expect(!out.contains(secret))
    }

    @Test(arguments: [
        "docker run -p 8080:80 nginx",
        "docker login -u ci --password-stdin registry.acme.io",
        "docker login -u ci -p $REGISTRY_PASSWORD registry.acme.io",
    ])
    func dockerOptionsThatAreNoPasswords(_ text: String) {
        #expect(Scan.secrets(text).isEmpty)
    }

    @Test func aTwilioSIDAloneIsNoSecret() {
        #expect(Scan.secrets("TWILIO_ACCOUNT_SID=AC3f9c2a7d1e4b5c6a8f0e9d2c1b3a4f5e").isEmpty)
    }
}

/// A machine-made value after the word `key`, whatever service it belongs to.
@Suite struct KeyValueTests {
    @Test(arguments: [
        (
            "integrations:\n  acme:\n    enabled: true\n    key: q7Vd2RkT9mW1xZp4Lc7Hs0bNf3",
            "q7Vd2RkT9mW1xZp4Lc7Hs0bNf3"
        ),
        (
            "I set up Acme with the key 9kq2mz7xw4pl8nv3bc6ty1hr5 but every call returns 401.",
            "9kq2mz7xw4pl8nv3bc6ty1hr5"
        ),
        ("the signing key is Hq3Nw8Lz2Vb7Tz3Nw8Kq1Rb6Yh0Vd4", "Hq3Nw8Lz2Vb7Tz3Nw8Kq1Rb6Yh0Vd4"),
    ])
    func keysAfterTheWordKeyAreFound(text: String, secret: String) throws {
        #expect(!Scan.output(try Scan.text(text)).contains(secret))
    }

    @Test(arguments: [
        "cache key 6fe4476ee5a1832882e326b506d14126aa7b3c2d",
        "{ key: '9df21e95-3848-409d-8f94-c675cdfee839', value: 'Americas' }",
        "key: app.kubernetes.io/managed-by",
        "the primary key is customer_id_2024_v2 in this table",
        "KEY_ID=Hq3Nw8Lz2Vb7Tz3Nw8Kq1Rb6Yh0Vd4",
        "key: sha256:4f3e2d1c0b9a8f7e6d5c4b3a29181716151413121110090807060504030201ff",
    ])
    func idsHashesAndNamesAfterTheWordKeyAreNot(_ text: String) {
        #expect(!Scan.secrets(text).contains { $0.id == "key-value" })
    }
}

extension KeyValueTests {
    @Test func aWebSocketKeyIsANonceNotASecret() {
        #expect(Scan.secrets("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ9x7Kq2==").isEmpty)
    }
}
