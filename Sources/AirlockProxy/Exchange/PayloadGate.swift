import AirlockLedger
import AirlockPolicy
import AirlockScrub
import NIOCore
import NIOHTTP1
import NIOPosix

/// The one gate every payload passes, a request body and a WebSocket message alike:
/// `scan → a typed refusal or the payload as it may leave → its record durable → forward`.
/// It knows which bodies can be scanned at all, runs the scan inline or on the thread pool, turns what the scan
/// found or could not do into the refusal the client gets, and writes the record the payload must have before it
/// leaves. The log summary holds the decision and counts per detector id, never matched text or paths.
enum PayloadGate {
    /// Why a payload was not scanned.
    enum ScanFailure: Error, Equatable {
        /// Its compression could not be undone.
        case decoding(BodyDecoder.Failure)
        case scrubbing(ScrubError)
        /// A completion that joins upload parts that were not read one after the other.
        case unjoinedParts
        /// The thread pool would not run the scan (shutting down).
        case scannerUnavailable
    }

    /// What the gate made of a scanned payload.
    enum Verdict {
        /// It may leave as `result.output` (when `result.changed`) or as it came.
        case passed(ScrubResult)
        /// The scrubber found what the policy blocks.
        case blocked(ScrubResult, ErrorResponse)
        /// It could not be scanned, so it does not leave.
        case unscanned(ScanFailure, ErrorResponse)
    }

    /// What a payload is, as refusals name it.
    enum Unit: String {
        case request, message
    }

    /// Runs `scan` on the event loop when `inline`, else on the runtime's thread pool; `completion` runs on
    /// `eventLoop` either way. A scan the pool will not run fails closed (`scannerUnavailable`).
    static func run(
        _ scan: @escaping @Sendable () -> Result<ScrubResult, ScanFailure>, inline: Bool, runtime: ProxyRuntime,
        eventLoop: any EventLoop, completion: @escaping (Result<ScrubResult, ScanFailure>) -> Void
    ) {
        guard !inline, let threadPool = runtime.threadPool else {
            completion(scan())
            return
        }
        threadPool.runIfActive(eventLoop: eventLoop, scan).assumeIsolated().whenComplete { outcome in
            switch outcome {
            case .success(let result): completion(result)
            case .failure: completion(.failure(.scannerUnavailable))
            }
        }
    }

    /// Whether a payload of `size` bytes is scanned on the event loop: smaller ones take less time to scan there
    /// than the hand-off to another thread and back; a compressed one may decode to far more than it looks.
    static func scansInline(size: Int, compressed: Bool) -> Bool {
        size <= ProxyRuntime.inlineScanLimit && !compressed
    }

    /// The verdict on a scan's outcome. `maxBody`: the limit a decoded body passed, for its refusal.
    static func verdict(
        _ outcome: Result<ScrubResult, ScanFailure>, unit: Unit, host: String, provider: Provider?, maxBody: Int
    ) -> Verdict {
        let result: ScrubResult
        switch outcome {
        case .success(let value): result = value
        case .failure(let failure):
            return .unscanned(failure, refusal(failure, unit: unit, host: host, provider: provider, maxBody: maxBody))
        }
        guard result.decision == .blocked else { return .passed(result) }
        return .blocked(result, blockedResponse(result, host: host, provider: provider, unit: unit.rawValue))
    }

    private static func refusal(
        _ failure: ScanFailure, unit: Unit, host: String, provider: Provider?, maxBody: Int
    ) -> ErrorResponse {
        let (status, reason, message): (HTTPResponseStatus, FailureReason, String)
        switch failure {
        case .decoding(.tooLarge):
            (status, reason, message) = (
                .payloadTooLarge, .requestTooLarge,
                "the request body decodes to more than limits.max_request_body (\(maxBody) bytes)"
            )
        case .decoding(.invalid):
            (status, reason, message) = (
                .unsupportedMediaType, .invalidCompressedBody,
                "the request body could not be decoded as its Content-Encoding says, so it was not forwarded"
            )
        case .unjoinedParts:
            (status, reason, message) = (
                .conflict, .uploadPartsUnjoined,
                "Airlock did not read the parts of this upload one after the other in the order listed, so a "
                    + "secret cut by a part boundary could have been missed; upload the file again through Airlock, "
                    + "part after part in order"
            )
        case .scrubbing(let error):
            (status, reason, message) = (
                error.code == .timeBudgetExceeded ? .serviceUnavailable : .badRequest, FailureReason(error.code),
                "Airlock could not scan this \(unit.rawValue) (\(error.message)), so it was not forwarded"
            )
        case .scannerUnavailable:
            (status, reason, message) = (
                .serviceUnavailable, .scannerUnavailable,
                "Airlock could not scan this \(unit.rawValue), so it was not forwarded"
            )
        }
        return .failure(status, reason: reason, message: message, host: host, provider: provider)
    }

    /// Makes `event` durable in the ledger before the payload it records leaves; `completion(durable)` runs on
    /// `eventLoop`. A payload whose record could not be written is refused, never forwarded unrecorded.
    static func recordIntent(
        _ event: LedgerEvent, ledger: LedgerWriter, eventLoop: any EventLoop, completion: @escaping (Bool) -> Void
    ) {
        let promise = eventLoop.makePromise(of: Int64.self)
        ledger.append(event) { promise.completeWith($0.mapError { $0 as any Error }) }
        promise.futureResult.assumeIsolated().whenComplete { written in
            if case .success = written { completion(true) } else { completion(false) }
        }
    }

    /// What became of a request at the gate: refused before its body could be scanned, or scanned.
    enum RequestScan {
        case unreadable(ErrorResponse)
        /// `decoded`: the body was compressed and the scrubber read it decoded.
        case scanned(Result<ScrubResult, ScanFailure>, decoded: Bool)
    }

    /// Scans a request's headers and body: how its body is read (`reading`), what the uploads in pieces make of it
    /// (`UploadJoints.plan`, kept on the exchange), then the scan itself, inline or on the thread pool.
    /// `completion` runs on `eventLoop`.
    static func scan(
        _ exchange: Exchange, target: InterceptTarget, scrubber: Scrubber, kind: PayloadKind, runtime: ProxyRuntime,
        eventLoop: any EventLoop, completion: @escaping (RequestScan) -> Void
    ) {
        let path = exchange.path
        let headers = exchange.head.headers.map { (name: $0.name, value: $0.value) }
        guard exchange.body.readableBytes > 0 else {
            let outcome = Result { () throws(ScrubError) in
                try scrubber.scrub(headers: headers, kind: kind, path: path)
            }
            return completion(.scanned(outcome.mapError(ScanFailure.scrubbing), decoded: false))
        }
        let reading: Reading
        switch Self.reading(exchange.head.headers, path: path) {
        case .success(let value): reading = value
        case .failure(let problem):
            return completion(
                .unreadable(
                    .failure(
                        problem.status, reason: problem.reason, message: problem.message, host: target.host,
                        provider: target.provider)))
        }
        switch runtime.uploads.plan(
            host: target.host, path: path, headers: exchange.head.headers, format: reading.format,
            provider: target.provider)
        {
        case .success(let plan): exchange.upload = plan
        case .failure(let refusal): return completion(.unreadable(refusal))
        }
        let body = Array(exchange.body.readableBytesView)
        let scan = requestScan(
            body: body, reading: reading, plan: exchange.upload, uploads: runtime.uploads, scrubber: scrubber,
            kind: kind, path: path, headers: headers, limit: runtime.configuration.limits.maxRequestBody)
        let decoded = reading.coding != nil
        run(scan, inline: scansInline(size: body.count, compressed: decoded), runtime: runtime, eventLoop: eventLoop) {
            completion(.scanned($0, decoded: decoded))
        }
    }

    /// The scan of a request body to an inspected host: its compression undone, a completion's part order
    /// checked, and a piece of an upload read after the end of the file before it (and noted once it passed).
    private static func requestScan(
        body: [UInt8], reading: Reading, plan: UploadJoints.Plan, uploads: UploadJoints, scrubber: Scrubber,
        kind: PayloadKind, path: String, headers: [(name: String, value: String)], limit: Int
    ) -> @Sendable () -> Result<ScrubResult, ScanFailure> {
        { () -> Result<ScrubResult, ScanFailure> in
            var plain = body
            if let coding = reading.coding {
                do throws(BodyDecoder.Failure) {
                    plain = try BodyDecoder.decode(body, coding: coding, limit: limit)
                } catch {
                    return .failure(.decoding(error))
                }
            }
            if let completed = plan.completing {
                // The parts' order is fixed here: it must be the order they were read in.
                guard uploads.completes(completed, partIDs: UploadJoints.partIDs(ofCompletion: plain) ?? []) else {
                    return .failure(.unjoinedParts)
                }
            }
            let format = reading.format
            guard let piece = plan.piece else {
                return Result { () throws(ScrubError) in
                    try scrubber.scrub(plain, kind: kind, path: path, format: format, headers: headers)
                }.mapError(ScanFailure.scrubbing)
            }
            let before = plan.before
            let result = Result { () throws(ScrubError) in
                try scrubber.scrub(plain, kind: kind, path: path, format: format, before: before, headers: headers)
            }.mapError(ScanFailure.scrubbing)
            if case .success(let scrubbed) = result, scrubbed.decision != .blocked, let end = scrubbed.fileEnd {
                uploads.record(piece, count: plain.count, fileEnd: end, readAfter: before)
            }
            return result
        }
    }

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
