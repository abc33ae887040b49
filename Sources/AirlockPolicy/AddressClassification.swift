/// Why an upstream address may not be contacted. The raw values are stable reason codes.
public enum AddressRestriction: String, Sendable, Hashable, CaseIterable {
    case unspecified
    case loopback
    case privateNetwork = "private"
    case linkLocal = "link_local"
    case sharedAddressSpace = "cgnat"
    case multicast
    case broadcast
    case reserved
    case uniqueLocal = "unique_local"
    case teredo
    case documentation
    case proxyItself = "proxy_itself"
}

/// Decides whether an address is a public unicast address that Airlock may connect to.
public enum AddressClassifier {
    /// Returns the restriction that applies to `address`, or nil when it is public.
    /// IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the
    /// address they embed; Teredo is refused outright because its embedded addresses are obfuscated.
    public static func restriction(for address: IPAddress) -> AddressRestriction? {
        let b = address.bytes
        if let v4 = address.ipv4Value { return restriction(ipv4: v4) }

        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible)
        if b[0..<10].allSatisfy({ $0 == 0 }) && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)) {
            return restriction(ipv4: v4(b[12], b[13], b[14], b[15]))
        }
        // 64:ff9b::/96 (well-known NAT64 prefix) and 64:ff9b:1::/48 (local-use NAT64)
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b {
            if b[4..<12].allSatisfy({ $0 == 0 }) {
                return restriction(ipv4: v4(b[12], b[13], b[14], b[15]))
            }
            if b[4] == 0 && b[5] == 1 { return .privateNetwork }
        }
        // 2002::/16 (6to4): the next 32 bits are an IPv4 address
        if b[0] == 0x20 && b[1] == 0x02 { return restriction(ipv4: v4(b[2], b[3], b[4], b[5])) }
        // 2001::/32 (Teredo)
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0 { return .teredo }
        // 2001:db8::/32 documentation, 3fff::/20 documentation
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { return .documentation }
        if b[0] == 0x3f && b[1] == 0xff && b[2] & 0xf0 == 0 { return .documentation }
        if b[0] & 0xfe == 0xfc { return .uniqueLocal }  // fc00::/7
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return .linkLocal }  // fe80::/10
        if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return .uniqueLocal }  // fec0::/10, deprecated site-local
        if b[0] == 0xff { return .multicast }
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return .reserved }  // 100::/64 discard
        // Only 2000::/3 is allocated global unicast.
        if b[0] & 0xe0 != 0x20 { return .reserved }
        return nil
    }

    private static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> UInt32 {
        UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    private static func inNetwork(_ value: UInt32, _ network: UInt32, _ prefix: Int) -> Bool {
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
        return value & mask == network & mask
    }

    static func restriction(ipv4 a: UInt32) -> AddressRestriction? {
        let table: [(UInt32, Int, AddressRestriction)] = [
            (v4(0, 0, 0, 0), 8, .unspecified),
            (v4(127, 0, 0, 0), 8, .loopback),
            (v4(10, 0, 0, 0), 8, .privateNetwork),
            (v4(172, 16, 0, 0), 12, .privateNetwork),
            (v4(192, 168, 0, 0), 16, .privateNetwork),
            (v4(169, 254, 0, 0), 16, .linkLocal),
            (v4(100, 64, 0, 0), 10, .sharedAddressSpace),
            (v4(192, 0, 0, 0), 24, .reserved),
            (v4(192, 0, 2, 0), 24, .documentation),
            (v4(198, 51, 100, 0), 24, .documentation),
            (v4(203, 0, 113, 0), 24, .documentation),
            (v4(198, 18, 0, 0), 15, .reserved),
            (v4(192, 88, 99, 0), 24, .reserved),
            (v4(255, 255, 255, 255), 32, .broadcast),
            (v4(224, 0, 0, 0), 4, .multicast),
            (v4(240, 0, 0, 0), 4, .reserved),
        ]
        for (network, prefix, restriction) in table where inNetwork(a, network, prefix) {
            return restriction
        }
        return nil
    }
}
