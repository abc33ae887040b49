/// The known value a mistyped one most likely meant, for error messages and findings: one that starts with it
/// (`redact` for `redacted`) or holds it (`gemini` for `gcp.gemini`), the closest of several (`port` is `ports`,
/// not `port_reason`), else the nearest by edit distance when that is at most two. The command line's option checks
/// and the allowlist's unknown-key findings both use it.
public enum Suggestion {
    public static func nearest(_ value: String, among known: [String]) -> String? {
        let typed = value.lowercased()
        guard !typed.isEmpty else { return nil }
        func closest(_ candidates: [String]) -> (String, Int)? {
            candidates.map { ($0, distance(Array(typed.utf8), Array($0.utf8))) }.min { $0.1 < $1.1 }
        }
        if let prefixed = closest(known.filter({ $0.hasPrefix(typed) || typed.hasPrefix($0) })) { return prefixed.0 }
        if let holding = closest(known.filter({ $0.contains(typed) })) { return holding.0 }
        guard let best = closest(known), best.1 <= 2 else { return nil }
        return best.0
    }

    /// The Levenshtein distance between two byte strings.
    public static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
