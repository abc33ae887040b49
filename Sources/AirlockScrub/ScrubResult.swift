/// What `Scrubber.scrub` returns: the decision, the body to forward, and what was found.
package struct ScrubResult: Sendable {
    package var decision: ScrubDecision
    /// The rewritten body (the original when nothing changed or the request is blocked).
    package var output: [UInt8]
    package var findings: [ScrubFinding]
    /// The kinds of the binary parts forwarded unread (`binary-image`, `binary-pdf`…), one per part. Parts that the
    /// policy blocks are findings instead.
    package var unreadParts: [String] = []
    package var operation: ProviderOperation
    package var changed: Bool
    /// The top-level `model` string and `stream` flag, when the body has them (metadata for the ledger).
    package var requestModel: String?
    package var stream: Bool?
    /// For a piece of an upload: the end of the file so far as the client sent it (at most `PieceJoint.reach`
    /// bytes; empty after a binary piece), which the next piece is read with. Nil for any other body.
    package var fileEnd: [UInt8]?
    /// The request target to forward instead of the one given, when a secret in its query string was redacted.
    package var target: String?
    /// New values for the request headers whose secrets were redacted, by their position in the headers given.
    package var headerValues: [Int: String] = [:]

    /// Binary base64 parts (images, audio, PDFs): forwarded unread, or blocked.
    package var binaryParts: Int { unreadParts.count + findings.count { $0.category == .binary } }

    /// Lines of code replaced by placeholders.
    package var codeLinesRemoved: Int {
        findings.filter { $0.category == .code && $0.action == .redact }.reduce(0) { $0 + $1.lines }
    }

    /// Findings per detector id, in first-seen order, then the binary parts forwarded unread per kind: what logs,
    /// metrics and the ledger count, so that an auditor can tell that an image or a PDF left without being read.
    package var countsByDetector: [(String, Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for detector in findings.map(\.detector) + unreadParts {
            if counts[detector] == nil { order.append(detector) }
            counts[detector, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    /// `github-pat:2,code-python:1`, or nil when nothing was found: the form logs and the ledger use.
    package var findingsSummary: String? { Self.summary(of: countsByDetector) }

    /// Counts per detector in that form.
    package static func summary(of counts: [(String, Int)]) -> String? {
        counts.isEmpty ? nil : counts.map { "\($0.0):\($0.1)" }.joined(separator: ",")
    }
}
