import AirlockPolicy
import Testing

@Suite("Address classification")
struct AddressClassificationTests {
    func restriction(_ text: String) -> String? {
        guard let address = IPAddress(parsing: text) else { return "unparsed" }
        return AddressClassifier.restriction(for: address)?.rawValue
    }

    @Test(
        "non-public addresses are refused",
        arguments: [
            ("127.0.0.1", "loopback"), ("127.1", "loopback"), ("2130706433", "loopback"), ("0x7f000001", "loopback"),
            ("0177.0.0.1", "loopback"), ("0.0.0.0", "unspecified"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
            ("172.31.255.255", "private"), ("192.168.1.1", "private"), ("169.254.169.254", "link_local"),
            ("100.64.0.1", "cgnat"), ("100.127.255.255", "cgnat"), ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"), ("240.0.0.1", "reserved"), ("192.0.2.1", "documentation"),
            ("::1", "loopback"), ("[::1]", "loopback"), ("::", "unspecified"), ("fe80::1", "link_local"),
            ("fc00::1", "unique_local"), ("fd12:3456::1", "unique_local"), ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"), ("[::ffff:127.0.0.1]", "loopback"), ("::ffff:7f00:1", "loopback"),
            ("::ffff:10.0.0.1", "private"), ("::127.0.0.1", "loopback"), ("64:ff9b::a00:1", "private"),
            ("64:ff9b::7f00:1", "loopback"), ("64:ff9b::169.254.169.254", "link_local"), ("64:ff9b:1::1", "private"),
            ("2002:7f00:1::", "loopback"), ("2002:a00:1::1", "private"), ("2001:0:4136:e378::1", "teredo"),
            ("2001:db8::1", "documentation"),
        ]
    )
    func refused(address: String, expected: String) {
        #expect(restriction(address) == expected, "\(address)")
    }

    @Test(
        "public addresses pass",
        arguments: [
            "8.8.8.8", "1.1.1.1", "104.18.6.192", "2606:4700::6810:7b6", "64:ff9b::808:808", "2002:808:808::1",
            "::ffff:8.8.8.8",
        ])
    func allowed(address: String) {
        #expect(restriction(address) == nil, "\(address)")
    }

    @Test("parsing edge cases")
    func parsing() {
        #expect(IPAddress(parsing: "256.0.0.1") == nil)
        #expect(IPAddress(parsing: "1.2.3.4.5") == nil)
        #expect(IPAddress(parsing: "08.0.0.1") == nil)  // 8 is not octal
        #expect(IPAddress(parsing: "fe80::1%eth0") == nil)
        #expect(IPAddress(parsing: "1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPAddress(parsing: "api.openai.com") == nil)
        #expect(IPAddress(parsing: "10.1")?.description == "10.0.0.1")
        #expect(IPAddress(parsing: "2001:db8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress(parsing: "::ffff:127.0.0.1")?.description == "::ffff:7f00:1")
    }
}

@Suite("Host names and configuration values")
struct HostNameTests {
    @Test("normalisation")
    func normalise() throws {
        #expect(try HostName("API.OpenAI.com.").value == "api.openai.com")
        #expect(try HostName("bücher.example").value == "xn--bcher-kva.example")
        #expect(try HostName("例え.テスト").value == "xn--r8jz45g.xn--zckzah")
        #expect(throws: HostName.Problem.invalidCharacter) { try HostName("a_b.test") }
        #expect(throws: HostName.Problem.emptyLabel) { try HostName("a..b") }
        #expect(throws: HostName.Problem.hyphenAtLabelEdge) { try HostName("-a.test") }
        #expect(throws: HostName.Problem.labelTooLong) { try HostName(String(repeating: "a", count: 64) + ".test") }
    }

    @Test("connect-to rules follow curl")
    func connectTo() throws {
        let rule = try #require(ConnectToRule(parsing: "api.openai.com:443:127.0.0.1:8443"))
        #expect(rule.target(for: "api.openai.com", port: 443) == HostPort(host: "127.0.0.1", port: 8443))
        #expect(rule.target(for: "api.openai.com", port: 80) == nil)
        let any = try #require(ConnectToRule(parsing: "::[::1]:"))
        #expect(any.target(for: "x.test", port: 443) == HostPort(host: "::1", port: 443))
        #expect(ConnectToRule(parsing: "nonsense") == nil)
    }

    @Test("units")
    func units() {
        #expect(Units.parseByteSize("32MiB") == 32 << 20)
        #expect(Units.parseByteSize("64 KiB") == 64 << 10)
        #expect(Units.parseByteSize("100") == 100)
        #expect(Units.parseByteSize("lots") == nil)
        #expect(Units.parseDuration("500ms") == 0.5)
        #expect(Units.parseDuration("5m") == 300)
        #expect(Units.parseDuration("30d") == 2_592_000.0)
    }

    @Test("the shipped configuration loads")
    func shippedConfig() throws {
        let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let config = try ConfigurationLoader.load(path: root + "/Config/airlock.yaml")
        #expect(config.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.limits.maxRequestBody == 32 << 20)
        #expect(config.allowlistPaths == [root + "/Allowlist"])
        #expect(config.stateDirectory == nil)
    }
}
