import Foundation

/// Checks an allowlist beyond its schema: entries that allow too much, entries that contradict or hide each other,
/// AI-provider traffic that would escape inspection, and spellings that are not the normal form.
public struct AllowlistLinter: Sendable {
    /// Hosts of AI providers whose traffic must be inspected even when an entry does not say `provider:`.
    public static let knownAIHosts: Set<String> = [
        "api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com", "aiplatform.googleapis.com",
        "api.mistral.ai", "api.cohere.com", "api.cohere.ai", "api.groq.com", "api.together.xyz", "api.deepseek.com",
        "openrouter.ai", "api.perplexity.ai", "api.x.ai",
    ]
    static let knownAISuffixes = ["openai.azure.com", "aiplatform.googleapis.com", "cognitiveservices.azure.com"]

    public let publicSuffixes: PublicSuffixList

    public init(publicSuffixes: PublicSuffixList) {
        self.publicSuffixes = publicSuffixes
    }

    public func lint(_ entries: [AllowlistEntry]) -> [PolicyDiagnostic] {
        var findings: [PolicyDiagnostic] = []
        for entry in entries {
            findings += hygiene(entry) + breadth(entry)
            if entry.mode == .tunnel && (entry.provider != nil || Self.isKnownAIHost(entry.host)) {
                findings.append(
                    .init(
                        rule: "consistency.provider-tunnel",
                        message:
                            "AI-provider host \(entry.hostPattern) is in tunnel mode: its payloads could not be inspected or scrubbed; use mode: inspect",
                        location: entry.location))
            }
        }
        findings += consistency(entries)
        return findings
    }

    /// How broad entries that have errors are, and how their hosts are written: what `lint` finds in an entry on
    /// its own. Entries are not compared with each other, since their other fields may not be what was meant.
    public func lint(entriesWithErrors entries: [AllowlistEntry]) -> [PolicyDiagnostic] {
        entries.flatMap { hygiene($0) + breadth($0) }
    }

    static func isKnownAIHost(_ pattern: AllowlistEntry.HostPattern) -> Bool {
        switch pattern {
        case .exact(let h):
            knownAIHosts.contains(h.value) || knownAISuffixes.contains { Allowlist.isStrictSubdomain(h.value, of: $0) }
        case .wildcard(let d):
            knownAIHosts.contains { Allowlist.isStrictSubdomain($0, of: d.value) }
                || knownAISuffixes.contains { $0 == d.value || Allowlist.isStrictSubdomain($0, of: d.value) }
        case .ipLiteral: false
        }
    }

    private func hygiene(_ entry: AllowlistEntry) -> [PolicyDiagnostic] {
        let written = entry.hostText.trimmingCharacters(in: .whitespaces)
        var findings: [PolicyDiagnostic] = []
        if written.hasSuffix(".") {
            findings.append(
                .init(
                    rule: "hygiene.trailing-dot", severity: .warning,
                    message: "host '\(written)' has a trailing dot; write '\(entry.hostPattern)'",
                    location: entry.hostLocation))
        }
        if written.contains(where: \.isUppercase) {
            findings.append(
                .init(
                    rule: "hygiene.uppercase", severity: .warning,
                    message: "host '\(written)' has uppercase letters; write '\(entry.hostPattern)'",
                    location: entry.hostLocation))
        }
        return findings
    }

    private func breadth(_ entry: AllowlistEntry) -> [PolicyDiagnostic] {
        var findings: [PolicyDiagnostic] = []
        switch entry.host {
        case .wildcard(let domain) where publicSuffixes.isPublicSuffix(domain.value):
            findings.append(
                .init(
                    rule: "breadth.public-suffix-wildcard",
                    message:
                        "'\(entry.hostPattern)' is a wildcard on the public suffix '\(domain.value)': anyone can register hosts under it",
                    location: entry.hostLocation))
        case .ipLiteral(let address):
            findings.append(
                .init(
                    rule: "breadth.ip-literal", severity: .warning,
                    message: "IP-literal host \(address): name the service instead, so TLS names and DNS checks apply",
                    location: entry.hostLocation))
        default:
            break
        }
        let unusual = entry.ports.filter { $0 != 443 }
        if !unusual.isEmpty && entry.portReason == nil {
            findings.append(
                .init(
                    rule: "breadth.non-standard-port", severity: .warning,
                    message:
                        "port\(unusual.count > 1 ? "s" : "") \(unusual.map(String.init).joined(separator: ", ")) without a stated reason; add port_reason",
                    location: entry.portsLocation ?? entry.location))
        }
        if entry.scheme == .http {
            findings.append(
                .init(
                    rule: "breadth.plain-http", severity: .warning, message: "scheme http sends requests unencrypted",
                    location: entry.location))
        }
        return findings
    }

    private func consistency(_ entries: [AllowlistEntry]) -> [PolicyDiagnostic] {
        var findings: [PolicyDiagnostic] = []
        var seen: [String: AllowlistEntry] = [:]
        for entry in entries {
            let key = entry.hostPattern
            if let first = seen[key] {
                if first.mode != entry.mode {
                    findings.append(
                        .init(
                            rule: "consistency.conflicting-mode",
                            message:
                                "\(key) is listed as \(first.mode.rawValue) at \(first.location) and as \(entry.mode.rawValue) here",
                            location: entry.location))
                } else if first.scheme == entry.scheme && !Set(first.ports).isDisjoint(with: entry.ports) {
                    findings.append(
                        .init(
                            rule: "consistency.duplicate", message: "\(key) is already listed at \(first.location)",
                            location: entry.location))
                }
            } else {
                seen[key] = entry
            }
        }
        let wildcards = entries.compactMap { entry -> (HostName, AllowlistEntry)? in
            if case .wildcard(let domain) = entry.host { return (domain, entry) }
            return nil
        }
        for entry in entries {
            let name: String
            switch entry.host {
            case .exact(let h): name = h.value
            case .wildcard(let d): name = "x." + d.value
            case .ipLiteral: continue
            }
            for (domain, wildcard) in wildcards
            where wildcard.location != entry.location && Allowlist.isStrictSubdomain(name, of: domain.value) {
                if case .wildcard(let own) = entry.host, own == domain { continue }
                findings.append(
                    .init(
                        rule: "consistency.shadowed", severity: .warning,
                        message:
                            "\(entry.hostPattern) is already covered by \(wildcard.hostPattern) at \(wildcard.location)",
                        location: entry.location))
                break
            }
        }
        return findings
    }
}
