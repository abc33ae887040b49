import AirlockPolicy
import AirlockScrub
import NIOHTTP1

/// The proxy's side of the scrubber: which bodies can be scanned at all, the refusal a blocked request gets,
/// and the log summary (decision and counts per detector id; never matched text or paths).
enum ScrubGate {
    /// A reason to refuse before scanning: a body compressed other than `BodyDecoder` can undo, or one that is not
    /// JSON.
    static func contentProblem(_ headers: HTTPHeaders) -> (HTTPResponseStatus, String, String)? {
        if case .failure = BodyDecoder.coding(headers) {
            return (
                .unsupportedMediaType, "unsupported_content_encoding",
                "Airlock inspects every request body and decodes only gzip or deflate, one layer of it; send the body "
                    + "uncompressed or compressed that way"
            )
        }
        if let type = headers.first(name: "content-type"), !isJSONMediaType(type) {
            return (
                .unsupportedMediaType, "unsupported_media_type",
                "Airlock inspects every request body and accepts only JSON on this host"
            )
        }
        return nil
    }

    /// `application/json`, `text/json` or any `…+json` type, parameters ignored. Bytes, not `lowercased()`: this
    /// runs for every request.
    static func isJSONMediaType(_ value: String) -> Bool {
        let end = value.utf8.firstIndex(of: UInt8(ascii: ";")) ?? value.endIndex
        let media = value[..<end].trimmingASCIISpaces().utf8
        return media.equalsIgnoringASCIICase("application/json") || media.equalsIgnoringASCIICase("text/json")
            || (media.count > 5 && media.suffix(5).equalsIgnoringASCIICase("+json"))
    }

    static func blockedResponse(_ result: ScrubResult, host: String, provider: Provider?) -> ErrorResponse {
        let blocked = result.findings.filter { $0.action == .block }
        var named = blocked.prefix(8).map { "\($0.detector) at \($0.path)" }.joined(separator: ", ")
        if blocked.count > 8 { named += " and \(blocked.count - 8) more" }
        let kinds = Set(blocked.map(\.category))
        let names: [(ScrubFinding.Category, String)] = [
            (.secret, "secrets"), (.code, "source code"), (.binary, "binary parts that cannot be scanned"),
        ]
        let what = names.filter { kinds.contains($0.0) }.map(\.1).joined(separator: " and ")
        return ErrorResponse(
            status: .forbidden, type: "airlock_denied", reason: "scrubber_blocked",
            message: "Airlock blocked this request because it contains \(what): \(named). Nothing was sent.",
            host: host, provider: provider)
    }

    static func logSummary(_ result: ScrubResult) -> String? {
        guard !result.findings.isEmpty || result.binaryParts > 0 else { return nil }
        var line = "scrub=\(result.decision.rawValue)"
        if let summary = result.findingsSummary { line += " findings=" + summary }
        if result.binaryParts > 0 { line += " binary_parts=\(result.binaryParts)" }
        return line
    }
}
