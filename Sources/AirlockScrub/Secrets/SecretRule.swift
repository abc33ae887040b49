/// One secret detector: a stable id, what it finds, the keywords that make a place worth checking,
/// and the small matcher that confirms a candidate.
package struct SecretRule: Sendable {
    package let id: String
    package let description: String
    package let keywords: [String]
    let matcher: SecretMatcher

    init(_ id: String, _ description: String, keywords: [String], _ matcher: SecretMatcher) {
        self.id = id
        self.description = description
        self.keywords = keywords
        self.matcher = matcher
    }

    /// A token whose keyword is its own literal prefix (matched in exact case), followed by `length` body bytes.
    static func token(
        _ id: String, _ description: String, prefix: String, _ body: ByteClass, _ length: ClosedRange<Int>,
        entropy: Double? = nil
    ) -> SecretRule {
        SecretRule(id, description, keywords: [prefix], .token(body: body, length: length, entropy: entropy))
    }

    /// Several prefixes sharing one shape.
    static func token(
        _ id: String, _ description: String, prefixes: [String], _ body: ByteClass, _ length: ClosedRange<Int>,
        entropy: Double? = nil
    ) -> SecretRule {
        SecretRule(id, description, keywords: prefixes, .token(body: body, length: length, entropy: entropy))
    }

    /// A value of a known shape assigned to a service-specific name (`DD_API_KEY=…`, `"accountKey": "…"`).
    static func keyed(
        _ id: String, _ description: String, names: [String], _ value: ByteClass, _ length: ClosedRange<Int>,
        entropy: Double? = nil
    ) -> SecretRule {
        SecretRule(id, description, keywords: names, .keyed(value: value, length: length, entropy: entropy))
    }
}
