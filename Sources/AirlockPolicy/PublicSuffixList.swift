import Foundation

/// The Public Suffix List: answers whether a domain is one under which anyone can register names
/// (`com`, `co.uk`, `github.io`), so that a wildcard on it would allow strangers' hosts.
public struct PublicSuffixList: Sendable {
    private var rules: Set<String> = []
    private var wildcards: Set<String> = []
    private var exceptions: Set<String> = []
    /// Where the list was read from.
    public let source: String

    /// Debian's `publicsuffix` file where installed, else the copy shipped with Airlock.
    public static func system() throws(PolicyLoadError) -> PublicSuffixList {
        let debian = "/usr/share/publicsuffix/public_suffix_list.dat"
        if let data = FileManager.default.contents(atPath: debian) {
            return PublicSuffixList(text: String(decoding: data, as: UTF8.self), source: debian)
        }
        if let url = Bundle.module.url(forResource: "public_suffix_list", withExtension: "dat"),
            let data = try? Data(contentsOf: url)
        {
            return PublicSuffixList(text: String(decoding: data, as: UTF8.self), source: url.path)
        }
        throw PolicyLoadError([
            PolicyDiagnostic(
                rule: "file.unreadable", message: "no Public Suffix List found",
                location: .init(file: debian, line: 0, column: 0))
        ])
    }

    public init(text: String, source: String) {
        self.source = source
        for line in text.split(whereSeparator: \.isNewline) {
            let rule = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            if rule.isEmpty || rule.hasPrefix("//") { continue }
            if rule.hasPrefix("!") {
                if let name = try? HostName(rule.dropFirst()) { exceptions.insert(name.value) }
            } else if rule.hasPrefix("*.") {
                if let name = try? HostName(rule.dropFirst(2)) { wildcards.insert(name.value) }
            } else if let name = try? HostName(rule) {
                rules.insert(name.value)
            }
        }
    }

    /// Whether `domain` (normalised) is itself a public suffix.
    public func isPublicSuffix(_ domain: String) -> Bool {
        if exceptions.contains(domain) { return false }
        if rules.contains(domain) { return true }
        guard let dot = domain.firstIndex(of: ".") else {
            // Every top-level label is a public suffix, listed or not.
            return true
        }
        return wildcards.contains(String(domain[domain.index(after: dot)...]))
    }
}
