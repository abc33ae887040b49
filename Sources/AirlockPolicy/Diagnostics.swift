/// A place in a policy file, from the YAML parser's marks (1-based).
public struct SourceLocation: Hashable, Sendable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

extension SourceLocation: CustomStringConvertible {
    /// `file:line:column`, or only the file for a problem with the file as a whole (line 0).
    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// One problem found in a policy file: a stable rule id, a severity and where it is.
public struct PolicyDiagnostic: Error, Hashable, Sendable {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case note, warning, error

        private var rank: Int {
            switch self {
            case .note: 0
            case .warning: 1
            case .error: 2
            }
        }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var rule: String
    public var severity: Severity
    public var message: String
    public var location: SourceLocation

    public init(rule: String, severity: Severity = .error, message: String, location: SourceLocation) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.location = location
    }
}

extension PolicyDiagnostic: CustomStringConvertible {
    public var description: String { "\(location): \(severity.rawValue) \(rule) \(message)" }
}

/// A policy file that could not be used; carries every error-level problem found in it.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PolicyDiagnostic]

    public init(_ diagnostics: [PolicyDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
