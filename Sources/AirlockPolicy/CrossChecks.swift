import Foundation
import Yams

/// A host named outside the allowlist (a Forge manifest, a security statement), with where it was named.
public struct DeclaredHost: Sendable, Hashable {
    public var pattern: AllowlistEntry.HostPattern
    /// `https`/`http` when the declaration names one.
    public var scheme: AllowlistEntry.Scheme?
    public var location: SourceLocation

    var text: String {
        switch pattern {
        case .exact(let h): h.value
        case .wildcard(let d): "*." + d.value
        case .ipLiteral(let a): a.description
        }
    }

    /// Parses `https://api.example.com/path`, `*.example.com`, `` `api.example.com` `` into a host pattern.
    static func parse(_ raw: String, location: SourceLocation) -> DeclaredHost? {
        var text = raw.trimmingCharacters(in: CharacterSet(charactersIn: "` "))
        if text.hasPrefix("**") && text.hasSuffix("**") && text.count > 4 {
            text = String(text.dropFirst(2).dropLast(2))
        }
        // Markdown link: [text](url) → text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<close])
        }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "` "))
        var scheme: AllowlistEntry.Scheme?
        if let range = text.range(of: "://") {
            scheme = AllowlistEntry.Scheme(rawValue: text[..<range.lowerBound].lowercased())
            text = String(text[range.upperBound...])
        }
        if let end = text.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { text = String(text[..<end]) }
        if let colon = text.lastIndex(of: ":"), !text.contains("["), Int(text[text.index(after: colon)...]) != nil {
            text = String(text[..<colon])
        }
        guard text.contains("."), let pattern = try? AllowlistLoader.parseHostPattern(text) else { return nil }
        return DeclaredHost(pattern: pattern, scheme: scheme, location: location)
    }

    /// Forge's rule: a wildcard covers hosts strictly below its domain, never the domain itself.
    func covers(_ other: AllowlistEntry.HostPattern) -> Bool {
        switch (pattern, other) {
        case (.exact(let a), .exact(let b)): a == b
        case (.ipLiteral(let a), .ipLiteral(let b)): a == b
        case (.wildcard(let d), .exact(let h)): Allowlist.isStrictSubdomain(h.value, of: d.value)
        case (.wildcard(let d), .wildcard(let e)): d == e || Allowlist.isStrictSubdomain(e.value, of: d.value)
        default: false
        }
    }
}

/// Cross-checks between the allowlist and what an app declares elsewhere, in both directions.
public enum AllowlistCrossCheck {
    /// Hosts in an Atlassian Forge manifest's `permissions.external.fetch.backend` (strings or `address:` objects).
    public static func forgeBackendHosts(path: String) throws(PolicyLoadError) -> [DeclaredHost] {
        let document = try YAMLDocument.read(path: path)
        guard let backend = document.root?["permissions"]?["external"]?["fetch"]?["backend"] else { return [] }
        guard case .sequence(let items) = backend else {
            throw PolicyLoadError([
                .init(
                    rule: "manifest.invalid", message: "permissions.external.fetch.backend must be a list",
                    location: document.location(backend))
            ])
        }
        var hosts: [DeclaredHost] = []
        var problems: [PolicyDiagnostic] = []
        for item in items {
            let valueNode = item.mapping != nil ? item["address"] : item
            guard let valueNode, let text = valueNode.string,
                let host = DeclaredHost.parse(text, location: document.location(valueNode))
            else {
                problems.append(
                    .init(
                        rule: "manifest.invalid-host", message: "backend entry is not a host, URL or address object",
                        location: document.location(item)))
                continue
            }
            hosts.append(host)
        }
        if !problems.isEmpty { throw PolicyLoadError(problems) }
        return hosts
    }

    /// Host rows of every Markdown table whose first column holds host names.
    public static func statementHosts(path: String) throws(PolicyLoadError) -> [DeclaredHost] {
        let data: Data
        do {
            data = try FileReading.read(path)
        } catch {
            throw PolicyLoadError([
                .init(
                    rule: "file.unreadable", message: error.description, location: .init(file: path, line: 0, column: 0)
                )
            ])
        }
        return statementHosts(text: String(decoding: data, as: UTF8.self), file: path)
    }

    public static func statementHosts(text: String, file: String) -> [DeclaredHost] {
        var hosts: [DeclaredHost] = []
        var table: [(line: Int, column: Int, cell: String)] = []
        func finishTable() {
            // A table counts when every data row's first cell is a host; the header and separator rows are skipped.
            let rows = table.dropFirst().filter { !$0.cell.allSatisfy { "-: ".contains($0) } }
            let parsed = rows.map {
                DeclaredHost.parse($0.cell, location: .init(file: file, line: $0.line, column: $0.column))
            }
            if !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) { hosts += parsed.compactMap { $0 } }
            table = []
        }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("|") else {
                finishTable()
                continue
            }
            let afterBar = trimmed.dropFirst()
            let cell = afterBar.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let leading = line.prefix { $0 == " " || $0 == "\t" }.count
            let cellOffset = cell.prefix { $0 == " " }.count
            table.append((index + 1, leading + 2 + cellOffset, cell.trimmingCharacters(in: .whitespaces)))
        }
        finishTable()
        return hosts
    }

    /// Every manifest host must be allowlisted and every allowlist entry declared in the manifest.
    /// Forge matches protocol and host only, so ports, methods and paths do not take part.
    public static func compare(manifest: [DeclaredHost], entries: [AllowlistEntry]) -> [PolicyDiagnostic] {
        var findings: [PolicyDiagnostic] = []
        for declared in manifest {
            let covered = entries.contains { entry in
                (declared.scheme == nil || declared.scheme == entry.scheme)
                    && DeclaredHost(pattern: entry.host, scheme: nil, location: entry.location).covers(declared.pattern)
            }
            if !covered {
                findings.append(
                    .init(
                        rule: "manifest.not-allowlisted",
                        message: "the manifest declares \(declared.text) but no allowlist entry covers it",
                        location: declared.location))
            }
        }
        for entry in entries {
            let declared = manifest.contains {
                ($0.scheme == nil || $0.scheme == entry.scheme) && $0.covers(entry.host)
            }
            if !declared {
                findings.append(
                    .init(
                        rule: "manifest.undeclared",
                        message:
                            "\(entry.hostPattern) is allowlisted but not declared in the manifest's permissions.external.fetch.backend",
                        location: entry.location))
            }
        }
        return findings
    }

    /// The statement's endpoint rows and the allowlist must list the same host patterns.
    public static func compare(statement: [DeclaredHost], entries: [AllowlistEntry]) -> [PolicyDiagnostic] {
        let listed = Set(entries.map(\.hostPattern))
        let stated = Set(statement.map(\.text))
        var findings: [PolicyDiagnostic] = []
        for host in statement where !listed.contains(host.text) {
            findings.append(
                .init(
                    rule: "statement.not-allowlisted",
                    message: "the statement lists \(host.text) but the allowlist does not", location: host.location))
        }
        var reported = Set<String>()
        for entry in entries where !stated.contains(entry.hostPattern) && reported.insert(entry.hostPattern).inserted {
            findings.append(
                .init(
                    rule: "statement.undeclared",
                    message: "\(entry.hostPattern) is allowlisted but missing from the statement's endpoint table",
                    location: entry.location))
        }
        return findings
    }
}

/// The endpoint table a security statement can include verbatim, generated from the allowlist.
public enum AllowlistRenderer {
    public static func markdown(_ entries: [AllowlistEntry]) -> String {
        func cell(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "| Host | Ports | Mode | Provider | Purpose |\n|---|---|---|---|---|\n"
        for entry in entries {
            let ports = entry.ports.map(String.init).joined(separator: ", ") + (entry.scheme == .http ? " (http)" : "")
            out +=
                "| `\(entry.hostPattern)` | \(ports) | \(entry.mode.rawValue) | \(entry.provider?.rawValue ?? "—") | \(cell(entry.purpose)) |\n"
        }
        return out
    }

    public static func json(_ entries: [AllowlistEntry]) -> String {
        let endpoints: [[String: Any]] = entries.map { entry in
            var object: [String: Any] = [
                "host": entry.hostPattern, "ports": entry.ports, "scheme": entry.scheme.rawValue,
                "mode": entry.mode.rawValue, "purpose": entry.purpose,
            ]
            object["provider"] = entry.provider?.rawValue ?? NSNull()
            return object
        }
        return PolicyJSON.encode(["version": 1, "endpoints": endpoints])
    }
}

/// Stable, sorted-key JSON for reports.
enum PolicyJSON {
    static func encode(_ value: Any) -> String {
        let data =
            (try? JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
