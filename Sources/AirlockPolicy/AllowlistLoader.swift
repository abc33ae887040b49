import AirlockScrub
import Foundation
import Yams

/// Reads allowlist YAML files (`version: 1`, `entries:`) into entries, reporting every problem with its location.
/// This is the one definition of what an entry means: `serve` and `allowlist check` both use it.
public enum AllowlistLoader {
    /// What one parse produced: the entries that are valid and every problem found.
    public struct Result: Sendable {
        public var entries: [AllowlistEntry] = []
        public var diagnostics: [PolicyDiagnostic] = []
        /// Files actually read, in order.
        public var files: [String] = []
        /// Every item of every `entries` list, valid or not.
        public var entryCount = 0
        /// Entries whose host could be read although another of their fields has an error (a misspelt key, a
        /// missing purpose). They are not part of the allowlist; `allowlist check` still checks how broad they
        /// are, so that fixing one error does not reveal the next.
        public var entriesWithErrors: [AllowlistEntry] = []

        public var errors: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .error } }
    }

    static let entryKeys: Set<String> = [
        "host", "ports", "port_reason", "scheme", "methods", "paths", "mode", "provider", "purpose", "scrub",
    ]
    static let placeholderPurposes: Set<String> = [
        "todo", "tbd", "fixme", "xxx", "purpose", "n/a", "na", "none", "-", "...", "?", "changeme", "placeholder",
    ]

    /// Loads and merges allowlists from files and directories (every `*.yaml`/`*.yml` directly inside, sorted).
    /// Throws when any file has an error; the error names file, line and problem.
    public static func load(paths: [String]) throws(PolicyLoadError) -> Allowlist {
        let result = parse(paths: paths)
        if !result.errors.isEmpty { throw PolicyLoadError(result.errors) }
        if result.files.isEmpty {
            throw PolicyLoadError([
                PolicyDiagnostic(
                    rule: "file.none", message: "no allowlist files found",
                    location: .init(file: paths.joined(separator: ","), line: 0, column: 0))
            ])
        }
        return Allowlist(entries: result.entries)
    }

    /// Expands directories into their YAML files.
    public static func expand(paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map {
                    (path as NSString).appendingPathComponent($0)
                }
            } else {
                files.append(path)
            }
        }
        return files
    }

    public static func parse(paths: [String]) -> Result {
        var result = Result()
        for file in expand(paths: paths) {
            result.files.append(file)
            do {
                let document = try YAMLDocument.read(path: file)
                parse(document: document, into: &result)
            } catch {
                result.diagnostics += error.diagnostics
            }
        }
        return result
    }

    /// Parses allowlist text; `file` is used only in locations.
    public static func parse(text: String, file: String) -> Result {
        var result = Result()
        result.files.append(file)
        do {
            parse(document: try YAMLDocument(file: file, text: text), into: &result)
        } catch {
            result.diagnostics += error.diagnostics
        }
        return result
    }

    static func parse(document: YAMLDocument, into result: inout Result) {
        guard let root = document.root else {
            result.diagnostics.append(
                .init(rule: "schema.empty", message: "file is empty", location: document.location(nil)))
            return
        }
        guard
            var top = MappingReader(document: document, node: root, what: "the file", diagnostics: &result.diagnostics)
        else { return }
        top.rejectUnknownKeys(["version", "entries"], context: "the file")
        if let versionNode = top.value("version") {
            if versionNode.int != 1 {
                top.diagnostics.append(
                    .init(
                        rule: "schema.version", message: "unsupported version; expected 1",
                        location: document.location(versionNode)))
            }
        } else {
            top.diagnostics.append(
                .init(rule: "schema.missing-key", message: "missing 'version: 1'", location: document.location(root)))
        }
        result.diagnostics += top.diagnostics
        guard let entriesNode = top.value("entries") else {
            result.diagnostics.append(
                .init(rule: "schema.missing-key", message: "missing 'entries'", location: document.location(root)))
            return
        }
        guard case .sequence(let items) = entriesNode else {
            if entriesNode.null != nil { return }
            result.diagnostics.append(
                .init(
                    rule: "schema.wrong-type", message: "'entries' must be a list",
                    location: document.location(entriesNode)))
            return
        }
        for item in items {
            result.entryCount += 1
            var invalid: AllowlistEntry?
            if let entry = parseEntry(item, document: document, diagnostics: &result.diagnostics, invalid: &invalid) {
                result.entries.append(entry)
            } else if let invalid {
                result.entriesWithErrors.append(invalid)
            }
        }
    }

    /// The entry, or nil when it has an error; then `invalid` holds what could be read of it when its host could.
    static func parseEntry(
        _ node: Node, document: YAMLDocument, diagnostics: inout [PolicyDiagnostic], invalid: inout AllowlistEntry?
    ) -> AllowlistEntry? {
        guard var reader = MappingReader(document: document, node: node, what: "an entry", diagnostics: &diagnostics)
        else { return nil }
        defer { diagnostics += reader.diagnostics }
        reader.rejectUnknownKeys(entryKeys, context: "an entry")
        let location = document.location(node)
        let errorsBefore = reader.diagnostics.filter { $0.severity == .error }.count

        var host: AllowlistEntry.HostPattern?
        var hostText = ""
        if let hostNode = reader.value("host") {
            if let text = reader.string("host") {
                hostText = text
                do {
                    host = try parseHostPattern(text)
                } catch {
                    reader.diagnostics.append(
                        .init(rule: error.rule, message: error.message, location: document.location(hostNode)))
                }
            }
        } else {
            reader.diagnostics.append(
                .init(rule: "schema.missing-host", message: "entry has no 'host'", location: location))
        }

        var scheme = AllowlistEntry.Scheme.https
        if let text = reader.string("scheme") {
            if let s = AllowlistEntry.Scheme(rawValue: text.lowercased()) {
                scheme = s
            } else {
                reader.diagnostics.append(
                    .init(
                        rule: "schema.unknown-scheme", message: "unknown scheme '\(text)'; expected https or http",
                        location: document.location(reader.value("scheme"))))
            }
        }

        var ports = [scheme == .https ? 443 : 80]
        if let list = reader.scalarList("ports") {
            var parsed: [Int] = []
            for (text, portNode) in list {
                if let p = Int(text), (1...65535).contains(p) {
                    parsed.append(p)
                } else {
                    reader.diagnostics.append(
                        .init(
                            rule: "schema.invalid-port", message: "invalid port '\(text)'; expected 1-65535",
                            location: document.location(portNode)))
                }
            }
            if list.isEmpty {
                reader.diagnostics.append(
                    .init(
                        rule: "schema.invalid-port", message: "'ports' is empty",
                        location: document.location(reader.value("ports"))))
            }
            ports = parsed
        }

        var methods: Set<String>?
        if let list = reader.scalarList("methods") {
            var set = Set<String>()
            for (text, methodNode) in list {
                let upper = text.uppercased()
                if !upper.isEmpty && upper.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
                    set.insert(upper)
                } else {
                    reader.diagnostics.append(
                        .init(
                            rule: "schema.invalid-method", message: "invalid method '\(text)'",
                            location: document.location(methodNode)))
                }
            }
            methods = set
        }

        var paths: [String]?
        if let list = reader.scalarList("paths") {
            var out: [String] = []
            for (text, pathNode) in list {
                if text.hasPrefix("/") && RequestPath.isCanonical(text) && !text.contains("?") {
                    out.append(text)
                } else {
                    reader.diagnostics.append(
                        .init(
                            rule: "schema.invalid-path",
                            message:
                                "path prefix must start with '/' and contain no query, dot segments or encoded separators",
                            location: document.location(pathNode)))
                }
            }
            paths = out
        }

        var mode = AllowlistEntry.Mode.inspect
        if let text = reader.string("mode") {
            if let m = AllowlistEntry.Mode(rawValue: text) {
                mode = m
            } else {
                reader.diagnostics.append(
                    .init(
                        rule: "schema.unknown-mode", message: "unknown mode '\(text)'; expected inspect or tunnel",
                        location: document.location(reader.value("mode"))))
            }
        }

        var provider: Provider?
        if let text = reader.string("provider") {
            if let p = Provider(rawValue: text) {
                provider = p
            } else {
                reader.diagnostics.append(
                    .init(
                        rule: "schema.unknown-provider",
                        message: "unknown provider '\(text)'; expected openai, anthropic or gemini",
                        location: document.location(reader.value("provider"))))
            }
        }

        var purpose = ""
        if let text = reader.string("purpose") {
            purpose = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if purpose.isEmpty || placeholderPurposes.contains(purpose.lowercased()) {
                reader.diagnostics.append(
                    .init(
                        rule: "schema.placeholder-purpose", message: "'purpose' must say why this endpoint is needed",
                        location: document.location(reader.value("purpose"))))
            }
        } else if reader.value("purpose") == nil {
            reader.diagnostics.append(
                .init(rule: "schema.missing-purpose", message: "entry has no 'purpose'", location: location))
        }

        var scrubSecrets: ScrubAction?
        var scrubCode: ScrubAction?
        var scrubBinary: ScrubAction?
        if let node = reader.value("scrub"),
            var r = MappingReader(document: document, node: node, what: "'scrub'", diagnostics: &reader.diagnostics)
        {
            r.rejectUnknownKeys(["secrets", "code", "binary"], context: "'scrub'")
            scrubSecrets = ConfigurationLoader.action(&r, "secrets")
            scrubCode = ConfigurationLoader.action(&r, "code")
            scrubBinary = ConfigurationLoader.action(&r, "binary", allowed: ConfigurationLoader.binaryActions)
            reader.diagnostics += r.diagnostics
        }

        let portReason = reader.string("port_reason").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let errorsAfter = reader.diagnostics.filter { $0.severity == .error }.count
        guard let host else { return nil }
        var entry = AllowlistEntry(
            host: host, ports: ports, scheme: scheme, methods: methods, paths: paths,
            mode: mode, provider: provider, purpose: purpose, location: location,
            portReason: portReason?.isEmpty == false ? portReason : nil,
            hostText: hostText, hostLocation: document.location(reader.value("host")),
            portsLocation: reader.value("ports").map { document.location($0) }
        )
        entry.scrubSecrets = scrubSecrets
        entry.scrubCode = scrubCode
        entry.scrubBinary = scrubBinary
        guard errorsAfter == errorsBefore else {
            invalid = entry
            return nil
        }
        return entry
    }

    /// A host pattern that could not be parsed, with a rule id and a message fit for a diagnostic.
    struct HostPatternError: Error {
        var rule = "schema.invalid-host"
        let message: String
    }

    static func parseHostPattern(_ text: String) throws(HostPatternError) -> AllowlistEntry.HostPattern {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" {
            throw HostPatternError(rule: "breadth.bare-wildcard", message: "a bare '*' would allow every host")
        }
        if trimmed.hasPrefix("*.") {
            let domain = String(trimmed.dropFirst(2))
            if domain.contains("*") { throw HostPatternError(message: "only a leading '*.' wildcard is allowed") }
            do {
                return .wildcard(try HostName(domain))
            } catch {
                throw HostPatternError(message: "invalid host '\(text)': \(error.rawValue)")
            }
        }
        if trimmed.contains("*") { throw HostPatternError(message: "only a leading '*.' wildcard is allowed") }
        if let address = IPAddress(parsing: trimmed) { return .ipLiteral(address) }
        if trimmed.contains(":") || trimmed.contains("/") {
            throw HostPatternError(message: "host must be a name without scheme, port or path")
        }
        do {
            return .exact(try HostName(trimmed))
        } catch {
            throw HostPatternError(message: "invalid host '\(text)': \(error.rawValue)")
        }
    }
}
