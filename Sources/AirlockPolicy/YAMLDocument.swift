import Foundation
import Yams

/// Reads a YAML file into a node tree that keeps line and column marks, for loaders that report precise locations.
struct YAMLDocument {
    let file: String
    let root: Node?

    init(file: String, text: String) throws(PolicyLoadError) {
        self.file = file
        do {
            self.root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PolicyLoadError([YAMLDocument.diagnostic(for: error, file: file)])
        } catch {
            throw PolicyLoadError([
                PolicyDiagnostic(
                    rule: "yaml.syntax", message: "not valid YAML", location: .init(file: file, line: 1, column: 1))
            ])
        }
    }

    static func read(path: String) throws(PolicyLoadError) -> YAMLDocument {
        let data: Data
        do {
            data = try FileReading.read(path)
        } catch {
            throw PolicyLoadError([
                PolicyDiagnostic(
                    rule: "file.unreadable", message: error.description, location: .init(file: path, line: 0, column: 0)
                )
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyLoadError([
                PolicyDiagnostic(
                    rule: "file.encoding", message: "file is not UTF-8", location: .init(file: path, line: 0, column: 0)
                )
            ])
        }
        return try YAMLDocument(file: path, text: text)
    }

    private static func diagnostic(for error: YamlError, file: String) -> PolicyDiagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return PolicyDiagnostic(
                rule: "yaml.syntax", message: "invalid YAML: \(problem)",
                location: .init(file: file, line: mark.line, column: mark.column))
        default:
            return PolicyDiagnostic(
                rule: "yaml.syntax", message: "invalid YAML", location: .init(file: file, line: 1, column: 1))
        }
    }

    func location(_ node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }
}

/// Helpers to read typed values out of a mapping while collecting diagnostics instead of stopping at the first.
struct MappingReader {
    let document: YAMLDocument
    let node: Node
    let mapping: Node.Mapping
    var diagnostics: [PolicyDiagnostic] = []

    init?(document: YAMLDocument, node: Node, what: String, diagnostics: inout [PolicyDiagnostic]) {
        guard case .mapping(let mapping) = node else {
            diagnostics.append(
                .init(
                    rule: "schema.wrong-type", message: "\(what) must be a mapping", location: document.location(node)))
            return nil
        }
        self.document = document
        self.node = node
        self.mapping = mapping
    }

    /// Reports keys that are not in `known`.
    mutating func rejectUnknownKeys(_ known: Set<String>, context: String) {
        for (key, _) in mapping {
            let name = key.string ?? ""
            if !known.contains(name) {
                var message = "unknown key '\(name)' in \(context)"
                if let nearest = Suggestion.nearest(name, among: known.sorted()) {
                    message += "; did you mean '\(nearest)'?"
                }
                diagnostics.append(
                    .init(rule: "schema.unknown-key", message: message, location: document.location(key)))
            }
        }
    }

    func value(_ key: String) -> Node? { mapping[key] }

    mutating func string(_ key: String) -> String? {
        guard let node = mapping[key] else { return nil }
        guard case .scalar(let scalar) = node else {
            diagnostics.append(
                .init(
                    rule: "schema.wrong-type", message: "'\(key)' must be a string", location: document.location(node)))
            return nil
        }
        return scalar.string
    }

    /// The string at `key` read by `parse`; one it cannot read is a `config.invalid` problem saying `requirement`
    /// (`'listen' must be HOST:PORT`) at the value's line.
    mutating func parsed<T>(_ key: String, requirement: String, _ parse: (String) -> T?) -> T? {
        guard let text = string(key) else { return nil }
        if let value = parse(text) { return value }
        diagnostics.append(
            .init(rule: "config.invalid", message: requirement, location: document.location(mapping[key] ?? node)))
        return nil
    }

    mutating func int(_ key: String) -> Int? {
        guard let node = mapping[key] else { return nil }
        guard let value = node.int else {
            diagnostics.append(
                .init(
                    rule: "schema.wrong-type", message: "'\(key)' must be an integer", location: document.location(node)
                ))
            return nil
        }
        return value
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let node = mapping[key] else { return nil }
        guard let value = node.bool else {
            diagnostics.append(
                .init(
                    rule: "schema.wrong-type", message: "'\(key)' must be true or false",
                    location: document.location(node)))
            return nil
        }
        return value
    }

    /// A list of scalars; a single scalar is accepted as a one-element list.
    mutating func scalarList(_ key: String) -> [(String, Node)]? {
        guard let node = mapping[key] else { return nil }
        switch node {
        case .scalar(let s): return [(s.string, node)]
        case .sequence(let seq):
            var out: [(String, Node)] = []
            for item in seq {
                guard case .scalar(let s) = item else {
                    diagnostics.append(
                        .init(
                            rule: "schema.wrong-type", message: "'\(key)' must be a list of scalars",
                            location: document.location(item)))
                    continue
                }
                out.append((s.string, item))
            }
            return out
        default:
            diagnostics.append(
                .init(rule: "schema.wrong-type", message: "'\(key)' must be a list", location: document.location(node)))
            return nil
        }
    }
}
