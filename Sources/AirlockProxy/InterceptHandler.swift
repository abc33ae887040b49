import AirlockLedger
import AirlockPolicy
import AirlockScrub
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Serves HTTP/1.1 requests inside an intercepted connection. `ExchangeStateMachine` decides what happens to each
/// request; this handler feeds it the channel's events and carries out its actions: it checks the head
/// (`RequestHeadCheck`), collects the body within the budget, passes it through `PayloadGate`, records its intent,
/// forwards it over a pooled upstream connection and streams the response back.
final class InterceptHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let runtime: ProxyRuntime
    private let target: InterceptTarget
    private let headCheck: RequestHeadCheck
    private var machine: ExchangeStateMachine
    /// The request in flight, from its head until its response ends or it is refused.
    private var exchange: Exchange?
    private var context: ChannelHandlerContext?
    /// Deadlines are checked by one coarse per-connection timer rather than scheduled per request.
    private var deadlineCheck: RepeatedTask?
    private let deadlinePeriod: TimeAmount
    /// Last byte in either direction while a request is being read or its response relayed.
    private var lastActivity = NIODeadline.now()
    /// Parts of requests that a client pipelined behind the one in flight; served in order afterwards.
    /// Reads are held only while this queue is large, so the common one-at-a-time client never toggles read interest.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    private var pipelinedBytes = 0
    private var readPending = false
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
        let limits = runtime.configuration.limits
        let timeouts = runtime.configuration.timeouts
        self.headCheck = RequestHeadCheck(
            target: target, maxRequestBody: limits.maxRequestBody, presetDenial: presetDenial)
        let requestHeadTimeout = TimeAmount.milliseconds(Int64(timeouts.requestHead * 1000))
        self.deadlinePeriod = .milliseconds(min(1000, requestHeadTimeout.nanoseconds / 1_000_000 / 2 + 1))
        self.machine = ExchangeStateMachine(
            .init(
                requestHeadTimeout: requestHeadTimeout,
                upstreamResponseTimeout: .milliseconds(Int64(timeouts.upstreamResponse * 1000)),
                idleTimeout: .milliseconds(Int64(timeouts.idle * 1000)), maxRequestBody: limits.maxRequestBody,
                ledger: runtime.ledger != nil, host: target.host, provider: target.provider),
            now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        deadlineCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: deadlinePeriod, delay: deadlinePeriod) {
            _ in
            let handler = bound.value
            handler.run(handler.machine.checkDeadlines(now: .now(), lastActivity: handler.lastActivity))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlineCheck?.cancel()
        self.context = nil
    }

    // MARK: The client's side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        lastActivity = .now()
        if machine.isReceiving { return receive(part, context: context) }
        guard machine.request != nil else { return }  // closing or upgraded: the rest is ignored
        pipelined.append(part)
        if case .body(let buffer) = part { pipelinedBytes += buffer.readableBytes }
        pipelinedBytes += 64
    }

    private func receive(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(var buffer):
            let action = machine.receivedBodyPart(size: buffer.readableBytes)
            guard case .keepBodyPart = action, let exchange else { return run(action) }
            if !exchange.collect(&buffer) { run(machine.bodyOverBudget(limit: runtime.bodyBudget.limit)) }
        case .end:
            run(machine.receivedEnd())
        }
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var log = ExchangeRecord(method: head.method.rawValue, host: target.host, uri: head.uri)
        log.entry = target.entry.hostPattern
        if runtime.ledger != nil {
            log.event = LedgerRecords.intercepted(
                head, target: target, client: client, proxyUser: proxyUser, keys: runtime.ledgerKeys)
        }
        let verdict = headCheck.check(head)
        var body = ByteBuffer()
        if case .success(let accepted) = verdict {
            log.uri = accepted.path
            if accepted.webSocket, log.event != nil { LedgerRecords.webSocketSession(&log.event!, path: accepted.path) }
            body = context.channel.allocator.buffer(capacity: min(accepted.declaredLength, 1 << 20))
        }
        let path = (try? verdict.get().path) ?? head.uri
        exchange = Exchange(head: head, path: path, body: body, log: log, budget: runtime.bodyBudget)
        run(machine.receivedHead(verdict, keepAlive: head.isKeepAlive))
    }

    // MARK: Carrying out the machine's actions

    private func run(_ action: ExchangeStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .none, .keepBodyPart, .writeResponseHead, .finish, .startWebSocket:
            // The last three are carried out where the response's head and end are at hand.
            break
        case .collect(let sendContinue):
            guard sendContinue, let exchange else { break }
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version, status: .continue))),
                promise: nil)
        case .scan:
            if let exchange { scan(exchange, context: context) }
        case .recordIntent:
            if let exchange { recordIntent(exchange, context: context) }
        case .connect, .retry:
            guard let exchange else { break }
            exchange.upstream = nil
            connect(exchange, context: context)
        case .send:
            guard let exchange, let connection = exchange.upstream else { break }
            let (head, hasBody) = exchange.upstreamHead(
                readsUsage: target.provider != nil, webSocket: machine.request?.webSocket == true)
            connection.send(head: head, body: hasBody ? exchange.body : nil, to: self)
        case .refuse(let response, let closeUpstream):
            let log = exchange?.log ?? ExchangeRecord(method: "-", host: target.host, uri: "/")
            if closeUpstream { exchange?.upstream?.close() }
            if let exchange { settleUpload(exchange, id: nil) }
            exchange = nil
            log.emit(runtime, response.outcome, status: response.status.code)
            context.writeErrorResponse(response, keepAlive: false, wrap: wrapOutboundOut)
        case .fail(let reason):
            // Neither connection can be reused: the response was cut short, or the client left mid-exchange.
            guard let exchange else { break }
            exchange.upstream?.close()
            responseLog(exchange).emit(runtime, .failed(reason), status: exchange.status)
            self.exchange = nil
            context.close(promise: nil)
        case .endedByClient:
            guard let exchange else { break }
            exchange.upstream?.close()
            responseLog(exchange).emit(runtime, exchange.outcome, status: exchange.status)
            self.exchange = nil
        case .close(let upstreamToo):
            if upstreamToo { exchange?.upstream?.close() }
            context.close(promise: nil)
        }
    }

    /// Every request to an inspected host passes the gate before it is forwarded, its headers and its body.
    private func scan(_ exchange: Exchange, context: ChannelHandlerContext) {
        PayloadGate.scan(
            exchange, target: target, scrubber: scrubber, kind: payloadKind, runtime: runtime,
            eventLoop: context.eventLoop
        ) { outcome in
            guard self.exchange === exchange else { return }
            switch outcome {
            case .unreadable(let refusal): self.run(self.machine.scanned(.failure(refusal)))
            case .scanned(let result, let decoded): self.scanned(result, exchange, decoded: decoded)
            }
        }
    }

    /// `decoded`: the body was compressed and the scrubber read it decoded.
    private func scanned(
        _ outcome: Result<ScrubResult, PayloadGate.ScanFailure>, _ exchange: Exchange, decoded: Bool
    ) {
        let result: ScrubResult
        switch PayloadGate.verdict(
            outcome, unit: .request, host: target.host, provider: target.provider,
            maxBody: runtime.configuration.limits.maxRequestBody)
        {
        case .unscanned(_, let refusal):
            return run(machine.scanned(.failure(refusal)))
        case .blocked(let blocked, let refusal):
            note(blocked, exchange)
            return run(machine.scanned(.failure(refusal)))
        case .passed(let passed):
            result = passed
        }
        note(result, exchange)
        exchange.apply(result, decoded: decoded)
        run(machine.scanned(.success(())))
    }

    /// What the scan found, for the decision log, the metrics and the ledger.
    private func note(_ result: ScrubResult, _ exchange: Exchange) {
        exchange.note(result)
        if let metrics = runtime.metrics {
            for (detector, count) in result.countsByDetector { metrics.finding(detector: detector, count: count) }
        }
    }

    /// The request's record is durable before anything is forwarded.
    private func recordIntent(_ exchange: Exchange, context: ChannelHandlerContext) {
        guard let ledger = runtime.ledger else { return }
        let event = exchange.intent(host: target.host)
        PayloadGate.recordIntent(event, ledger: ledger, eventLoop: context.eventLoop) { durable in
            guard self.exchange === exchange else { return }
            // Not durable: the refusal writes the whole record, not an outcome.
            if !durable { exchange.log.intentWritten = false }
            self.run(self.machine.intentRecorded(durable))
        }
    }

    private func connect(_ exchange: Exchange, context: ChannelHandlerContext) {
        runtime.pool(for: context.eventLoop).acquire(target.upstreamKey) { result in
            guard self.exchange === exchange, self.machine.stage == .awaitingUpstream else {
                // The client went away while the connection was being made.
                if case .success(let (connection, _)) = result { connection.pool?.release(connection) }
                return
            }
            switch result {
            case .success(let (connection, reused)):
                exchange.upstream = connection
                self.run(self.machine.upstreamConnected(reused: reused, now: .now()))
            case .failure(let error):
                self.run(self.machine.upstreamFailed(Self.classify(error)))
            }
        }
    }

    private static func classify(_ error: any Error) -> ExchangeStateMachine.UpstreamFailure {
        if let upstreamError = error as? UpstreamError { return .upstream(upstreamError) }
        if error is NIOSSLError || error is BoringSSLError { return .tls }
        return .other
    }

    /// The scrubber with this entry's overrides of the current policy.
    private var scrubber: Scrubber {
        Scrubber(
            policy: runtime.scrubPolicy.overriding(
                secrets: target.entry.scrubSecrets, code: target.entry.scrubCode, binary: target.entry.scrubBinary))
    }

    private var payloadKind: PayloadKind { target.provider.flatMap { PayloadKind(rawValue: $0.rawValue) } ?? .json }

    /// Serves requests the client pipelined, until one of them is in flight again.
    private func servePipelined(context: ChannelHandlerContext) {
        while machine.isReceiving, let part = pipelined.popFirst() {
            if case .body(let buffer) = part { pipelinedBytes -= buffer.readableBytes }
            pipelinedBytes -= 64
            receive(part, context: context)
        }
        if readPending && pipelinedBytes < Self.pipelineLimit {
            readPending = false
            context.read()
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
        if context.channel.isWritable { exchange?.upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        run(machine.quiesce())
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(machine.clientClosed(afterTerminalEvent: usageTap?.sawTerminalEvent == true))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let parseError = error is HTTPParserError
        // A request that is not HTTP/1.1 is recorded as such, not as the request it seemed to start.
        if parseError && machine.isReceiving { exchange = nil }
        run(machine.errorCaught(parseError: parseError))
    }

    /// The exchange's log with what the relayed response added: its size and token usage. The provider's answer to
    /// an upload part is noted (its id when it accepted the part).
    private func responseLog(_ exchange: Exchange) -> ExchangeRecord {
        let usage = usageTap?.finish()
        let id = (200..<300).contains(exchange.status) ? usageTap?.objectID : nil
        usageTap = nil
        return exchange.responseLog(
            responseBytes: responseBytes, usage: runtime.ledger == nil ? nil : usage, uploadID: id,
            uploads: runtime.uploads)
    }

    private func settleUpload(_ exchange: Exchange, id: String?) {
        if let part = exchange.takeUploadPart() { runtime.uploads.settle(part, id: id) }
    }
}

extension InterceptHandler: UpstreamResponseReceiver {
    var canAcceptResponseBytes: Bool { context?.channel.isWritable ?? false }

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        guard let exchange, let context else { return }
        let upgrade = head.status == .switchingProtocols && machine.request?.webSocket == true
        let action = machine.upstreamResponseHead(
            status: head.status.code,
            upgradeProblem: upgrade ? WebSocketUpgrade.problem(inResponse: head.headers) : nil)
        guard case .writeResponseHead(let close, let upgrading) = action else { return run(action) }
        exchange.releaseBody()
        exchange.status = head.status.code
        responseBytes = 0
        usageTap = nil
        if runtime.ledger != nil { exchange.log.tlsVersion = exchange.upstream?.tlsVersion }
        // The tap reads token usage for the ledger, the id the provider gave an upload part, and whether a stream's
        // terminal event went past.
        let readsID = exchange.upload.piece?.part != nil
        if target.provider != nil, runtime.ledger != nil || readsID || UsageTap.isEventStream(head.headers) {
            usageTap = UsageTap(headers: head.headers, readsID: readsID)
        }
        let relayed = exchange.clientResponseHead(
            head, close: close, upgrading: upgrading, findingsHeader: runtime.scrubPolicy.findingsHeader)
        context.write(wrapOutboundOut(.head(relayed)), promise: nil)
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
        guard let exchange, let context else { return }
        switch machine.upstreamResponseEnd(now: .now()) {
        case .startWebSocket:
            self.exchange = nil
            let session = WebSocketSession(
                runtime: runtime, target: target, path: exchange.path, kind: payloadKind, scrubber: scrubber,
                log: exchange.log)
            WebSocketHandover.start(session, client: context, upstream: exchange.upstream) {
                context.write(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        case .finish(let close):
            responseLog(exchange).emit(runtime, exchange.outcome, status: exchange.status)
            self.exchange = nil
            let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
            if close {
                written.assumeIsolated().whenComplete { _ in self.context?.close(promise: nil) }
            } else {
                servePipelined(context: context)
            }
        case let action:
            run(action)
        }
    }

    func upstreamFailed(_ error: any Error) {
        guard exchange != nil else { return }
        run(machine.upstreamFailed(Self.classify(error)))
    }
}

@available(*, unavailable)
extension InterceptHandler: Sendable {}
