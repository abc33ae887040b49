import AirlockLedger
import AirlockPolicy
import AirlockScrub
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Serves HTTP/1.1 requests inside an intercepted connection: checks each request against its target and entry,
/// collects the body (bounded), forwards it over a pooled upstream connection and streams the response back.
final class InterceptHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Reading the request body.
        case collecting(Exchange)
        /// Waiting for the upstream, or streaming its response.
        case forwarding(Exchange)
        /// A refusal was sent; the rest of the request is ignored and the connection closes.
        case refused
    }

    /// One request and what has happened to it. A class, so that moving it between states and handing it to
    /// callbacks costs one reference count rather than one for every string and buffer it holds.
    private final class Exchange {
        var head: HTTPRequestHead
        /// The request target to forward: origin-form, with a secret in its query string redacted.
        var path: String
        var body: ByteBuffer
        var log: DecisionLog
        let keepAlive: Bool
        /// A WebSocket upgrade: after the upstream's 101 the connection carries a `WebSocketSession`.
        let webSocket: Bool
        var reused = false
        var retried = false
        var responseStarted = false
        var status: UInt = 0
        var upstream: UpstreamConnectionHandler?
        /// Set once the scrubber has passed the body, so a retry on a fresh connection does not scan again.
        var scrubbed = false
        /// `allowed` or `redacted`, for the decision log.
        var decision = RequestDecision.allowed
        /// A numbered part of an upload, until the provider's answer to it is noted (`UploadJoints.settle`).
        var uploadPart: UploadJoints.Piece?
        /// The upload this request completes: forgotten once the provider accepts the completion.
        var completing: String?
        /// The body's bytes taken from the budget shared by all connections; given back with the exchange.
        private let budget: BodyBudget
        private var held = 0

        init(
            head: HTTPRequestHead, path: String, body: ByteBuffer, log: DecisionLog, keepAlive: Bool,
            webSocket: Bool = false, budget: BodyBudget
        ) {
            self.budget = budget
            self.head = head
            self.path = path
            self.body = body
            self.log = log
            // After an upgrade request the connection either switches protocols or ends with the response.
            self.keepAlive = keepAlive && !webSocket
            self.webSocket = webSocket
        }

        deinit { budget.give(held) }

        /// Adds a part of the body, if the budget has room for it.
        func collect(_ buffer: inout ByteBuffer) -> Bool {
            guard budget.take(buffer.readableBytes) else { return false }
            held += buffer.readableBytes
            body.writeBuffer(&buffer)
            return true
        }

        /// Once the response has started, the request is never sent again: its body is let go.
        func releaseBody() {
            body = ByteBuffer()
            budget.give(held)
            held = 0
        }
    }

    /// Why a body was not scanned: its compression could not be undone, or the scrubber refused it.
    private enum ScanFailure: Error {
        case decoding(BodyDecoder.Failure)
        case scrubbing(ScrubError)
        /// A completion that joins upload parts that were not read one after the other.
        case unjoinedParts
    }

    private let runtime: ProxyRuntime
    private let target: InterceptTarget
    private let presetDenial: DenyReason?
    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// Deadlines are checked by one coarse per-connection timer rather than scheduled per request.
    private var deadlineCheck: RepeatedTask?
    /// While idle, the next request head must arrive by this time.
    private var headDeadline = NIODeadline.distantFuture
    /// While waiting for the upstream, its response must start by this time.
    private var responseDeadline: NIODeadline?
    private let requestHeadTimeout: TimeAmount
    private let upstreamResponseTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    /// Last byte in either direction while a request is being read or its response relayed.
    private var lastActivity = NIODeadline.now()
    /// Parts of requests that a client pipelined behind the one in flight; served in order afterwards.
    /// Reads are held only while this queue is large, so the common one-at-a-time client never toggles read interest.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    private var pipelinedBytes = 0
    private var readPending = false
    private var quiescing = false
    private static let pipelineLimit = 64 * 1024

    private let proxyUser: String?
    private let client: SocketAddress?
    /// The response in flight, counted and read for token usage without copying the exchange per chunk.
    private var responseBytes = 0
    private var usageTap: UsageTap?

    init(
        runtime: ProxyRuntime, target: InterceptTarget, presetDenial: DenyReason? = nil, proxyUser: String? = nil,
        client: SocketAddress? = nil
    ) {
        self.proxyUser = proxyUser
        self.client = client
        self.runtime = runtime
        self.target = target
        self.presetDenial = presetDenial
        self.requestHeadTimeout = .milliseconds(Int64(runtime.configuration.timeouts.requestHead * 1000))
        self.upstreamResponseTimeout = .milliseconds(Int64(runtime.configuration.timeouts.upstreamResponse * 1000))
        self.idleTimeout = .milliseconds(Int64(runtime.configuration.timeouts.idle * 1000))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        headDeadline = .now() + requestHeadTimeout
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let period = TimeAmount.milliseconds(min(1000, requestHeadTimeout.nanoseconds / 1_000_000 / 2 + 1))
        deadlineCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            bound.value.checkDeadlines()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlineCheck?.cancel()
        self.context = nil
    }

    private func checkDeadlines() {
        guard let context else { return }
        let now = NIODeadline.now()
        switch state {
        case .idle where now > headDeadline:
            context.close(promise: nil)
        case .collecting where now > lastActivity + idleTimeout:
            context.close(promise: nil)
        case .forwarding(let exchange) where !exchange.responseStarted:
            if let responseDeadline, now > responseDeadline {
                exchange.upstream?.close()
                failExchange(UpstreamError.responseTimeout, context: context)
            }
        case .forwarding(let exchange) where now > lastActivity + idleTimeout:
            // A response that stopped moving: neither side can be reused.
            exchange.upstream?.close()
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        lastActivity = .now()
        switch state {
        case .forwarding:
            pipelined.append(part)
            if case .body(let buffer) = part { pipelinedBytes += buffer.readableBytes }
            pipelinedBytes += 64
        case .refused:
            break
        case .idle, .collecting:
            receive(part, context: context)
        }
    }

    private func receive(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(var buffer):
            guard case .collecting(let exchange) = state else { return }
            if exchange.body.readableBytes + buffer.readableBytes > runtime.configuration.limits.maxRequestBody {
                refuse(tooLarge(), exchange.log, context: context)
                return
            }
            guard exchange.collect(&buffer) else {
                refuse(
                    .bodiesOverBudget(
                        limit: runtime.bodyBudget.limit, host: target.host, provider: target.provider),
                    exchange.log, context: context)
                return
            }
        case .end:
            guard case .collecting(let exchange) = state else { return }
            forward(exchange, context: context)
        }
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var log = DecisionLog(method: head.method.rawValue, host: target.host, uri: head.uri)
        log.entry = target.entry.hostPattern
        if runtime.ledger != nil {
            var event = LedgerRecords.skeleton(
                method: head.method.rawValue, host: target.host, path: head.uri, client: client)
            event.proxyUser = LedgerEvent.safeIdentifier(proxyUser)
            LedgerRecords.request(&event, target: target, head: head, path: head.uri, keys: runtime.ledgerKeys)
            log.event = event
        }
        if let presetDenial {
            refuse(.denied(presetDenial, host: target.host, provider: target.provider), log, context: context)
            return
        }
        let path: String
        switch originFormPath(head.uri) {
        case .success(let p): path = p
        case .failure(let response):
            refuse(response, log, context: context)
            return
        }
        log.uri = path
        if let problem = framingProblem(head.headers) {
            refuse(badRequest(problem.0, problem.1), log, context: context)
            return
        }
        let hosts = head.headers["host"]
        guard hosts.count == 1, let hostHeader = hosts.first else {
            refuse(
                badRequest(.invalidHostHeader, "the request must carry exactly one Host header"), log,
                context: context)
            return
        }
        guard target.matchesHostHeader(hostHeader) else {
            refuse(.denied(.hostHeaderMismatch, host: target.host, provider: target.provider), log, context: context)
            return
        }
        if let reason = target.entry.permits(method: head.method.rawValue, path: path) {
            refuse(.denied(reason, host: target.host, provider: target.provider), log, context: context)
            return
        }
        // A WebSocket (a realtime API) is relayed message by message through the scrubber; any other upgrade
        // would carry bytes that are never scanned.
        var webSocket = false
        if head.headers.contains(name: "upgrade") {
            switch WebSocketUpgrade.check(head) {
            case .webSocket:
                webSocket = true
            case .invalid(let problem):
                refuse(badRequest(.invalidWebSocketUpgrade, problem), log, context: context)
                return
            case .otherProtocol:
                refuse(
                    .failure(
                        .notImplemented, reason: .upgradeNotSupported,
                        message:
                            "Airlock relays only WebSocket upgrades to inspected hosts: the bytes of another protocol could not be scanned",
                        host: target.host, provider: target.provider), log, context: context)
                return
            }
        }
        let declaredLength = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        if declaredLength > runtime.configuration.limits.maxRequestBody {
            refuse(tooLarge(), log, context: context)
            return
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        if webSocket, log.event != nil { LedgerRecords.webSocketSession(&log.event!, path: path) }
        let body = context.channel.allocator.buffer(capacity: min(declaredLength, 1 << 20))
        state = .collecting(
            Exchange(
                head: head, path: path, body: body, log: log, keepAlive: head.isKeepAlive, webSocket: webSocket,
                budget: runtime.bodyBudget))
    }

    /// Origin-form path of a request; absolute-form must name the target.
    private func originFormPath(_ uri: String) -> Result<String, ErrorResponse> {
        if uri.hasPrefix("/") { return .success(uri) }
        let prefix = target.scheme == .https ? "https://" : "http://"
        guard uri.lowercased().hasPrefix(prefix) else {
            return .failure(
                badRequest(.invalidRequestTarget, "the request target must be a path or an absolute URI"))
        }
        let rest = uri.dropFirst(prefix.count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard target.matchesHostHeader(String(rest[..<authorityEnd])) else {
            return .failure(.denied(.hostHeaderMismatch, host: target.host, provider: target.provider))
        }
        let path = rest[authorityEnd...]
        return .success(path.hasPrefix("/") ? String(path) : "/" + path)
    }

    /// Requests whose length is ambiguous are refused: request smuggling lives in that ambiguity.
    private func framingProblem(_ headers: HTTPHeaders) -> (FailureReason, String)? {
        // The common case, in one pass without copies: no Transfer-Encoding and one plain Content-Length, or none.
        var plain = true
        var lengthCount = 0
        for (name, value) in headers {
            if name.utf8.equalsIgnoringASCIICase("content-length") {
                lengthCount += 1
                plain = plain && !value.isEmpty && value.utf8.allSatisfy { $0 &- UInt8(ascii: "0") < 10 }
            } else if name.utf8.equalsIgnoringASCIICase("transfer-encoding") {
                plain = false
            }
        }
        if plain && lengthCount <= 1 { return nil }
        let lengths = headers["content-length"]
        let encodings = headers["transfer-encoding"]
        if !lengths.isEmpty && !encodings.isEmpty {
            return (.conflictingFraming, "the request has both Content-Length and Transfer-Encoding")
        }
        if !lengths.isEmpty {
            let values = lengths.flatMap { $0.split(separator: ",") }.map { $0.trimmingASCIISpaces() }
            if values.contains(where: {
                $0.isEmpty || !$0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            }) {
                return (.invalidContentLength, "the Content-Length is not a number")
            }
            if Set(values).count > 1 {
                return (.conflictingFraming, "the request has conflicting Content-Length values")
            }
            return nil
        }
        if encodings.count != 1 || encodings[0].trimmingASCIISpaces().lowercased() != "chunked" {
            return (.unsupportedTransferEncoding, "only chunked transfer encoding is accepted")
        }
        return nil
    }

    private func forward(_ exchange: Exchange, context: ChannelHandlerContext) {
        if !exchange.scrubbed {
            scrub(exchange, context: context)
            return
        }
        if let ledger = runtime.ledger, !exchange.log.intentWritten {
            recordIntent(exchange, ledger: ledger, context: context)
            return
        }
        var headers = exchange.head.headers
        HopByHop.strip(&headers)
        if headers.contains(name: "expect") { headers.remove(name: "expect") }
        if exchange.webSocket { WebSocketUpgrade.prepareUpstreamRequest(&headers) }
        // A provider's response is read for its token usage on the way back: ask only for codings that can be.
        if target.provider != nil, let acceptable = UsageTap.readableAcceptEncoding(headers) {
            headers.replaceOrAdd(name: "accept-encoding", value: acceptable)
        }
        let hasBody: Bool
        switch exchange.head.method {
        case .POST, .PUT, .PATCH: hasBody = true
        default: hasBody = exchange.body.readableBytes > 0
        }
        if hasBody && !headers.hasOnlyContentLength(exchange.body.readableBytes) {
            headers.replaceOrAdd(name: "content-length", value: String(exchange.body.readableBytes))
        }
        let upstreamHead = HTTPRequestHead(
            version: .http1_1, method: exchange.head.method, uri: exchange.path, headers: headers)
        state = .forwarding(exchange)
        let body = hasBody ? exchange.body : nil
        runtime.pool(for: context.eventLoop).acquire(target.upstreamKey) { result in
            guard case .forwarding(let current) = self.state, let context = self.context else {
                // The client went away while the connection was being made.
                if case .success(let (connection, _)) = result { connection.pool?.release(connection) }
                return
            }
            switch result {
            case .success(let (connection, reused)):
                current.reused = reused
                current.upstream = connection
                self.responseDeadline = .now() + self.upstreamResponseTimeout
                connection.send(head: upstreamHead, body: body, to: self)
            case .failure(let error):
                self.failExchange(error, context: context)
            }
        }
    }

    /// The request's record is durable before anything is forwarded; if the ledger cannot be written,
    /// the request is refused (503) rather than forwarded unrecorded.
    private func recordIntent(_ exchange: Exchange, ledger: LedgerWriter, context: ChannelHandlerContext) {
        var event =
            exchange.log.event
            ?? LedgerRecords.skeleton(method: exchange.head.method.rawValue, host: target.host, path: exchange.path)
        event.decision = exchange.decision.ledger
        if event.requestBytes == nil {
            event.requestBytes = exchange.body.readableBytes
            event.forwardedBytes = exchange.body.readableBytes
        }
        exchange.log.event = event
        exchange.log.intentWritten = true
        state = .forwarding(exchange)
        let promise = context.eventLoop.makePromise(of: Int64.self)
        ledger.append(event) { promise.completeWith($0.mapError { $0 as any Error }) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            guard case .forwarding(let current) = self.state, let context = self.context else { return }
            switch result {
            case .success:
                self.forward(current, context: context)
            case .failure:
                current.log.intentWritten = false
                self.refuse(
                    .failure(
                        .serviceUnavailable, reason: .ledgerUnavailable,
                        message: "Airlock could not record this request in its ledger, so it was not forwarded",
                        host: self.target.host, provider: self.target.provider), current.log, context: context)
            }
        }
    }

    /// Every request to an inspected host passes the scrubber before it is forwarded, its headers and its body; a
    /// body that cannot be scanned is refused.
    private func scrub(_ exchange: Exchange, context: ChannelHandlerContext) {
        exchange.scrubbed = true
        let scrubber = self.scrubber
        let kind = payloadKind
        let path = exchange.path
        let headers = exchange.head.headers.map { (name: $0.name, value: $0.value) }
        guard exchange.body.readableBytes > 0 else {
            let result = Result { () throws(ScrubError) in
                try scrubber.scrub(headers: headers, kind: kind, path: path)
            }
            finishScrub(result.mapError(ScanFailure.scrubbing), exchange, decoded: false, context: context)
            return
        }
        let reading: ScrubGate.Reading
        switch ScrubGate.reading(exchange.head.headers, path: exchange.path) {
        case .success(let value): reading = value
        case .failure(let problem):
            refuse(
                .failure(
                    problem.status, reason: problem.reason, message: problem.message, host: target.host,
                    provider: target.provider), exchange.log, context: context)
            return
        }
        let body = Array(exchange.body.readableBytesView)
        let (coding, format) = (reading.coding, reading.format)
        let limit = runtime.configuration.limits.maxRequestBody
        let uploads = runtime.uploads
        var found = UploadJoints.piece(host: target.host, path: path, headers: exchange.head.headers, format: format)
        // A part that comes in order is numbered, so the provider's answer to it can be noted.
        if found != nil, found?.offset == nil {
            found?.part = uploads.newPart()
            exchange.uploadPart = found
        }
        let piece = found
        let ending = UploadJoints.ending(host: target.host, path: path)
        if case .cancel(let upload)? = ending { uploads.forget(upload) }
        let completing: String? = if case .complete(let upload)? = ending { upload } else { nil }
        exchange.completing = completing
        // A piece of an upload is read after the end of the file before it, or refused.
        let before: [UInt8]
        switch piece.map({ uploads.joint(for: $0) }) {
        case .after(let end)?: before = end
        case .unknownPredecessor?:
            refuse(
                .failure(
                    .conflict, reason: .uploadPredecessorUnknown,
                    message:
                        "Airlock does not hold the end of the file before this piece, so a secret cut by its start "
                        + "could not be found; start the upload again", host: target.host, provider: target.provider),
                exchange.log, context: context)
            return
        case .full?:
            refuse(
                .failure(
                    .tooManyRequests, reason: .uploadCapacity,
                    message:
                        "Airlock holds the ends of as many open uploads as it can; send this one when another has ended",
                    host: target.host, provider: target.provider), exchange.log, context: context)
            return
        case .tooManyParts?:
            refuse(
                .failure(
                    .conflict, reason: .uploadPartLimit,
                    message:
                        "Airlock reads at most \(UploadJoints.partLimit) parts of one upload; upload the file again in "
                        + "larger parts", host: target.host, provider: target.provider), exchange.log, context: context)
            return
        case nil: before = []
        }
        let work: @Sendable () -> Result<ScrubResult, ScanFailure> = {
            var plain = body
            if let coding {
                do throws(BodyDecoder.Failure) {
                    plain = try BodyDecoder.decode(body, coding: coding, limit: limit)
                } catch {
                    return .failure(.decoding(error))
                }
            }
            if let completed = completing {
                // The parts' order is fixed here: it must be the order they were read in.
                guard uploads.completes(completed, partIDs: UploadJoints.partIDs(ofCompletion: plain) ?? []) else {
                    return .failure(.unjoinedParts)
                }
            }
            guard let piece else {
                return Result { () throws(ScrubError) in
                    try scrubber.scrub(plain, kind: kind, path: path, format: format, headers: headers)
                }.mapError(ScanFailure.scrubbing)
            }
            let result = Result { () throws(ScrubError) in
                try scrubber.scrub(plain, kind: kind, path: path, format: format, before: before, headers: headers)
            }.mapError(ScanFailure.scrubbing)
            if case .success(let scrubbed) = result, scrubbed.decision != .blocked, let end = scrubbed.fileEnd {
                uploads.record(piece, count: plain.count, fileEnd: end, readAfter: before)
            }
            return result
        }
        // A compressed body may decode to far more than it looks: it is decoded and scanned off the event loop.
        guard body.count > ProxyRuntime.inlineScanLimit || coding != nil, let threadPool = runtime.threadPool
        else {
            finishScrub(work(), exchange, decoded: coding != nil, context: context)
            return
        }
        state = .forwarding(exchange)
        threadPool.runIfActive(eventLoop: context.eventLoop, work).assumeIsolated().whenComplete { outcome in
            guard case .forwarding(let current) = self.state, let context = self.context else { return }
            switch outcome {
            case .success(let result):
                self.finishScrub(result, current, decoded: coding != nil, context: context)
            case .failure:
                self.refuse(
                    .failure(
                        .serviceUnavailable, reason: .scannerUnavailable,
                        message: "Airlock could not scan this request, so it was not forwarded", host: self.target.host,
                        provider: self.target.provider), current.log, context: context)
            }
        }
    }

    /// The scrubber with this entry's overrides of the current policy.
    private var scrubber: Scrubber {
        Scrubber(
            policy: runtime.scrubPolicy.overriding(
                secrets: target.entry.scrubSecrets, code: target.entry.scrubCode, binary: target.entry.scrubBinary))
    }

    private var payloadKind: PayloadKind { target.provider.flatMap { PayloadKind(rawValue: $0.rawValue) } ?? .json }

    /// `decoded`: the body was compressed and the scrubber read it decoded.
    private func finishScrub(
        _ outcome: Result<ScrubResult, ScanFailure>, _ exchange: Exchange, decoded: Bool, context: ChannelHandlerContext
    ) {
        switch outcome {
        case .failure(.decoding(.tooLarge)):
            refuse(tooLarge(decoded: true), exchange.log, context: context)
        case .failure(.decoding(.invalid)):
            refuse(
                .failure(
                    .unsupportedMediaType, reason: .invalidCompressedBody,
                    message:
                        "the request body could not be decoded as its Content-Encoding says, so it was not forwarded",
                    host: target.host, provider: target.provider), exchange.log, context: context)
        case .failure(.unjoinedParts):
            refuse(
                .failure(
                    .conflict, reason: .uploadPartsUnjoined,
                    message:
                        "Airlock did not read the parts of this upload one after the other in the order listed, so a "
                        + "secret cut by a part boundary could have been missed; upload the file again through Airlock, "
                        + "part after part in order", host: target.host, provider: target.provider), exchange.log,
                context: context)
        case .failure(.scrubbing(let error)):
            let status: HTTPResponseStatus = error.code == .timeBudgetExceeded ? .serviceUnavailable : .badRequest
            refuse(
                .failure(
                    status, reason: FailureReason(error.code),
                    message: "Airlock could not scan this request (\(error.message)), so it was not forwarded",
                    host: target.host, provider: target.provider), exchange.log, context: context)
        case .success(let result):
            if let target = result.target { exchange.path = target }
            if !result.headerValues.isEmpty {
                var headers = HTTPHeaders()
                for (index, header) in exchange.head.headers.enumerated() {
                    headers.add(name: header.name, value: result.headerValues[index] ?? header.value)
                }
                exchange.head.headers = headers
            }
            exchange.log.scrub = ScrubGate.logSummary(result)
            if let metrics = runtime.metrics {
                for (detector, count) in result.countsByDetector { metrics.finding(detector: detector, count: count) }
            }
            if exchange.log.event != nil {
                LedgerRecords.scrubbed(&exchange.log.event!, result, received: exchange.body.readableBytes)
            }
            if result.decision == .blocked {
                refuse(
                    ScrubGate.blockedResponse(result, host: target.host, provider: target.provider), exchange.log,
                    context: context)
                return
            }
            // A decoded body is forwarded as decoded (and scrubbed): the upstream gets exactly the bytes that were
            // scanned, never a compressed form that another decoder might read differently.
            if result.changed || decoded {
                var buffer = context.channel.allocator.buffer(capacity: result.output.count)
                buffer.writeBytes(result.output)
                exchange.body = buffer
                if decoded { exchange.head.headers.remove(name: "content-encoding") }
            }
            exchange.decision = RequestDecision(result.decision)
            forward(exchange, context: context)
        }
    }

    private func failExchange(_ error: any Error, context: ChannelHandlerContext) {
        responseDeadline = nil
        guard case .forwarding(let exchange) = state else { return }
        settleUpload(exchange, id: nil)
        if exchange.responseStarted {
            responseLog(exchange).emit(
                runtime, decision: .error, status: exchange.status, reason: FailureReason.upstreamAborted.rawValue)
            state = .refused
            context.close(promise: nil)
            return
        }
        let response: ErrorResponse
        if let upstreamError = error as? UpstreamError {
            response = upstreamError.refusal(host: target.host, provider: target.provider)
        } else if error is NIOSSLError || error is BoringSSLError {
            response = .failure(
                .badGateway, reason: .upstreamTLSFailed,
                message: "the upstream server's TLS certificate or handshake failed verification", host: target.host,
                provider: target.provider)
        } else {
            response = .failure(
                .badGateway, reason: .upstreamFailed, message: "the upstream exchange failed", host: target.host,
                provider: target.provider)
        }
        refuse(response, exchange.log, context: context)
    }

    /// Sends a refusal or failure, logs it and closes the connection once it is written.
    private func refuse(_ response: ErrorResponse, _ log: DecisionLog, context: ChannelHandlerContext) {
        log.emit(runtime, decision: response.decision, status: response.status.code, reason: response.reason)
        state = .refused
        context.writeErrorResponse(response, keepAlive: false, wrap: wrapOutboundOut)
    }

    private func badRequest(_ reason: FailureReason, _ message: String) -> ErrorResponse {
        .failure(.badRequest, reason: reason, message: message, host: target.host, provider: target.provider)
    }

    private func tooLarge(decoded: Bool = false) -> ErrorResponse {
        .failure(
            .payloadTooLarge, reason: .requestTooLarge,
            message:
                "the request body \(decoded ? "decodes to more than" : "exceeds") limits.max_request_body (\(runtime.configuration.limits.maxRequestBody) bytes)",
            host: target.host, provider: target.provider)
    }

    /// Serves requests the client pipelined, until one of them is in flight again.
    private func servePipelined(context: ChannelHandlerContext) {
        while isReceiving, let part = pipelined.popFirst() {
            if case .body(let buffer) = part { pipelinedBytes -= buffer.readableBytes }
            pipelinedBytes -= 64
            receive(part, context: context)
        }
        if readPending && pipelinedBytes < Self.pipelineLimit {
            readPending = false
            context.read()
        }
    }

    private var isReceiving: Bool {
        switch state {
        case .idle, .collecting: true
        case .forwarding, .refused: false
        }
    }

    func read(context: ChannelHandlerContext) {
        if pipelinedBytes >= Self.pipelineLimit {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(let exchange) = state { exchange.upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Shutting down: close now if nothing is in flight, else after the current response.
            quiescing = true
            if case .idle = state { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .forwarding(let exchange) = state {
            // The client left mid-exchange: the upstream connection cannot be reused.
            exchange.upstream?.close()
            responseLog(exchange).emit(
                runtime, decision: .error, status: exchange.status, reason: FailureReason.clientClosed.rawValue)
        }
        state = .refused
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .idle, .collecting:
            if error is HTTPParserError {
                let log = DecisionLog(method: "-", host: target.host, uri: "/")
                refuse(badRequest(.malformedRequest, "the request is not valid HTTP/1.1"), log, context: context)
                return
            }
        case .forwarding, .refused:
            break
        }
        context.close(promise: nil)
    }
}

extension InterceptHandler {
    /// The exchange's log with what the relayed response added: its size and token usage.
    private func responseLog(_ exchange: Exchange) -> DecisionLog {
        var log = exchange.log
        log.responseBytes = responseBytes
        let usage = usageTap?.finish()
        log.usage = runtime.ledger == nil ? nil : usage
        let accepted = (200..<300).contains(exchange.status)
        let id = accepted ? usageTap?.objectID : nil
        usageTap = nil
        settleUpload(exchange, id: id)
        // A completion the provider refused may be sent again: its parts are kept until one is accepted.
        if accepted, let upload = exchange.completing { runtime.uploads.forget(upload) }
        return log
    }

    /// Notes the provider's answer to an upload part: its id when it accepted the part.
    private func settleUpload(_ exchange: Exchange, id: String?) {
        guard let part = exchange.uploadPart else { return }
        exchange.uploadPart = nil
        runtime.uploads.settle(part, id: id)
    }
}

extension InterceptHandler: UpstreamResponseReceiver {
    var canAcceptResponseBytes: Bool { context?.channel.isWritable ?? false }

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        responseDeadline = nil
        guard case .forwarding(let exchange) = state, let context else { return }
        exchange.responseStarted = true
        exchange.releaseBody()
        exchange.status = head.status.code
        responseBytes = 0
        usageTap = nil
        if runtime.ledger != nil {
            exchange.log.tlsVersion = exchange.upstream?.tlsVersion
        }
        // The tap reads token usage for the ledger, and the id the provider gave an upload part.
        if target.provider != nil, runtime.ledger != nil || exchange.uploadPart != nil {
            usageTap = UsageTap(headers: head.headers, readsID: exchange.uploadPart != nil)
        }
        var headers = head.headers
        HopByHop.stripResponse(&headers)
        if exchange.webSocket && head.status == .switchingProtocols {
            if let problem = WebSocketUpgrade.problem(inResponse: head.headers) {
                exchange.upstream?.close()
                refuse(
                    .failure(
                        .badGateway, reason: .upstreamUpgradeInvalid, message: problem, host: target.host,
                        provider: target.provider), exchange.log, context: context)
                return
            }
            headers.add(name: "connection", value: "Upgrade")
            headers.add(name: "upgrade", value: "websocket")
        } else if !exchange.keepAlive || quiescing {
            headers.add(name: "connection", value: "close")
        }
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: exchange.head.version, status: head.status, headers: headers))),
            promise: nil)
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        lastActivity = .now()
        responseBytes += buffer.readableBytes
        usageTap?.feed(buffer)
        context?.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    /// Whatever one upstream read produced goes out in one flush, so each streamed event reaches the client
    /// as soon as it arrives, and a small response costs one TLS record batch rather than three.
    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamResponseEnd(_ trailers: HTTPHeaders?) {
        guard case .forwarding(let exchange) = state, let context else { return }
        if exchange.webSocket && exchange.status == 101 {
            startWebSocket(exchange, context: context)
            return
        }
        responseLog(exchange).emit(runtime, decision: exchange.decision, status: exchange.status)
        state = .idle
        let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
        if exchange.keepAlive && !quiescing {
            headDeadline = .now() + requestHeadTimeout
            servePipelined(context: context)
        } else {
            state = .refused
            written.assumeIsolated().whenComplete { _ in self.context?.close(promise: nil) }
        }
    }

    func upstreamFailed(_ error: any Error) {
        guard case .forwarding(let exchange) = state, let context else { return }
        // A pooled connection that the server had already closed: try once more on a fresh one.
        if exchange.reused, !exchange.retried, !exchange.responseStarted,
            case .connectionClosed? = error as? UpstreamError
        {
            exchange.retried = true
            exchange.upstream = nil
            state = .collecting(exchange)
            forward(exchange, context: context)
            return
        }
        failExchange(error, context: context)
    }
}

extension InterceptHandler {
    /// The upstream switched protocols: both connections leave HTTP for WebSocket frames, and a session relays
    /// them. The pipelines change once the current read has been handled.
    private func startWebSocket(_ exchange: Exchange, context: ChannelHandlerContext) {
        state = .refused
        responseDeadline = nil
        guard let upstreamHandler = exchange.upstream, let upstream = upstreamHandler.handOver() else {
            exchange.log.emit(runtime, decision: .error, status: 101, reason: FailureReason.upstreamClosed.rawValue)
            context.close(promise: nil)
            return
        }
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        let log = exchange.log
        let session = WebSocketSession(
            runtime: runtime, target: target, path: exchange.path, kind: payloadKind, scrubber: scrubber, log: log)
        let handlers = WebSocketSession.handlers(
            for: session, maxMessage: runtime.configuration.limits.maxRequestBody)
        let runtime = self.runtime
        let sessionLog = log
        context.eventLoop.assumeIsolated().execute {
            do {
                guard context.channel.isActive, upstream.isActive else { throw UpstreamError.connectionClosed }
                let clientSync = context.pipeline.syncOperations
                let upstreamSync = upstream.pipeline.syncOperations
                try clientSync.addHandlers(handlers.client, position: .last)
                try upstreamSync.addHandlers(handlers.upstream, position: .last)
                // The HTTP decoders go last: bytes either side sent after the upgrade pass on to the frame decoders.
                upstreamSync.removeHandler(upstreamHandler, promise: nil)
                if let validator = try? upstreamSync.handler(type: NIOHTTPRequestHeadersValidator.self) {
                    upstreamSync.removeHandler(validator, promise: nil)
                }
                upstreamSync.removeHandler(try upstreamSync.handler(type: HTTPRequestEncoder.self), promise: nil)
                // Frames that came with the 101 are relayed when the decoder leaves; they go out then.
                let decoderGone = upstream.eventLoop.makePromise(of: Void.self)
                upstreamSync.removeHandler(
                    try upstreamSync.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self),
                    promise: decoderGone)
                let client = context.channel
                decoderGone.futureResult.whenComplete { _ in client.flush() }
                clientSync.removeHandler(context: context, promise: nil)
                clientSync.removeHandler(try clientSync.handler(type: HTTPResponseEncoder.self), promise: nil)
                clientSync.removeHandler(
                    try clientSync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
                context.channel.flush()
            } catch {
                sessionLog.emit(runtime, decision: .error, status: 101, reason: FailureReason.upstreamClosed.rawValue)
                upstream.close(promise: nil)
                context.close(promise: nil)
            }
        }
    }
}

@available(*, unavailable)
extension InterceptHandler: Sendable {}

/// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection and are never passed on.
package enum HopByHop {
    static let names: [StaticString] = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// Exact and ASCII case-insensitive, without lowercasing copies: this runs for every header of every request
    /// and response.
    static func isHopByHop(_ name: some StringProtocol) -> Bool {
        switch name.utf8.count {
        case 2, 7, 10, 16, 17, 18, 19: names.contains { name.utf8.equalsIgnoringASCIICase($0) }
        default: false
        }
    }

    package static func strip(_ headers: inout HTTPHeaders) { strip(&headers, keeping: nil) }

    /// Responses keep Transfer-Encoding so that the encoder re-frames chunked bodies as they stream.
    package static func stripResponse(_ headers: inout HTTPHeaders) { strip(&headers, keeping: "transfer-encoding") }

    /// Removes the hop-by-hop headers and every header the `Connection` header names, in place. Names that are
    /// hop-by-hop anyway (`Connection: keep-alive`, the common case) are not collected twice.
    private static func strip(_ headers: inout HTTPHeaders, keeping kept: StaticString?) {
        var doomed: [String] = []
        for (name, value) in headers where isHopByHop(name) {
            if kept.map({ name.utf8.equalsIgnoringASCIICase($0) }) != true { doomed.append(name) }
            guard name.utf8.equalsIgnoringASCIICase("connection") else { continue }
            var rest = Substring(value)
            while !rest.isEmpty {
                let comma = rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
                let option = rest[..<comma].trimmingASCIISpaces()
                if !option.isEmpty && !isHopByHop(option) { doomed.append(String(option)) }
                rest = comma == rest.endIndex ? "" : rest[rest.utf8.index(after: comma)...]
            }
        }
        for name in doomed { headers.remove(name: name) }
    }
}

extension HTTPHeaders {
    /// Whether the headers hold exactly one Content-Length, and it is `length` written plainly, so the header
    /// can be forwarded as it is. Chunked requests and rewritten bodies get a fresh one.
    package func hasOnlyContentLength(_ length: Int) -> Bool {
        var found = false
        for (name, value) in self {
            if name.utf8.equalsIgnoringASCIICase("transfer-encoding") { return false }
            guard name.utf8.equalsIgnoringASCIICase("content-length") else { continue }
            let digits = value.utf8.allSatisfy { $0 &- UInt8(ascii: "0") < 10 }
            if found || !digits || value.utf8.first == UInt8(ascii: "0") && value.utf8.count > 1 || Int(value) != length
            {
                return false
            }
            found = true
        }
        return found
    }
}

extension Collection<UInt8> {
    /// Equal to `lowercase` (which must be lowercase ASCII) when ASCII letters are folded.
    /// Native strings' bytes are compared through one buffer pointer rather than `String` indices.
    func equalsIgnoringASCIICase(_ lowercase: StaticString) -> Bool {
        withContiguousStorageIfAvailable { asciiFoldedEqual($0, lowercase) } ?? asciiFoldedEqual(self, lowercase)
    }
}

private func asciiFoldedEqual(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    var index = 0
    for byte in bytes {
        let folded = byte &- 0x41 < 26 ? byte | 0x20 : byte
        if folded != lowercase.utf8Start[index] { return false }
        index += 1
    }
    return true
}

extension StringProtocol {
    /// Trims spaces and tabs without Foundation's character sets, which are slow on the request path, and without
    /// copying.
    func trimmingASCIISpaces() -> Substring {
        let text = Substring(self)
        guard let first = text.utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = text.utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return text[first...last]
    }
}
