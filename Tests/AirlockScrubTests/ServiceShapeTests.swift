import Foundation
import Testing

@testable import AirlockScrub

private let hexDigits = "0123456789abcdef"
private let digitChars = "0123456789"
private let base64URLChars = Drawn.alnum + "_-"

/// A value drawn until it mixes capitals, small letters and digits, as random tokens of this length nearly always do.
private func mixed(_ drawn: inout Drawn, _ count: Int, from alphabet: String = Drawn.alnum) -> String {
    while true {
        let value = drawn.string(count, from: alphabet)
        if value.contains(where: \.isUppercase), value.contains(where: \.isLowercase), value.contains(where: \.isNumber)
        {
            return value
        }
    }
}

/// Credentials whose shape has parts: the right length with the wrong parts is not one of them, and a name that
/// holds the service's name leaves the value to the service's own rule.
@Suite struct ServiceShapeTests {
    @Test func telegramTokensAfterATelegramName() {
        var drawn = Drawn(101)
        for idLength in [5, 8, 16] {
            let token = drawn.string(idLength, from: "123456789") + ":A" + mixed(&drawn, 34, from: base64URLChars)
            for form in ["TELEGRAM_BOT_TOKEN=\(token)", "telegram bot: \(token)", "telegram_api_token = \"\(token)\""] {
                #expect(Scan.secrets(form).map(\.value) == [token], "\(form)")
            }
        }
    }

    @Test func telegramNamesWithOtherShapesAreNotTokens() {
        var drawn = Drawn(102)
        let secret = mixed(&drawn, 34, from: base64URLChars)
        let values = [
            drawn.string(4, from: digitChars) + ":A" + secret,  // bot id too short
            drawn.string(17, from: digitChars) + ":A" + secret,  // bot id too long
            drawn.string(8, from: digitChars) + ":A" + secret + "x",  // secret too long
            drawn.string(8, from: digitChars) + ":Ahello" + secret,  // text before the secret
            "clm" + drawn.string(5, from: digitChars) + ":AgencyIdentificationCodeContentType",
        ]
        for value in values {
            #expect(Scan.secrets("telegram_api_token = \"\(value)\"").isEmpty, "\(value.count)")
        }
    }

    @Test func sourcegraphTokensHaveTheirParts() {
        var drawn = Drawn(103)
        let hex40 = mixed(&drawn, 40, from: hexDigits + "ABCDEF")
        let instance = drawn.string(16, from: hexDigits)
        for token in ["sgp_\(hex40)", "sgp_\(instance)_\(hex40)", "sgp_local_\(hex40)"] {
            #expect(Scan.secrets("token: \(token)").map(\.id) == ["sourcegraph-token"], "\(token.count)")
        }
        let wrongInstance = drawn.string(18, from: hexDigits)
        #expect(Scan.secrets("sgp_\(wrongInstance)_\(hex40)").isEmpty)
        #expect(Scan.secrets("sgp_\(hex40)0").isEmpty)
    }

    @Test func fixedLengthHexTokensDoNotRunLonger() {
        var drawn = Drawn(104)
        let token = "sntryu_" + drawn.string(64, from: hexDigits)
        #expect(Scan.secrets(token).map(\.id) == ["sentry-user-token"])
        #expect(Scan.secrets(token + "a").isEmpty)
    }

    @Test func dropboxCredentialsAfterADropboxName() {
        var drawn = Drawn(105)
        var short = drawn.string(15, from: Drawn.lowerAlnum)
        while !short.contains(where: \.isNumber) || !short.contains(where: \.isLetter) {
            short = drawn.string(15, from: Drawn.lowerAlnum)
        }
        let longLived = drawn.string(11, from: Drawn.lowerAlnum) + "AAAAAAAAAA" + drawn.string(43, from: base64URLChars)
        let shortLived = "sl." + drawn.string(135, from: base64URLChars)
        for (form, value) in [
            ("dropbox_token: '\(short)'", short), ("DROPBOX_APP_SECRET=\(short)", short),
            ("dropbox_access_token = \"\(longLived)\"", longLived), ("DROPBOX_TOKEN=\(shortLived)", shortLived),
        ] {
            #expect(Scan.secrets(form).map(\.value) == [value], "\(form.prefix(20))")
        }
        #expect(Scan.secrets("dropbox_folder: 'shared2024docs'").isEmpty)
    }

    @Test func facebookAppAccessTokens() {
        var drawn = Drawn(106)
        let id = drawn.string(1, from: "123456789") + drawn.string(15, from: digitChars)
        let secret = mixed(&drawn, 27, from: base64URLChars)
        let token = "\(id)|\(secret)"
        #expect(Scan.secrets("facebook \(token)").map(\.value) == [token])
        #expect(Scan.secrets(#"{"facebook access_token":"\#(token)","token_type":"bearer"}"#).map(\.value) == [token])
        let encoded = "\(id)%7C\(secret)"
        #expect(Scan.secrets("GET /me?access_token=\(encoded)").map(\.value) == [encoded])
        // An id of the wrong length, or a secret of words, is something else.
        #expect(Scan.secrets("facebook \(id.prefix(12))|\(secret)").isEmpty)
        #expect(Scan.secrets("facebook \(id)|the_quick_brown_fox_jumps_over").isEmpty)
    }

    @Test func maxMindLicenseKeys() {
        var drawn = Drawn(107)
        let key = mixed(&drawn, 6) + "_" + mixed(&drawn, 29) + "_mmk"
        #expect(Scan.secrets("MAXMIND_LICENSE_KEY=\(key)").map(\.id).contains("maxmind-license-key"))
        #expect(Scan.secrets("license \(key) here").map(\.value) == [key])
        #expect(Scan.secrets("x \(mixed(&drawn, 6))_\(mixed(&drawn, 28))_mmk").isEmpty)
    }

    @Test func vaultLegacyServiceTokens() {
        var drawn = Drawn(108)
        let token = "s." + mixed(&drawn, 24)
        for form in ["VAULT_TOKEN=\(token)", "token: \(token)", "X-Vault-Token: \(token)", "vault login \(token)"] {
            #expect(Scan.secrets(form).map(\.value) == [token], "\(form.prefix(12))")
        }
        for text in [
            "s.makeKubeConfigController = args", "s.THISSTRINGISALLUPPERCASE", " s.AcceptanceTimeoutSeconds ",
            "its.\(mixed(&drawn, 24))",
        ] {
            #expect(Scan.secrets(text).isEmpty, "\(text.prefix(12))")
        }
    }
}

/// User names that are the credential (an API key sent as the user name with no password), and passwords with no
/// user name.
@Suite struct UserNameCredentialTests {
    @Test func curlUserOptions() {
        var drawn = Drawn(111)
        let secret = mixed(&drawn, 14) + "!"
        #expect(Scan.secrets("curl -u \":\(secret)\" https://localhost:9200").map(\.value) == [secret])
        #expect(Scan.secrets("curl -u \"\(secret):\" https://localhost:9200").map(\.value) == [secret])
        #expect(Scan.secrets("curl -u \(secret): https://api.example.net/v1").map(\.value) == [secret])
        let user = drawn.string(8, from: Drawn.lowerAlnum)
        let joined = Scan.secrets("curl -X POST --user \"\(user)\":\"\(secret)\" https://api.example.net/v1")
        #expect(joined.map(\.value) == [secret])
    }

    @Test func basicCredentialsWithoutAPassword() {
        var drawn = Drawn(112)
        let key = mixed(&drawn, 20)
        let encoded = Data((key + ":").utf8).base64EncodedString()
        #expect(Scan.secrets("Authorization: Basic \(encoded)").map(\.value) == [encoded])
        #expect(Scan.secrets("Authorization: Basic \(Data("ab:".utf8).base64EncodedString())").isEmpty)
    }
}

/// 64 hex digits after the word key are a 256-bit key; under a hash's name, or a public key's, they are not secret.
@Suite struct HexKeyTests {
    @Test func assignedToAKey() {
        var drawn = Drawn(121)
        let key = drawn.string(64, from: hexDigits)
        for form in [
            "key: \(key)", "\"key\": \"\(key)\"", "SIGNING_KEY=\(key)", "encryption key = \(key)",
            "I set up Acme with the key \(key) but every call fails.", "shared_key: \(key)", "unlock key: \(key)",
        ] {
            #expect(Scan.secrets(form).map(\.value) == [key], "\(form.prefix(12))")
        }
    }

    @Test func hashesAreNotKeys() {
        var drawn = Drawn(122)
        let hash = drawn.string(64, from: hexDigits)
        for form in [
            "cache_key: \(hash)", "object_key: \(hash)", "the public key is \(hash)", "sha256_key=\(hash)",
            "content hash key \(hash)",
        ] {
            #expect(Scan.secrets(form).isEmpty, "\(form.prefix(12))")
        }
    }
}

/// Kubernetes Secrets as JSON (`kubectl get secret -o json`), and data values that decode to text nobody keeps
/// secret.
@Suite struct KubernetesSecretFormTests {
    static func encoded(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func jsonSecretsHaveTheirValuesFound() {
        var drawn = Drawn(131)
        let password = Self.encoded(mixed(&drawn, 18))
        let token = mixed(&drawn, 24)
        let document = """
            {
              "apiVersion": "v1",
              "data": {"password": "\(password)", "note": {"nested": [1, 2]}},
              "kind": "Secret",
              "metadata": {"name": "app", "labels": {"tier": "db"}},
              "stringData": {"api-token": "\(token)"}
            }
            """
        let found = Scan.secrets(document).filter { $0.id == "kubernetes-secret-data" }.map(\.value)
        #expect(found == [password, token])
        let compact = #"{"kind":"Secret","data":{"password":"\#(password)"}}"#
        #expect(Scan.secrets(compact).map(\.value) == [password])
        let configMap = #"{"kind": "ConfigMap", "data": {"password": "\#(password)"}}"#
        #expect(!Scan.secrets(configMap).contains { $0.id == "kubernetes-secret-data" })
    }

    @Test func plainWordsAndAddressesAreNotSecrets() {
        var drawn = Drawn(132)
        let password = Self.encoded(mixed(&drawn, 16))
        let manifest = """
            apiVersion: v1
            kind: Secret
            data:
              username: \(Self.encoded("storagesvc"))
              apiAddress: \(Self.encoded("tcp://127.0.0.1:5705"))
              literal: \(Self.encoded("password"))
              documented: \(Self.encoded("1f2d1e2e67df"))
              password: \(password)
            """
        #expect(Scan.secrets(manifest).map(\.value) == [password])
        // The same under a password's name, base64 or not, in any file.
        #expect(Scan.secrets("apiPassword: \(Self.encoded("storagesvc"))").isEmpty)
        #expect(Scan.secrets("db_password = \"\(Self.encoded("password"))\"").isEmpty)
    }
}

/// Values that are not credentials by what the name or the value itself says.
@Suite struct StandInValueTests {
    @Test func namesThatSayTheValueIsNotReal() {
        var drawn = Drawn(141)
        let value = mixed(&drawn, 16, from: Drawn.lowerAlnum + "ABC")
        for name in ["fakeToken", "INVALID_API_KEY", "nonMatchingToken", "dummy_password", "mock_secret"] {
            #expect(Scan.secrets("\(name) := \"\(value)\"").isEmpty, "\(name)")
        }
        #expect(Scan.secrets("apiToken := \"\(value)\"").map(\.value) == [value])
    }

    @Test(arguments: ["AbCeFG123", "abc123def", "1234abcd", "Abcd-2345"])
    func valuesThatCountUp(_ value: String) {
        #expect(Scan.secrets("SUMO_ACCESS_KEY: \(value)").isEmpty)
        #expect(Scan.secrets("password = \"\(value)\"").isEmpty)
    }
}

/// A YAML or `.env` value with `=` inside it (base64 padding, a signed value) is the value, not a typed declaration's
/// type followed by its initial value (`val token: String = "…"`).
@Suite struct EqualsInValueTests {
    @Test func valuesWithAnEqualsSign() {
        var drawn = Drawn(151)
        let padded = Data(mixed(&drawn, 14).utf8).base64EncodedString()
        #expect(padded.hasSuffix("=") && !padded.hasSuffix("=="))
        #expect(Scan.secrets("password: \(padded)").map(\.value) == [padded])
        let signed = mixed(&drawn, 12) + "=" + mixed(&drawn, 20)
        #expect(Scan.secrets("api_token: \(signed)").map(\.value) == [signed])
        let token = mixed(&drawn, 24)
        #expect(Scan.secrets("val apiToken: String = \"\(token)\"").map(\.value) == [token])
    }
}
