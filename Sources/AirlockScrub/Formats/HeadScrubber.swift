/// Secrets in the request head: its path, its query string and its headers. A body is not the only thing that
/// leaves: a tracing or gateway header (`X-Debug-Token`, `X-Portkey-Api-Key`) or a query parameter
/// (`?debug_token=…`) travels to the provider too, and an application that mixed up its environment sends a GitHub
/// token where its OpenAI key belongs.
///
/// Every header is read as the line `name: value` and every query parameter, percent-decoded, as `name=value`, so
/// that one named like a credential is read as an assignment. A secret there is redacted in its value, blocked or
/// counted as `scrub.secrets` says, as a secret in the body is. The header or parameter that carries the client's
/// credential for the provider (`Authorization`, `x-api-key`, `x-goog-api-key`, `api-key`; `key`, `access_token`)
/// is read as its value alone, without a `Bearer ` scheme, and must hold a credential of that provider: one that a
/// rule recognises as another service's secret (a GitHub token sent as an OpenAI key) blocks the request, since
/// replacing a credential would only turn the leak into a failed request; so does a secret in a header's or
/// parameter's name, or in the path. A page token (`pageToken`) is the provider's own cursor: it is read alone, so
/// that only a secret recognised by its shape counts. `Cookie` is the destination's own state and Airlock's
/// `Proxy-Authorization` never leaves, so neither is read.
enum HeadScrubber {
    enum Role { case plain, credential, cursor, skipped }

    /// Headers that carry the client's credential for the destination.
    static let credentialHeaders: [StaticString] = ["authorization", "x-api-key", "x-goog-api-key", "api-key"]
    /// Headers that are not read at all.
    static let skippedHeaders: [StaticString] = ["cookie", "proxy-authorization"]
    /// Query parameters that carry the client's credential (Google's APIs take `key` and `access_token`).
    static let credentialParameters: [StaticString] = ["key", "access_token", "api_key", "api-key"]
    /// Query parameters that hold a cursor the provider handed out.
    static let cursorParameters: [StaticString] = ["pagetoken", "page_token"]

    /// What a header is, by its name in any case. Compared in place: this runs for every header of every request.
    static func role(ofHeader name: String) -> Role {
        var name = name
        return name.withUTF8 { bytes in
            if credentialHeaders.contains(where: { named(bytes, $0) }) { return .credential }
            if skippedHeaders.contains(where: { named(bytes, $0) }) { return .skipped }
            return .plain
        }
    }

    /// What a query parameter is, by its decoded name in any case.
    static func role(ofParameter name: [UInt8]) -> Role {
        name.withUnsafeBufferPointer { bytes in
            if credentialParameters.contains(where: { named(bytes, $0) }) { return .credential }
            if cursorParameters.contains(where: { named(bytes, $0) }) { return .cursor }
            return .plain
        }
    }

    private static func named(_ bytes: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        let expected = lower.utf8Start
        for i in 0..<bytes.count where (bytes[i] &- 0x41 < 26 ? bytes[i] | 0x20 : bytes[i]) != expected[i] {
            return false
        }
        return true
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
    /// `Authorization` line, a JWT, an assignment): every credential header or parameter matches such a rule.
    static func isPositional(_ rule: SecretRule) -> Bool {
        switch rule.matcher {
        case .bearer, .basicAuth, .authorizationHeader, .jwt, .assignment: true
        default: false
        }
    }
}

extension HeadScrubber {
    /// What reading the request head changed: the target to forward instead, when a query value was redacted, and
    /// the new value of each header whose secrets were redacted, by its position in the headers given.
    struct Rewrite {
        var target: String?
        var headerValues: [Int: String] = [:]
    }

    /// Reads the request `target` (origin-form, or empty for none) and `headers` (names as sent, in order) for
    /// secrets and records what it finds in `session`: at `path`, `query.<name>` and `header.<name>`, with offsets
    /// in the decoded value. `kind` is the destination's provider shape: only a provider's credential is judged by
    /// what it holds. Redacted values are read again as they will leave, until nothing new turns up (a placeholder
    /// can change how a command line in a value splits into words).
    static func scan(
        target: String, headers: [(name: String, value: String)], kind: PayloadKind, scanner: TextScanner,
        session: Session
    ) throws(ScrubError) -> Rewrite {
        guard !target.isEmpty || !headers.isEmpty else { return Rewrite() }
        var lines: [HeadLine] = []
        lines.reserveCapacity(headers.count + 2)
        let request = RequestTarget(target)
        if !target.isEmpty {
            let (path, parameters) = try request.decoded()
            lines.append(HeadLine(place: .path, role: .plain, index: 0, name: path))
            for (index, parameter) in parameters.enumerated() where !parameter.name.isEmpty || parameter.value != nil {
                let role = parameter.value == nil ? .plain : role(ofParameter: parameter.name)
                lines.append(
                    HeadLine(
                        place: .query, role: role, index: index, name: parameter.name, value: parameter.value ?? []))
            }
        }
        for (index, header) in headers.enumerated() {
            let role = role(ofHeader: header.name)
            if role != .skipped { lines.append(HeadLine(place: .header, role: role, index: index)) }
        }
        var changed = false
        for _ in 0..<4 {
            let redacted = scanOnce(lines, headers: headers, kind: kind, scanner: scanner, session: session)
            guard !redacted.isEmpty else { break }
            for (line, value) in redacted {
                lines[line].value = value
                lines[line].rewritten = true
            }
            changed = true
        }
        var rewrite = Rewrite()
        guard changed else { return rewrite }
        var parameters: [Int: [UInt8]] = [:]
        for line in lines where line.rewritten {
            switch line.place {
            case .query: parameters[line.index] = line.value
            case .header: rewrite.headerValues[line.index] = String(decoding: line.value, as: UTF8.self)
            case .path: break
            }
        }
        if !parameters.isEmpty { rewrite.target = request.replacing(parameters) }
        return rewrite
    }

    /// One reading of the head's lines; returns the new value of each line whose value has a redacted secret.
    private static func scanOnce(
        _ head: [HeadLine], headers: [(name: String, value: String)], kind: PayloadKind, scanner: TextScanner,
        session: Session
    ) -> [Int: [UInt8]] {
        let own = ownCredentialRules(kind)
        func withName<R>(_ line: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            guard head[line].place == .header else { return head[line].name.withUnsafeBufferPointer(body) }
            var name = headers[head[line].index].name
            return name.withUTF8(body)
        }
        func withValue<R>(_ line: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            guard head[line].place == .header, !head[line].rewritten else {
                return head[line].value.withUnsafeBufferPointer(body)
            }
            var value = headers[head[line].index].value
            return value.withUTF8(body)
        }
        // All the lines read go into one buffer and one scan; each line's place in it is kept. `valueStart` is
        // where its value starts (before a `Bearer ` that is not read), `nameEnd` where its name ends.
        var text: [UInt8] = []
        text.reserveCapacity(head.count * 64)
        var lines: [(line: Int, start: Int, nameEnd: Int, valueStart: Int, end: Int)] = []
        lines.reserveCapacity(head.count)
        for index in head.indices {
            let (place, role) = (head[index].place, head[index].role)
            // A credential of a host without a provider holds whatever that host's credentials are.
            if role == .credential, own.isEmpty { continue }
            let start = text.count
            switch role {
            case .credential, .cursor:
                // A credential or a cursor is read alone: what matters is what it is, not where it sits.
                let scheme = "bearer ".utf8
                withValue(index) { value in
                    let bearer =
                        place == .header && value.count > scheme.count
                        && zip(value, scheme).allSatisfy { $0.lowercasedASCII == $1 }
                    text.append(contentsOf: value[(bearer ? scheme.count : 0)...])
                    lines.append((index, start, start, start - (bearer ? scheme.count : 0), text.count))
                }
            case .plain, .skipped:
                withName(index) { text.append(contentsOf: $0) }
                let nameEnd = text.count
                switch place {
                case .header: text.append(contentsOf: [UInt8(ascii: ":"), 0x20])
                case .query: text.append(UInt8(ascii: "="))
                case .path: break
                }
                let valueStart = text.count
                withValue(index) { text.append(contentsOf: $0) }
                lines.append((index, start, nameEnd, valueStart, text.count))
            }
            text.append(0x0A)
        }
        guard !lines.isEmpty else { return [:] }
        var spans: [Int: [Span]] = [:]
        text.withUnsafeBufferPointer { b in
            for match in scanner.secretScanner.scan(b) {
                let rule = scanner.secretScanner.rules[match.rule]
                // The first line the match is in, the last one that starts at or before it; a match may run on.
                var low = 0
                var high = lines.count
                while high - low > 1 {
                    let mid = (low + high) / 2
                    if lines[mid].start <= match.range.lowerBound { low = mid } else { high = mid }
                }
                for (index, start, nameEnd, valueStart, end) in lines[low...] where start < match.range.upperBound {
                    let line = head[index]
                    if line.role == .credential, own.contains(rule.id) || isPositional(rule) { continue }
                    if line.role == .cursor, isPositional(rule) { continue }
                    // The part of the match in this line's value. A secret that starts in a name (or the path) is
                    // in all of it; one that runs on from the lines before takes only the values it runs through.
                    let inName = match.range.lowerBound >= start && match.range.lowerBound < nameEnd
                    let from = max(match.range.lowerBound, valueStart, start)
                    let range = from..<max(from, min(match.range.upperBound, end))
                    guard inName || !range.isEmpty else { continue }
                    let path: String
                    switch line.place {
                    case .path: path = "path"
                    case .query, .header:
                        let name = withName(index) { String(decoding: $0, as: UTF8.self) }
                        path = (line.place == .query ? "query" : "header") + scanner.pathComponent(name)
                    }
                    // A credential, a name or the path can be kept or refused, not rewritten.
                    let action: ScrubAction =
                        (line.role == .credential || inName) && scanner.policy.secrets == .redact
                        ? .block : scanner.policy.secrets
                    let offsets = inName ? 0..<0 : range.lowerBound - valueStart..<range.upperBound - valueStart
                    session.findings.append(
                        ScrubFinding(
                            category: .secret, detector: rule.id, path: path, start: offsets.lowerBound,
                            end: offsets.upperBound, action: action))
                    if action == .redact {
                        let number = session.number(for: .secret, b[match.range])
                        spans[index, default: []].append(
                            Span(range: offsets, placeholder: "[REDACTED:secret:\(rule.id):\(number)]"))
                    }
                }
            }
        }
        var values: [Int: [UInt8]] = [:]
        for (line, spans) in spans {
            values[line] = withValue(line) { Span.apply(Span.merged(spans), to: Array($0)) }
        }
        return values
    }
}
