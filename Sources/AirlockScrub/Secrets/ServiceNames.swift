/// The names of services whose keys have no distinctive prefix (bare letters and digits, hex, a UUID), so that a key
/// assigned to a name holding one (`ALGOLIA_API_KEY=…`, `$etsyToken .= "…"`, `zendesk.secret: …`) is found the way
/// the names of its service find it in gitleaks' and trufflehog's rules. They all feed the one keyword automaton.
enum ServiceNames {
    static let all: [String] = [
        "adafruit", "algolia", "artifactory", "asana", "atlassian", "beamer", "bintray", "bitbucket", "bittrex",
        "clickhouse", "codecov", "coinbase", "confluent", "contentful", "databricks", "datadog", "discord", "droneci",
        "dropbox", "dynatrace", "easypost", "etsy", "facebook", "fastly", "finicity", "finnhub", "flickr",
        "flutterwave", "freemius", "freshbooks", "gitter", "gocardless", "heroku", "hubspot", "intercom", "jfrog",
        "kraken", "kucoin", "launchdarkly", "linkedin", "linked_in", "linked-in", "looker", "mailchimp", "mailgun",
        "mapbox", "mattermost", "meraki", "messagebird", "message_bird", "message-bird", "netlify", "newrelic",
        "new_relic", "new-relic", "nytimes", "okta", "pagerduty", "plaid", "privateai", "private_ai", "private-ai",
        "rapidapi", "sendbird", "sendgrid", "sendinblue", "shippo", "snyk", "sonar", "squarespace", "sumologic",
        "travis", "trello", "twitch", "twitter", "typeform", "yandex", "zendesk",
    ]
}

extension Matchers {
    /// Words after a service's name that make the value public or an identifier rather than a credential.
    private static let publicTails: [[UInt8]] = [
        "public", "publishable", "pub", "site", "user", "username", "email", "account", "region", "host", "org",
        "project", "channel", "team", "workspace", "domain", "bucket", "model", "dataset", "index", "api_version",
    ].map { Array($0.utf8) }
    private static let identifierWords: [[UInt8]] = ["id", "version", "url", "uri", "endpoint", "name", "path"].map {
        Array($0.utf8)
    }

    /// `ALGOLIA_API_KEY=…`, `$etsyToken .= "…"`, `<trelloToken>…`: the service's name starts a word of the assigned
    /// name, and the value is machine-made: ten characters or more, letters and digits mixed, no name, no placeholder.
    static func serviceAssignment(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        // The name starts a word: after a separator, or as a capitalised word after small letters (`myStripeKey`).
        if start > 0 {
            let before = b[start - 1]
            if before.isDigit || (before &- 0x61 < 26 && b[start] & 0x20 != 0) || before &- 0x41 < 26 { return nil }
        }
        // Any later word of the name, when it says the value is public, an id or a version (`SENDBIRD_KEY_ID`,
        // `flickr_api_version`), and a file's extension (`facebook.go:` names a file).
        let tailEnd = Bytes.run(b, from: end, .identifier, max: 48)
        // A URL's scheme (`clickhouse://…`) is another rule's business.
        if Bytes.equal(b, tailEnd, "://") { return nil }
        if tailEnd - end >= 2, tailEnd - end <= 5, b[end] == UInt8(ascii: "."),
            b[(end + 1)..<tailEnd].allSatisfy({ $0 &- 0x61 < 26 })
        {
            return nil
        }
        var first = end
        while first < tailEnd {
            while first < tailEnd, !b[first].isASCIILetter { first += 1 }
            var word = first
            while word < tailEnd, b[word].isASCIILetter,
                !(word > first && b[word] &- 0x41 < 26 && b[word - 1] &- 0x61 < 26)
            {
                word += 1
            }
            if word > first, isOne(b, first..<word, of: publicTails) || isOne(b, first..<word, of: identifierWords) {
                return nil
            }
            first = word
        }
        guard let range = assignment(b, start, end, minLength: 10) else { return nil }
        // Machine-made: letters and digits both, and not a version, a date or a path.
        var letters = false
        var digits = false
        for i in range {
            if b[i].isDigit { digits = true } else if b[i].isASCIILetter { letters = true }
        }
        guard letters, digits, !b[range].contains(0x20), !b[range].contains(UInt8(ascii: "/")) || range.count >= 40
        else { return nil }
        return range
    }
}
