/// Secrets in request headers. A body is not the only thing that leaves: a tracing or gateway header
/// (`X-Debug-Token`, `X-Portkey-Api-Key`) travels to the provider too, and an application that mixed up its
/// environment sends a GitHub token where its OpenAI key belongs.
///
/// Every header is read as the line `name: value`, so that a header named like a credential is read as an
/// assignment, and a secret in a header is redacted in its value, blocked or counted as `scrub.secrets` says, as a
/// secret in the body is. The header that carries the client's credential for the provider (`Authorization`,
/// `x-api-key`, `x-goog-api-key`, `api-key`) is read as its value alone, without a `Bearer ` scheme, and must hold a
/// credential of that provider: one that a rule recognises as another service's secret (a GitHub token sent as an
/// OpenAI key) blocks the request, since replacing a credential would only turn the leak into a failed request; so
/// does a secret in a header's name. `Cookie` is the destination's own state and Airlock's `Proxy-Authorization`
/// never leaves, so neither is read.
enum HeaderScrubber {
    enum Role { case plain, credential, skipped }

    /// Headers that carry the client's credential for the destination.
    static let credentialHeaders: [StaticString] = ["authorization", "x-api-key", "x-goog-api-key", "api-key"]
    /// Headers that are not read at all.
    static let skippedHeaders: [StaticString] = ["cookie", "proxy-authorization"]

    /// What a header is, by its name in any case. Compared in place: this runs for every header of every request.
    static func role(of name: String) -> Role {
        var name = name
        return name.withUTF8 { bytes in
            func named(_ lower: StaticString) -> Bool {
                guard bytes.count == lower.utf8CodeUnitCount else { return false }
                let expected = lower.utf8Start
                for i in 0..<bytes.count where (bytes[i] &- 0x41 < 26 ? bytes[i] | 0x20 : bytes[i]) != expected[i] {
                    return false
                }
                return true
            }
            if credentialHeaders.contains(where: named) { return .credential }
            if skippedHeaders.contains(where: named) { return .skipped }
            return .plain
        }
    }

    /// The rules a provider's own credentials match.
    static func ownCredentialRules(_ kind: PayloadKind) -> Set<String> {
        switch kind {
        case .openai: openAIRules
        case .anthropic: anthropicRules
        case .gemini: geminiRules
        default: []
        }
    }
    private static let openAIRules: Set = [
        "openai-api-key", "openai-project-key", "openai-service-account-key", "openai-admin-key",
    ]
    private static let anthropicRules: Set = ["anthropic-api-key", "anthropic-admin-key", "anthropic-oauth-token"]
    private static let geminiRules: Set = ["gcp-api-key", "gcp-oauth-access-token"]

    /// Whether a rule recognises a credential by where it sits rather than by what it is (`Bearer …`, an
    /// `Authorization` line, a JWT, an assignment): every credential header matches such a rule.
    static func isPositional(_ rule: SecretRule) -> Bool {
        switch rule.matcher {
        case .bearer, .basicAuth, .authorizationHeader, .jwt, .assignment: true
        default: false
        }
    }
}

extension Scrubber {
    /// Reads `headers` (names as sent, in order) for secrets and records what it finds in `session`, with findings
    /// at `header.<name>` and offsets in the value. Returns the new value of each header whose secrets are
    /// redacted, by its position in `headers`. `kind` is the destination's provider shape: only a provider's
    /// credential header is judged by what it holds. Redacted headers are read again as they will leave, until
    /// nothing new turns up (a placeholder can change how a command line in a value splits into words).
    func scanHeaders(_ headers: [(name: String, value: String)], kind: PayloadKind, session: Session) -> [Int: String] {
        var leaving = headers
        var values: [Int: String] = [:]
        for _ in 0..<4 {
            let redacted = scanHeadersOnce(leaving, kind: kind, session: session)
            guard !redacted.isEmpty else { break }
            for (index, value) in redacted {
                leaving[index].value = value
                values[index] = value
            }
        }
        return values
    }

    private func scanHeadersOnce(
        _ headers: [(name: String, value: String)], kind: PayloadKind, session: Session
    ) -> [Int: String] {
        let own = HeaderScrubber.ownCredentialRules(kind)
        // All the lines read go into one buffer and one scan; each line's place in it is kept.
        var text: [UInt8] = []
        text.reserveCapacity(headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 3 })
        var lines: [(header: Int, start: Int, valueStart: Int, end: Int, credential: Bool)] = []
        lines.reserveCapacity(headers.count)
        for (index, header) in headers.enumerated() {
            let role = HeaderScrubber.role(of: header.name)
            if role == .skipped { continue }
            let credential = role == .credential
            // A credential header of a host without a provider holds whatever that host's credentials are.
            if credential, own.isEmpty { continue }
            var name = header.name
            var value = header.value
            let start = text.count
            let valueStart: Int
            if credential {
                // A credential is read alone: what matters is what it is, not where it sits. `valueStart` is where
                // the value would start, before a `Bearer ` that is not read.
                let scheme = "bearer ".utf8
                let bearer =
                    value.utf8.count > scheme.count
                    && zip(value.utf8, scheme).allSatisfy { ($0 &- 0x41 < 26 ? $0 | 0x20 : $0) == $1 }
                valueStart = start - (bearer ? scheme.count : 0)
                value.withUTF8 { text.append(contentsOf: $0[(bearer ? scheme.count : 0)...]) }
            } else {
                name.withUTF8 { text.append(contentsOf: $0) }
                text.append(UInt8(ascii: ":"))
                text.append(0x20)
                valueStart = text.count
                value.withUTF8 { text.append(contentsOf: $0) }
            }
            lines.append((index, start, valueStart, text.count, credential))
            text.append(0x0A)
        }
        guard !lines.isEmpty else { return [:] }
        var spans: [Int: [Span]] = [:]
        text.withUnsafeBufferPointer { b in
            for match in secretsScanner.scan(b) {
                let rule = secretsScanner.rules[match.rule]
                // The first line the match is in, the last one that starts at or before it; a match may run on.
                var low = 0
                var high = lines.count
                while high - low > 1 {
                    let mid = (low + high) / 2
                    if lines[mid].start <= match.range.lowerBound { low = mid } else { high = mid }
                }
                for (header, start, valueStart, end, credential) in lines[low...]
                where start < match.range.upperBound {
                    if credential, own.contains(rule.id) || HeaderScrubber.isPositional(rule) { continue }
                    // The part of the match in this header's value. A secret that starts in a header's name is in
                    // all of it; one that runs on from the lines before takes only the values it runs through.
                    let inName = match.range.lowerBound >= start && match.range.lowerBound < valueStart - 2
                    let from = max(match.range.lowerBound, valueStart, start)
                    let range = from..<max(from, min(match.range.upperBound, end))
                    guard inName || !range.isEmpty else { continue }
                    let path = "header" + pathComponent(headers[header].name)
                    // A credential, or a header's name, can be kept or refused, not rewritten.
                    let action: ScrubAction =
                        (credential || inName) && policy.secrets == .redact ? .block : policy.secrets
                    let offsets = inName ? 0..<0 : range.lowerBound - valueStart..<range.upperBound - valueStart
                    session.findings.append(
                        ScrubFinding(
                            category: .secret, detector: rule.id, path: path, start: offsets.lowerBound,
                            end: offsets.upperBound, action: action))
                    if action == .redact {
                        let number = session.number(for: .secret, b[match.range])
                        spans[header, default: []].append(
                            Span(range: offsets, placeholder: "[REDACTED:secret:\(rule.id):\(number)]"))
                    }
                }
            }
        }
        var values: [Int: String] = [:]
        for (header, spans) in spans {
            values[header] = String(
                decoding: Span.apply(Span.merged(spans), to: Array(headers[header].value.utf8)), as: UTF8.self)
        }
        return values
    }
}
