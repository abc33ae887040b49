import AirlockPolicy
import AirlockScrub
import NIOHTTP1

/// The proxy's side of the scrubber: which bodies can be scanned at all, the refusal a blocked request gets,
/// and the log summary (decision and counts per detector id; never matched text or paths).
enum ScrubGate {
    /// Why a body cannot be scanned, as the client is told.
    struct ContentProblem: Error, Equatable {
        var status: HTTPResponseStatus
        var reason: FailureReason
        var message: String
    }

    /// How to read a body to an inspected host: the compression to undo first, and how the body is framed.
    struct Reading: Equatable {
        var coding: BodyDecoder.Coding?
        var format: BodyFormat
    }

    /// How a body to an inspected host is read (compressed or not; JSON, `multipart/form-data` with its boundary,
    /// or a piece of a resumable upload), or why it cannot be scanned: compressed other than `BodyDecoder` can
    /// undo, typed twice, of another media type, or a form without one valid boundary.
    static func reading(_ headers: HTTPHeaders, path: String) -> Result<Reading, ContentProblem> {
        guard case .success(let coding) = BodyDecoder.coding(headers) else {
            return .failure(
                ContentProblem(
                    status: .unsupportedMediaType, reason: .unsupportedContentEncoding,
                    message: "Airlock inspects every request body and decodes only gzip or deflate, one layer of it; "
                        + "send the body uncompressed or compressed that way"))
        }
        var type: String?
        for (name, value) in headers where name.utf8.equalsIgnoringASCIICase("content-type") {
            guard type == nil else {
                return .failure(
                    ContentProblem(
                        status: .badRequest, reason: .conflictingContentType,
                        message: "the request has more than one Content-Type"))
            }
            type = value
        }
        // Gemini's resumable uploads send the file's bytes, in pieces, to an upload URL; whatever type they carry.
        if path.utf8.starts(with: "/upload/".utf8),
            headers["x-goog-upload-command"].contains(where: { $0.lowercased().contains("upload") })
        {
            return .success(Reading(coding: coding, format: .uploadPiece))
        }
        guard let type, !isJSONMediaType(type) else { return .success(Reading(coding: coding, format: .json)) }
        do throws(ScrubError) {
            if let boundary = try Multipart.boundary(ofContentType: type) {
                return .success(Reading(coding: coding, format: .form(boundary: boundary)))
            }
        } catch {
            return .failure(
                ContentProblem(status: .badRequest, reason: FailureReason(error.code), message: error.message))
        }
        return .failure(
            ContentProblem(
                status: .unsupportedMediaType, reason: .unsupportedMediaType,
                message: "Airlock inspects every request body and accepts only JSON or multipart/form-data on this host"
            ))
    }

    /// `application/json`, `text/json` or any `…+json` type, parameters ignored. Bytes, not `lowercased()`: this
    /// runs for every request.
    static func isJSONMediaType(_ value: String) -> Bool {
        let end = value.utf8.firstIndex(of: UInt8(ascii: ";")) ?? value.endIndex
        let media = value[..<end].trimmingASCIISpaces().utf8
        return media.equalsIgnoringASCIICase("application/json") || media.equalsIgnoringASCIICase("text/json")
            || (media.count > 5 && media.suffix(5).equalsIgnoringASCIICase("+json"))
    }

    /// `unit`: what was blocked, as the client is told (`request`, or a WebSocket `message`).
    static func blockedResponse(
        _ result: ScrubResult, host: String, provider: Provider?, unit: String = "request"
    ) -> ErrorResponse {
        let blocked = result.findings.filter { $0.action == .block }
        var named = blocked.prefix(8).map { "\($0.detector) at \($0.path)" }.joined(separator: ", ")
        if blocked.count > 8 { named += " and \(blocked.count - 8) more" }
        let kinds = Set(blocked.map(\.category))
        let names: [(ScrubFinding.Category, String)] = [
            (.secret, "secrets"), (.code, "source code"), (.binary, "binary parts that cannot be scanned"),
        ]
        let what = names.filter { kinds.contains($0.0) }.map(\.1).joined(separator: " and ")
        return .failure(
            .forbidden, reason: .scrubberBlocked,
            message: "Airlock blocked this \(unit) because it contains \(what): \(named). Nothing was sent.",
            host: host, provider: provider)
    }

    static func logSummary(_ result: ScrubResult) -> ScrubLogSummary? {
        guard !result.findings.isEmpty || result.binaryParts > 0 else { return nil }
        return ScrubLogSummary(
            decision: RequestDecision(result.decision), counts: result.countsByDetector, binaryParts: result.binaryParts
        )
    }
}
