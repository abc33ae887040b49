import AirlockLedger
import AirlockPolicy
import AirlockScrub
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// One intercepted WebSocket session to an inspected host (OpenAI's Realtime API, Gemini's Live API). Every message
/// the client sends passes `PayloadGate`, as a request body does, one at a time and in the order they came: a
/// message the scrubber changes or blocks gets its own ledger record, durable before the message leaves, while the
/// next ones are scanned. A refused message gets OpenAI's Realtime `error` event, or ends the session with a close
/// frame after the messages before it have left. What the provider sends is relayed frame by frame and read for
/// token usage (`WebSocketTotals`). Pings are answered here on each side and never relayed, since their payload
/// would leave unscanned. `docs/proxy.md` ("WebSocket sessions") has the whole contract.
///
/// Lives on the event loop that the client and upstream connections share. Its parts share this state:
/// the client's messages here, the provider's frames in `WebSocketSession+Upstream.swift`, the end in
/// `WebSocketSession+Ending.swift`.
final class WebSocketSession {
    let runtime: ProxyRuntime
    let target: InterceptTarget
    let path: String
    let kind: PayloadKind
    let scrubber: Scrubber
    /// The session's log line and ledger record; its outcome is added when it ends.
    var log: ExchangeRecord
    var client: ChannelHandlerContext?
    var upstream: ChannelHandlerContext?
    /// What the client sent, waiting for its turn: messages are scanned one at a time, in order.
    var pending = CircularBuffer<Incoming>()
    /// Bytes of the client's messages this session holds in the body budget: from the moment the decoder passes a
    /// message on until it leaves or is refused; what is left is given back when the session ends.
    var held = 0
    /// A message is being scanned on the thread pool.
    var scanning = false
    /// Scanned messages on their way out, in the order the client sent them: one whose ledger record is being
    /// written holds back those behind it, while the next messages are scanned and their records join the same
    /// batch.
    var outgoing = CircularBuffer<Outgoing>()
    /// How many scanned messages may wait to leave before the client's next ones are left unread.
    static let outgoingLimit = 64
    /// The session ends once the messages ahead of its end in `outgoing` have left: nothing more is read from the
    /// client.
    var ending = false
    var clientReadHeld = false
    var upstreamReadHeld = false
    /// The upstream is in the middle of a fragmented message: frames Airlock sends the client wait for its end.
    var upstreamMidMessage = false
    var heldForClient: [WebSocketFrame] = []
    var closeSentUpstream = false
    var closeSentToClient = false
    /// The close frames written to each side: the connections close once these are out.
    var clientClosed: EventLoopFuture<Void>?
    var upstreamClosed: EventLoopFuture<Void>?
    var finished = false
    var failure: FailureReason?
    var lastActivity = NIODeadline.now()
    var idleCheck: RepeatedTask?
    let idleTimeout: TimeAmount

    var totals = WebSocketTotals()

    init(
        runtime: ProxyRuntime, target: InterceptTarget, path: String, kind: PayloadKind, scrubber: Scrubber,
        log: ExchangeRecord
    ) {
        self.runtime = runtime
        self.target = target
        self.path = path
        self.kind = kind
        self.scrubber = scrubber
        self.log = log
        self.idleTimeout = .milliseconds(Int64(runtime.configuration.timeouts.idle * 1000))
    }

    func attach(client context: ChannelHandlerContext) {
        client = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let period = TimeAmount.milliseconds(max(100, min(5_000, idleTimeout.nanoseconds / 2_000_000)))
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            bound.value.checkIdle()
        }
    }

    func attach(upstream context: ChannelHandlerContext) { upstream = context }

    func checkIdle() {
        guard !finished, NIODeadline.now() > lastActivity + idleTimeout else { return }
        end(code: .goingAway, failure: nil)
    }

    // MARK: Client to upstream

    func fromClient(_ frame: WebSocketFrame) {
        guard !finished, !ending else { return }
        lastActivity = .now()
        switch frame.opcode {
        case .ping:
            // Answered here: a ping's payload is data the scrubber does not read, so none leaves.
            guard let client, !closeSentToClient else { return }
            client.writeAndFlush(
                NIOAny(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break  // the provider's pings are answered by Airlock, so a client's pong has nothing to answer
        case .text, .binary:
            held += frame.length
            pending.append(.message(frame))
            processNext()
        case .connectionClose:
            pending.append(.close(frame))
            processNext()
        default:
            end(code: .protocolError, failure: .webSocketProtocolError)
        }
    }

    /// The decoder could not take a message into the budget: it is refused in its turn, after those before it.
    func overBudget(size: Int) {
        guard !finished, !ending else { return }
        lastActivity = .now()
        totals.clientBytes += size
        pending.append(.overBudget(size: size))
        processNext()
    }

    /// Gives a message's bytes back to the budget once it has left or been refused.
    func release(_ size: Int) {
        guard !finished, size > 0 else { return }
        held -= size
        runtime.bodyBudget.give(size)
    }

    var holdsClientReads: Bool {
        scanning || ending || !pending.isEmpty || outgoing.count >= Self.outgoingLimit
            || !(upstream?.channel.isWritable ?? true)
    }

    func processNext() {
        turns: while !scanning, !finished, !ending, outgoing.count < Self.outgoingLimit,
            let next = pending.popFirst()
        {
            switch next {
            case .message(let frame):
                scan(frame)
            case .overBudget(let size):
                refuse(
                    .bodiesOverBudget(limit: runtime.bodyBudget.limit, host: target.host, provider: target.provider),
                    code: .tryAgainLater, messageLog: messageLog(size: size))
            case .close(let frame):
                // After every message before it.
                guard outgoing.isEmpty else {
                    pending.prepend(next)
                    break turns
                }
                // The code only: the reason is free text the scrubber has not read.
                var data = ByteBuffer()
                var payload = frame.unmaskedData
                if let code = payload.readWebSocketErrorCode() { data.write(webSocketErrorCode: code) }
                closeSentUpstream = true
                upstreamClosed = sendUpstream(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
                if closeSentToClient { finish() }
            }
        }
        if !holdsClientReads, clientReadHeld, let client {
            clientReadHeld = false
            client.read()
        }
    }

    func scan(_ frame: WebSocketFrame) {
        let bytes = Array(frame.unmaskedData.readableBytesView)
        totals.clientBytes += bytes.count
        guard let eventLoop = client?.eventLoop else { return }
        let (scrubber, kind, path) = (self.scrubber, self.kind, self.path)
        let scan: @Sendable () -> Result<ScrubResult, PayloadGate.ScanFailure> = {
            Result { () throws(ScrubError) in try scrubber.scrub(bytes, kind: kind, path: path) }
                .mapError(PayloadGate.ScanFailure.scrubbing)
        }
        let inline = PayloadGate.scansInline(size: bytes.count, compressed: false)
        scanning = !inline
        PayloadGate.run(scan, inline: inline, runtime: runtime, eventLoop: eventLoop) { outcome in
            self.scanning = false
            self.scanned(outcome, frame: frame, size: bytes.count)
            if !inline { self.processNext() }
        }
    }

    /// A record of its own for a message the scrubber changed or refused, as for a request.
    func messageLog(size: Int, scanned result: ScrubResult? = nil) -> ExchangeRecord {
        var message = ExchangeRecord(method: "WEBSOCKET", host: log.host, uri: path)
        message.entry = log.entry
        if let session = log.event {
            message.event = LedgerRecords.webSocketMessage(of: session, host: target.host, path: path, size: size)
        }
        if let result {
            message.scrub = PayloadGate.logSummary(result)
            if message.event != nil { LedgerRecords.scrubbed(&message.event!, result, received: size) }
        }
        return message
    }

    /// Adds a scanned message's findings to the session's and to the metrics.
    func count(_ result: ScrubResult) {
        totals.count(result)
        if let metrics = runtime.metrics {
            for (detector, count) in result.countsByDetector { metrics.finding(detector: detector, count: count) }
        }
    }

    func scanned(_ outcome: Result<ScrubResult, PayloadGate.ScanFailure>, frame: WebSocketFrame, size: Int) {
        guard !finished, !ending else { return }
        let result: ScrubResult
        switch PayloadGate.verdict(
            outcome, unit: .message, host: target.host, provider: target.provider,
            maxBody: runtime.configuration.limits.maxRequestBody)
        {
        case .unscanned(let failure, let refusal):
            release(size)
            let code: WebSocketErrorCode
            switch failure {
            case .scrubbing(let error) where error.code == .invalidJSON: code = .dataInconsistentWithMessage
            case .scannerUnavailable: code = .unexpectedServerError
            default: code = .policyViolation
            }
            return refuse(refusal, code: code, messageLog: messageLog(size: size))
        case .blocked(let blocked, let refusal):
            count(blocked)
            release(size)
            return refuse(refusal, code: .policyViolation, messageLog: messageLog(size: size, scanned: blocked))
        case .passed(let passed):
            result = passed
        }
        count(result)
        guard !result.findings.isEmpty else {
            send(Outgoing(frame.unmaskedData, opcode: frame.opcode, size: size))
            return
        }
        let message = messageLog(size: size, scanned: result)
        totals.redacted = totals.redacted || result.decision == .redacted
        var data = ByteBuffer()
        if result.changed { data.writeBytes(result.output) } else { data = frame.unmaskedData }
        guard let ledger = runtime.ledger, var event = message.event, let eventLoop = client?.eventLoop else {
            message.emit(runtime, Outcome(passed: result.decision), status: 0)
            send(Outgoing(data, opcode: frame.opcode, size: size))
            return
        }
        // As for a request, the record is durable before the message leaves. It is written whole, with its duration
        // (so it never reads as incomplete): nothing more is learnt about a message once it is forwarded.
        event.decision = RequestDecision(result.decision).ledger
        event.entry = message.entry
        event.durationMs = Int((NIODeadline.now() - message.start).nanoseconds / 1_000_000)
        let waiting = Outgoing(data, opcode: frame.opcode, size: size, recorded: false)
        outgoing.append(waiting)
        PayloadGate.recordIntent(event, ledger: ledger, eventLoop: eventLoop) { durable in
            guard !self.finished else { return }
            waiting.recorded = true
            if durable {
                message.emit(self.runtime, Outcome(passed: result.decision), status: 0, recorded: true)
            } else {
                waiting.data = nil
                self.refuse(
                    .failure(
                        .serviceUnavailable, reason: .ledgerUnavailable,
                        message: "Airlock could not record this message in its ledger, so it was not forwarded",
                        host: self.target.host, provider: self.target.provider), code: .unexpectedServerError,
                    messageLog: message, at: waiting)
            }
            self.sendReady()
            self.processNext()
        }
    }

    func send(_ message: Outgoing) {
        outgoing.append(message)
        sendReady()
    }

    /// Forwards the scanned messages at the head of the line whose records are durable.
    func sendReady() {
        while let first = outgoing.first, first.recorded {
            outgoing.removeFirst()
            release(first.size)
            if let end = first.end {
                self.end(code: end.code, failure: end.failure, reason: end.reason)
                return
            }
            guard let data = first.data else { continue }
            totals.forwardedBytes += data.readableBytes
            sendUpstream(WebSocketFrame(fin: true, opcode: first.opcode, data: data))
        }
    }

    /// Frames to the upstream are masked with a fresh key, as a client's must be.
    @discardableResult
    func sendUpstream(_ frame: WebSocketFrame) -> EventLoopFuture<Void>? {
        guard let upstream else { return nil }
        var frame = frame
        frame.maskKey = .random()
        return upstream.writeAndFlush(NIOAny(frame))
    }

    /// A message that is not forwarded. OpenAI's Realtime clients read an `error` event and go on; others are told
    /// in a close frame, and the session ends after the messages before this one (`place`, when it already waits
    /// in `outgoing`) have left.
    func refuse(
        _ response: ErrorResponse, code: WebSocketErrorCode, messageLog: ExchangeRecord, at place: Outgoing? = nil
    ) {
        messageLog.emit(runtime, response.outcome, status: response.status.code)
        if target.provider == .openai {
            var data = ByteBuffer()
            data.writeString(response.realtimeErrorEvent())
            sendToClient(WebSocketFrame(fin: true, opcode: .text, data: data))
            return
        }
        let failure: FailureReason? = if case .failed(let reason) = response.outcome { reason } else { nil }
        endInOrder(Outgoing.End(code: code, failure: failure, reason: response.closeReason()), at: place)
    }

    /// Ends the session once the messages the client sent before this point have left (each waits for its
    /// record at most): those behind are dropped, and nothing more is read.
    func endInOrder(code: WebSocketErrorCode) {
        endInOrder(Outgoing.End(code: code, failure: nil, reason: ""), at: nil)
    }

    func endInOrder(_ end: Outgoing.End, at place: Outgoing?) {
        guard !finished, !ending else { return }
        ending = true
        pending.removeAll()
        if let place {
            place.end = end
            while let last = outgoing.last, last !== place { outgoing.removeLast() }
        } else {
            let marker = Outgoing(nil, opcode: .connectionClose, size: 0)
            marker.end = end
            outgoing.append(marker)
        }
        sendReady()
    }
}

@available(*, unavailable)
extension WebSocketSession: Sendable {}

extension WebSocketErrorCode {
    /// 1013, Try Again Later (RFC 6455's registry): the server is overloaded for now.
    static let tryAgainLater = WebSocketErrorCode.unknown(1013)
}
