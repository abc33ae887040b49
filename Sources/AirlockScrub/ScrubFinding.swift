/// One thing the scrubber found or changed. Never holds the matched text.
package struct ScrubFinding: Sendable, Equatable {
    /// `binary`: a base64 image, audio clip or document that cannot be scanned, recorded when the policy blocks
    /// such parts.
    package enum Category: String, Sendable { case secret, code, minimisation, binary }
    package var category: Category
    /// A secret rule id, `code-<language>`, or a minimisation id.
    package var detector: String
    /// JSON path of the string, e.g. `$.messages[0].content`; `$` for a plain-text payload.
    package var path: String
    /// Byte offsets in the decoded string at `path`.
    package var start: Int
    package var end: Int
    /// What was done: `redact`, `block` or `monitor` (minimisation findings are always `redact`).
    package var action: ScrubAction
    /// Lines of code in the span (code findings only).
    package var lines: Int = 0
}
