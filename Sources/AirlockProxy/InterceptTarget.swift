import AirlockPolicy
import Foundation

/// The destination that an intercepted connection is bound to: every request on it must name this host.
package struct InterceptTarget: Sendable {
    /// Normalised host name (or IP literal) from the CONNECT line or absolute-form URI.
    package let host: String
    package let port: Int
    package let scheme: AllowlistEntry.Scheme
    package let entry: AllowlistEntry

    package init(host: String, port: Int, scheme: AllowlistEntry.Scheme, entry: AllowlistEntry) {
        self.host = host
        self.port = port
        self.scheme = scheme
        self.entry = entry
        self.hostWithPort = HostPort(host: host, port: port).description
    }

    /// `host:port` as a Host header spells it.
    private let hostWithPort: String

    var defaultPort: Int { scheme == .https ? 443 : 80 }
    var provider: Provider? { entry.provider }
    var upstreamKey: UpstreamKey { UpstreamKey(host: host, port: port, tls: scheme == .https) }

    /// Checks a `Host` header value (`name` or `name:port`) against the target.
    package func matchesHostHeader(_ value: String) -> Bool {
        // Fast path: what clients almost always send, byte for byte.
        if value == host { return port == defaultPort }
        if value == hostWithPort { return true }
        guard let (name, port) = InterceptTarget.splitAuthority(value) else { return false }
        if let port, port != self.port { return false }
        if port == nil && self.port != defaultPort { return false }
        return InterceptTarget.normalise(name) == host
    }

    static func splitAuthority(_ value: String) -> (String, Int?)? {
        let trimmed = value.trimmingASCIISpaces()
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { return nil }
            let name = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            let rest = trimmed[trimmed.index(after: close)...]
            if rest.isEmpty { return (name, nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (name, port)
        }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (String(trimmed), nil)
        case 2:
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
            return (String(parts[0]), port)
        default: return nil
        }
    }

    /// The comparable form of a host: the IP literal's canonical text or the normalised name.
    static func normalise(_ name: String) -> String? {
        if let address = IPAddress(parsing: name) { return address.description }
        return try? HostName(name).value
    }
}
