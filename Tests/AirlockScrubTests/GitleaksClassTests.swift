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

/// Kubernetes Secrets: every `data:` value (base64, wrapped or not, `.dockerconfigjson` included) and every
/// `stringData:` value, whether `kind: Secret` comes before the data or after it.
@Suite struct KubernetesSecretTests {
    static func encoded(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func dataAndStringDataValuesAreFound() {
        var drawn = Drawn(21)
        let password = Self.encoded(drawn.string(16, from: Drawn.alnum + "!#%"))
        let auth = Self.encoded("ci:" + drawn.string(20, from: Drawn.alnum))
        let dockerConfig = Self.encoded(#"{"auths":{"registry.acme.io":{"auth":"\#(auth)"}}}"#)
        let plain = drawn.string(18, from: Drawn.alnum)
        let manifest = """
            apiVersion: v1
            data:
              # base64 of the password
              password: "\(password)"
              .dockerconfigjson: |
                \(dockerConfig)
            stringData:
              api-token: \(plain)
            kind: Secret
            metadata:
              name: app
            """
        let found = Scan.secrets(manifest).filter { $0.id == "kubernetes-secret-data" }.map(\.value)
        #expect(found == [password, dockerConfig, plain])
    }

    @Test(arguments: ["ConfigMap", "ExternalSecret", "SecretStore"])
    func otherKindsAreNotSecrets(kind: String) {
        var drawn = Drawn(22)
        let value = Self.encoded(drawn.string(16, from: Drawn.alnum))
        let manifest = "apiVersion: v1\nkind: \(kind)\ndata:\n  settings: \(value)\n"
        #expect(!Scan.secrets(manifest).contains { $0.id == "kubernetes-secret-data" })
    }

    @Test func templatesShortValuesAndOtherDocumentsAreLeft() {
        var drawn = Drawn(23)
        let value = Self.encoded(drawn.string(16, from: Drawn.alnum))
        let manifest = """
            apiVersion: v1
            kind: Secret
            data:
              password: {{ .Values.password | b64enc }}
              extra: \(Self.encoded("bar"))
              empty: ""
            ---
            apiVersion: v1
            kind: ConfigMap
            data:
              settings: \(value)
            """
        #expect(!Scan.secrets(manifest).contains { $0.id == "kubernetes-secret-data" })
    }
}

/// Credentials that configuration and CI files hold in forms no assignment names directly.
@Suite struct ConfigurationFormTests {
    @Test func fallbacksOfSettingReadersAndSubstitutionsAreValues() {
        var drawn = Drawn(31)
        let key = drawn.string(50, from: "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)")
        let fallback = drawn.string(20, from: Drawn.alnum + "%#")
        let cases = [
            ("SECRET_KEY = env('SECRET_KEY',\n                '\(key)')", key),
            ("SECRET_KEY = os.environ.get(\"SECRET_KEY\", default=\"\(key)\")", key),
            ("spring.datasource.password=${MYSQL_PASS:\(fallback)}", fallback),
            ("      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-\(fallback)}", fallback),
        ]
        for (text, secret) in cases {
            #expect(!Scan.output((try? Scan.text(text))!).contains(secret), "\(text.prefix(30))")
        }
        for text in ["SECRET_KEY = env('SECRET_KEY')", "password: ${DB_PASSWORD}", "token = config('API_TOKEN')"] {
            #expect(Scan.secrets(text).isEmpty, "\(text)")
        }
    }

    @Test func aValuePairedWithACredentialNameIsFound() {
        var drawn = Drawn(32)
        let yaml = drawn.string(40, from: Drawn.alnum)
        let json = drawn.string(32, from: Drawn.alnum)
        #expect(
            Scan.secrets("env:\n  - name: MYSQL_ROOT_PASSWORD\n    value: \(yaml)\n").map(\.value) == [yaml])
        #expect(Scan.secrets(#"{"name": "API_TOKEN", "value": "\#(json)"}"#).map(\.value) == [json])
        // A form field in HTML names no setting; a short value away from its name is not enough.
        #expect(Scan.secrets(#"<input name="authenticity_token" value="\#(json)">"#).isEmpty)
        #expect(Scan.secrets("  - name: MYSQL_PASSWORD\n    value: c-krit\n").isEmpty)
    }

    @Test func passwordsStartingWithAPercentSignAreValues() {
        var drawn = Drawn(33)
        let secret = "%" + drawn.string(17, from: Drawn.alnum + "*")
        #expect(Scan.secrets("REDIS_PASSWORD=\(secret)").map(\.value) == [secret])
        for text in ["password = %s", "password: %(db_password)s", "set PASSWORD=%DB_PASSWORD%"] {
            #expect(Scan.secrets(text).isEmpty, "\(text)")
        }
    }

    @Test func redisAndActionCredentialsAreFound() {
        var drawn = Drawn(34)
        let redis = drawn.string(32, from: "0123456789abcdef")
        let profile = drawn.string(40, from: Drawn.alnum)
        #expect(Scan.secrets("    command: redis-server --requirepass \(redis)").map(\.value) == [redis])
        #expect(Scan.secrets("redis-cli -a \(redis) ping").map(\.value) == [redis])
        #expect(
            Scan.secrets("      with:\n        publish-profile: \(profile) # see docs\n").map(\.value) == [profile])
        #expect(Scan.secrets("redis-server --port 6380 --appendonly yes").isEmpty)
        #expect(Scan.secrets("        publish-profile: ${{ secrets.AZURE_PROFILE }}").isEmpty)
    }
}

/// Token formats gitleaks has rules for, with generated values and near misses.
@Suite struct VendorTokenTests {
    @Test func newFormatsAreFound() {
        var drawn = Drawn(41)
        let b64u = Drawn.alnum + "_-"
        let tokens: [(String, String)] = [
            ("openshift-user-token", "sha256~" + drawn.string(43, from: b64u)),
            ("mailgun-public-key", "pubkey-" + drawn.string(32, from: "0123456789abcdef")),
            ("facebook-page-access-token", "EAAM" + drawn.string(120, from: Drawn.alnum)),
            ("twitter-bearer-token", String(repeating: "A", count: 22) + drawn.string(90, from: Drawn.alnum + "%")),
            ("sourcegraph-token", "sgp_local_" + drawn.string(40, from: "0123456789abcdefABCDEF")),
            ("fly-io-token", "fm1a_" + drawn.string(120, from: Drawn.alnum + "+/")),
        ]
        for (rule, token) in tokens {
            #expect(Scan.secrets("value: \"\(token)\"").contains { $0.id == rule && $0.value == token }, "\(rule)")
        }
        let id = "su" + drawn.string(12, from: Drawn.alnum)
        #expect(Scan.secrets("sumologic.accessId = \"\(id)\"").map(\.id) == ["sumologic-access-id"])
        let legacy = drawn.string(40, from: "0123456789abcdefABCDEF")
        #expect(Scan.secrets("sourcegraph: \(legacy)").map(\.id) == ["sourcegraph-legacy-token"])
    }

    @Test func nearMissesAreNot() {
        var drawn = Drawn(42)
        #expect(Scan.secrets("sumOfExposures = sumOfExposures;").isEmpty)
        #expect(Scan.secrets("sha256~" + drawn.string(20, from: Drawn.alnum)).isEmpty)
        #expect(Scan.secrets("EAAM" + drawn.string(60, from: Drawn.alnum)).isEmpty)
        // A prefix deep inside a longer base64 run (an image's bytes) is a coincidence.
        let blob = drawn.string(60, from: Drawn.alnum) + "fm2_" + drawn.string(120, from: Drawn.alnum)
        #expect(Scan.secrets("<img src=\"data:image/png;base64,\(blob)\">").isEmpty)
    }
}
