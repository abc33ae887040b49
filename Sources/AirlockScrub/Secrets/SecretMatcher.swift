/// How a rule confirms a keyword hit. Hand-written matchers, no regular expressions.
enum SecretMatcher: Sendable {
    case token(body: ByteClass, length: ClosedRange<Int>, entropy: Double?)
    case keyed(value: ByteClass, length: ClosedRange<Int>, entropy: Double?)
    /// `password = "…"`, `api_key: …`: any value that passes the placeholder and strength filters.
    case assignment(minLength: Int)
    case bearer
    case basicAuth
    /// A PEM-style armoured block; the keyword is the BEGIN line.
    case armoredBlock(end: String)
    case puttyKey
    case jwt
    /// The 40-character secret access key within a few lines of an AWS access key id (the keyword), whatever
    /// names it or none.
    case awsPairedSecret
    /// A Twilio auth token (32 hex digits) within a few lines of its account SID (`AC` and 32 hex digits).
    case twilioPairedSecret
    /// A token-shaped value after the word `key` (`key: …` in a service's section, "with the key …" in prose).
    case bareKey
    /// A configuration directive with its value after blanks, at the start of a line (Redis `requirepass secret`).
    case directive
    /// Oracle's thin JDBC URL, `jdbc:oracle:thin:user/password@host…`; the password is the secret.
    case oracleThinPassword
    /// The password argument of a connection call: `DriverManager.getConnection(url, "user", "password")`.
    case connectionCallPassword
    /// `scheme://user:password@host`; the password is the secret.
    case uriCredentials
    /// A URL whose path is the credential (webhooks); the keyword is the host and fixed path.
    case urlPath(body: ByteClass, minLength: Int)
    case openAILegacyKey
    case azureADClientSecret
    case telegramBotToken
    /// A Telegram bot token (`bot id:A…`) after a name holding `telegr` (the keyword), on the same line.
    case telegramNamedToken
    /// `sgp_` with 40 hex digits, optionally after a 16-hex-digit instance id or `local_`.
    case sourcegraphToken
    /// A Dropbox app secret, long-lived or short-lived token assigned to a name holding `dropbox`.
    case dropboxToken
    /// A Facebook app access token, `app id|app secret`, after `facebook` or `access_token` on the same line.
    case facebookAppToken
    /// A MaxMind license key; the keyword is its `_mmk` suffix.
    case maxMindLicenseKey
    /// A Vault service token of the legacy format, `s.` and 24 letters and digits; the keyword is `s.` with the byte
    /// before it.
    case vaultLegacyToken
    case newRelicLicenseKey
    case mailchimpKey
    case azureSASSignature
    case adoConnectionPassword
    /// A whole PEM private key, base64-encoded (kubeconfig `client-key-data`); the keyword is `-----BEGIN ` encoded.
    case base64PrivateKey
    /// A JSON Web Token, base64-encoded as a whole; the keyword is `ZXlK`, which is `eyJ` encoded.
    case base64JWT
    /// A Slack bot token: `xoxb-`, a workspace id of 8 to 14 digits, then the current form's further ids and secret
    /// or the legacy form's 18 to 26 letters and digits.
    case slackBotToken
    /// A password in a .NET XML setting, `<add key="ClearTextPassword" value="…" />` (NuGet.Config's
    /// `packageSourceCredentials`); the keyword is `key="…Password"` with its closing quote.
    case xmlSettingPassword
    /// The `auth` field of a Docker or Podman credentials file: base64 of `user:password`.
    case registryAuth
    /// A password given as an option to a command-line client; the keyword is the command's name.
    case commandLinePassword
    /// Every value under `data:` (base64) and `stringData:` of a Kubernetes Secret; the keyword is `kind: Secret`.
    case kubernetesSecret
    /// A machine-made value assigned to a name that holds a service's name (the keyword).
    case serviceAssignment
    /// The base64 registry configuration after `.dockerconfigjson:` or `.dockercfg:`, holding `auth` or `password`.
    case encodedDockerConfig
    /// `machine HOST login NAME password SECRET` in a `.netrc` file.
    case netrcPassword
    /// An `Authorization` header value with a scheme other than Basic or Bearer, or none.
    case authorizationHeader
    /// A `Cookie` or `Set-Cookie` header, or curl's `-b`, holding a session-like value.
    case cookieHeader
}

extension SecretMatcher {
    /// Whether what the matcher finds is a credential by its shape alone, with no name or context around it.
    var isSelfEvident: Bool {
        switch self {
        case .token, .openAILegacyKey, .jwt, .telegramBotToken, .base64PrivateKey, .sourcegraphToken,
            .maxMindLicenseKey:
            true
        default: false
        }
    }

    /// Token-shaped matchers compare their keyword in exact case; context matchers ignore case.
    var matchesKeywordCase: Bool {
        switch self {
        case .token, .openAILegacyKey, .azureADClientSecret, .telegramBotToken, .newRelicLicenseKey, .mailchimpKey,
            .sourcegraphToken, .maxMindLicenseKey,
            .jwt, .azureSASSignature, .base64PrivateKey, .awsPairedSecret, .twilioPairedSecret:
            true
        default: false
        }
    }
}
