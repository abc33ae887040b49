import Foundation
import NIOHTTP1

/// Checks `Proxy-Authorization: Basic` against configured `user:password` pairs in constant time.
package struct ProxyAuthenticator: Sendable {
    private let credentials: [(user: [UInt8], secret: [UInt8])]

    package init(pairs: [String]) {
        credentials = pairs.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (Array(line[..<colon].utf8), Array(line.utf8))
        }
    }

    var isEmpty: Bool { credentials.isEmpty }

    /// The authenticated user name, or nil.
    func authenticate(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "proxy-authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let presented = Array(decoded)
        var matched: [UInt8]?
        // Compare against every credential so timing does not reveal which user exists.
        for credential in credentials where ProxyAuthenticator.constantTimeEqual(presented, credential.secret) {
            matched = credential.user
        }
        return matched.map { String(decoding: $0, as: UTF8.self) }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
