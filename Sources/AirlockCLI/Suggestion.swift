import AirlockPolicy

extension Suggestion {
    /// `--NAME` must be one of `known`: an error naming the value, the known ones and the nearest, otherwise.
    static func check(_ value: String?, option: String, among known: [String]) throws {
        guard let value, !known.contains(value) else { return }
        var message = "--\(option) '\(value)' is not one of \(known.joined(separator: ", "))"
        if let nearest = nearest(value, among: known) { message += "; did you mean '\(nearest)'?" }
        throw CLIError(message, code: 2)
    }
}
