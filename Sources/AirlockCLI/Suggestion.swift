/// The known value a mistyped one most likely meant, for error messages: one that starts with it (`redact` for
/// `redacted`) or holds it (`gemini` for `gcp.gemini`), else the nearest by edit distance when that is at most two.
enum Suggestion {
    static func nearest(_ value: String, among known: [String]) -> String? {
        let typed = value.lowercased()
        guard !typed.isEmpty else { return nil }
        if let prefixed = known.first(where: { $0.hasPrefix(typed) || typed.hasPrefix($0) }) { return prefixed }
        if let holding = known.first(where: { $0.contains(typed) }) { return holding }
        let scored = known.map { ($0, distance(Array(typed.utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    /// The Levenshtein distance between two byte strings.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
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

    /// `--NAME` must be one of `known`: an error naming the value, the known ones and the nearest, otherwise.
    static func check(_ value: String?, option: String, among known: [String]) throws {
        guard let value, !known.contains(value) else { return }
        var message = "--\(option) '\(value)' is not one of \(known.joined(separator: ", "))"
        if let nearest = nearest(value, among: known) { message += "; did you mean '\(nearest)'?" }
        throw CLIError(message, code: 2)
    }
}
