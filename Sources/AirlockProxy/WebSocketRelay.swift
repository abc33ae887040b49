import AirlockLedger
import AirlockPolicy
import AirlockScrub
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// One intercepted WebSocket session to an inspected host (OpenAI's Realtime API, Gemini's Live API): every message
/// the client sends is scanned by the scrubber before it leaves, like a request body; what the provider sends back
/// is relayed frame by frame and read for token usage.
///
/// - Client messages are scanned one at a time and leave in the order they came. A message the scrubber changes or
///   blocks gets its own ledger record, durable before the message is forwarded; while one waits for its record, the
///   next ones are scanned, so their records join the same commit. The session itself was recorded before the
///   upgrade was forwarded; its outcome (bytes each way, token usage) is written when it ends, and its log line
///   counts the findings of all its messages.
/// - A message that is blocked or cannot be scanned is never forwarded. An OpenAI client gets an `error` event in
///   the Realtime API's shape and the session goes on; other clients get a close frame (1008, or 1007 for a message
///   that is not JSON) with the reason code, and the session ends after the messages before it have left.
/// - A client message is held in the shared body budget from the moment its frame header announces it (see
///   `WebSocketClientDecoder`) until it leaves or is refused. One the budget cannot take is refused in its turn, as a
///   blocked one is, with `buffered_bodies_limit` (close code 1013).
/// - Compression (`permessage-deflate`) is never negotiated: the offer is taken out of the upgrade request, and a
///   frame with a reserved bit set ends the session as a protocol error.
/// - A close frame from the client is forwarded with its code only; its reason text is not scanned, so it stays.
/// - Pings are answered by Airlock on each connection and never relayed: a ping's or pong's payload is free data
///   that would otherwise leave unscanned.
///
/// Lives on the event loop that the client and upstream connections share.
final class WebSocketSession {
    private let runtime: ProxyRuntime
    private let target: InterceptTarget
    private let path: String
    private let kind: PayloadKind
    private let scrubber: Scrubber
    private var log: DecisionLog
    private var client: ChannelHandlerContext?
    private var upstream: ChannelHandlerContext?
    /// What the client sent, waiting for its turn: messages are scanned one at a time, in order.
    private var pending = CircularBuffer<Incoming>()
    /// Bytes of the client's messages this session holds in the body budget: from the moment the decoder passes a
    /// message on until it leaves or is refused; what is left is given back when the session ends.
    private var held = 0
    /// A message is being scanned on the thread pool.
    private var scanning = false
    /// Scanned messages on their way out, in the order the client sent them: one whose ledger record is being
    /// written holds back those behind it, while the next messages are scanned and their records join the same
    /// batch.
    private var outgoing = CircularBuffer<Outgoing>()
    /// How many scanned messages may wait to leave before the client's next ones are left unread.
    private static let outgoingLimit = 64
    /// The session ends once the messages ahead of its end in `outgoing` have left: nothing more is read from the
    /// client.
    private var ending = false
    private var clientReadHeld = false
    private var upstreamReadHeld = false
    /// The upstream is in the middle of a fragmented message: frames Airlock sends the client wait for its end.
    private var upstreamMidMessage = false
    private var heldForClient: [WebSocketFrame] = []
    /// A fragmented text message from the upstream, gathered to read its token usage; nil when none is being
    /// gathered (the message is binary, or longer than `usageReadLimit`).
    private var upstreamText: [UInt8]?
    private var closeSentUpstream = false
    private var closeSentToClient = false
    /// The close frames written to each side: the connections close once these are out.
    private var clientClosed: EventLoopFuture<Void>?
    private var upstreamClosed: EventLoopFuture<Void>?
    private var finished = false
    private var failure: String?
    private var lastActivity = NIODeadline.now()
    private var idleCheck: RepeatedTask?
    private let idleTimeout: TimeAmount

    // What the session's outcome records.
    private var clientBytes = 0
    private var forwardedBytes = 0
    private var upstreamBytes = 0
    private var usage = TokenUsage()
    private var findings: [String: Int] = [:]
    private var binaryParts = 0
    private var redacted = false

    /// How much of one fragmented upstream text message is gathered to read its usage.
    private static let usageReadLimit = 1 << 20

    init(
        runtime: ProxyRuntime, target: InterceptTarget, path: String, kind: PayloadKind, scrubber: Scrubber,
        log: DecisionLog
    ) {
        self.runtime = runtime
        self.target = target
        self.path = path
        self.kind = kind
        self.scrubber = scrubber
        self.log = log
        self.idleTimeout = .milliseconds(Int64(runtime.configuration.timeouts.idle * 1000))
    }

    /// The frame codecs and handlers that replace HTTP on each side once the upstream has answered 101.
    static func handlers(for session: WebSocketSession, maxMessage: Int) -> (
        client: [any ChannelHandler], upstream: [any ChannelHandler]
    ) {
        let frameLimit = min(maxMessage, Int(UInt32.max))
        let client: [any ChannelHandler] = [
            WebSocketFrameEncoder(),
            ByteToMessageHandler(WebSocketClientDecoder(budget: session.runtime.bodyBudget, maxMessage: frameLimit)),
            WebSocketClientSide(session: session),
        ]
        let upstream: [any ChannelHandler] = [
            WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: frameLimit)),
            WebSocketUpstreamSide(session: session),
        ]
        return (client, upstream)
    }

    fileprivate func attach(client context: ChannelHandlerContext) {
        client = context
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let period = TimeAmount.milliseconds(max(100, min(5_000, idleTimeout.nanoseconds / 2_000_000)))
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            bound.value.checkIdle()
        }
    }

    fileprivate func attach(upstream context: ChannelHandlerContext) { upstream = context }

    private func checkIdle() {
        guard !finished, NIODeadline.now() > lastActivity + idleTimeout else { return }
        end(code: .goingAway, failure: nil)
    }

    // MARK: Client to upstream

    fileprivate func fromClient(_ frame: WebSocketFrame) {
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
            end(code: .protocolError, failure: FailureReason.webSocketProtocolError.rawValue)
        }
    }

    /// The decoder could not take a message into the budget: it is refused in its turn, after those before it.
    fileprivate func overBudget(size: Int) {
        guard !finished, !ending else { return }
        lastActivity = .now()
        clientBytes += size
        pending.append(.overBudget(size: size))
        processNext()
    }

    /// Gives a message's bytes back to the budget once it has left or been refused.
    private func release(_ size: Int) {
        guard !finished, size > 0 else { return }
        held -= size
        runtime.bodyBudget.give(size)
    }

    fileprivate var holdsClientReads: Bool {
        scanning || ending || !pending.isEmpty || outgoing.count >= Self.outgoingLimit
            || !(upstream?.channel.isWritable ?? true)
    }

    private func processNext() {
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

    private func scan(_ frame: WebSocketFrame) {
        let bytes = Array(frame.unmaskedData.readableBytesView)
        clientBytes += bytes.count
        let (scrubber, kind, path) = (self.scrubber, self.kind, self.path)
        let work: @Sendable () -> Result<ScrubResult, ScrubError> = {
            Result { () throws(ScrubError) in try scrubber.scrub(bytes, kind: kind, path: path) }
        }
        guard bytes.count > ProxyRuntime.inlineScanLimit, let threadPool = runtime.threadPool,
            let eventLoop = client?.eventLoop
        else {
            scanned(work(), frame: frame, size: bytes.count)
            return
        }
        scanning = true
        threadPool.runIfActive(eventLoop: eventLoop, work).assumeIsolated().whenComplete { outcome in
            self.scanning = false
            switch outcome {
            case .success(let result): self.scanned(result, frame: frame, size: bytes.count)
            case .failure:
                self.release(bytes.count)
                self.refuse(
                    .failure(
                        .serviceUnavailable, reason: .scannerUnavailable,
                        message: "Airlock could not scan this message, so it was not forwarded", host: self.target.host,
                        provider: self.target.provider), code: .unexpectedServerError,
                    messageLog: self.messageLog(size: bytes.count))
            }
            self.processNext()
        }
    }

    /// A record of its own for a message the scrubber changed or refused, as for a request.
    private func messageLog(size: Int) -> DecisionLog {
        var message = DecisionLog(method: "WEBSOCKET", host: log.host, uri: path)
        message.entry = log.entry
        if var event = log.event {
            let session = event
            event = LedgerRecords.skeleton(method: "WEBSOCKET", host: target.host, path: path)
            event.clientAddress = session.clientAddress
            event.proxyUser = session.proxyUser
            event.scheme = session.scheme
            event.port = session.port
            event.provider = session.provider
            event.operation = session.operation
            event.requestModel = session.requestModel
            event.credentialID = session.credentialID
            event.requestBytes = size
            message.event = event
        }
        return message
    }

    private func scanned(_ outcome: Result<ScrubResult, ScrubError>, frame: WebSocketFrame, size: Int) {
        guard !finished, !ending else { return }
        let result: ScrubResult
        switch outcome {
        case .failure(let error):
            release(size)
            let status: HTTPResponseStatus = error.code == .timeBudgetExceeded ? .serviceUnavailable : .badRequest
            refuse(
                .failure(
                    status, reason: FailureReason(error.code),
                    message: "Airlock could not scan this message (\(error.message)), so it was not forwarded",
                    host: target.host, provider: target.provider),
                code: error.code == .invalidJSON ? .dataInconsistentWithMessage : .policyViolation,
                messageLog: messageLog(size: size))
            return
        case .success(let value):
            result = value
        }
        binaryParts += result.binaryParts
        for (detector, count) in result.countsByDetector {
            findings[detector, default: 0] += count
            runtime.metrics?.finding(detector: detector, count: count)
        }
        guard !result.findings.isEmpty else {
            send(Outgoing(frame.unmaskedData, opcode: frame.opcode, size: size))
            return
        }
        var message = messageLog(size: size)
        message.scrub = ScrubGate.logSummary(result)
        if message.event != nil { LedgerRecords.scrubbed(&message.event!, result, received: size) }
        if result.decision == .blocked {
            release(size)
            refuse(
                ScrubGate.blockedResponse(result, host: target.host, provider: target.provider, unit: "message"),
                code: .policyViolation,
                messageLog: message)
            return
        }
        redacted = redacted || result.decision == .redacted
        var data = ByteBuffer()
        if result.changed { data.writeBytes(result.output) } else { data = frame.unmaskedData }
        guard let ledger = runtime.ledger, var event = message.event, let eventLoop = client?.eventLoop else {
            message.emit(runtime, decision: RequestDecision(result.decision), status: 0)
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
        let promise = eventLoop.makePromise(of: Int64.self)
        ledger.append(event) { promise.completeWith($0.mapError { $0 as any Error }) }
        promise.futureResult.assumeIsolated().whenComplete { written in
            guard !self.finished else { return }
            switch written {
            case .success:
                message.emit(self.runtime, decision: RequestDecision(result.decision), status: 0, recorded: true)
                waiting.recorded = true
            case .failure:
                waiting.data = nil
                waiting.recorded = true
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

    /// A scanned message, to be forwarded once its record (if it needs one) is durable and those before it left;
    /// or the end of the session, once those before it left.
    private final class Outgoing {
        struct End {
            var code: WebSocketErrorCode
            var failure: String?
            var reason: String
        }

        /// Nil for a message that was refused after all (its record could not be written).
        var data: ByteBuffer?
        let opcode: WebSocketOpcode
        /// The bytes the client sent for it, held in the body budget until it leaves.
        let size: Int
        var recorded: Bool
        var end: End?

        init(_ data: ByteBuffer?, opcode: WebSocketOpcode, size: Int, recorded: Bool = true) {
            self.data = data
            self.opcode = opcode
            self.size = size
            self.recorded = recorded
        }
    }

    private func send(_ message: Outgoing) {
        outgoing.append(message)
        sendReady()
    }

    /// Forwards the scanned messages at the head of the line whose records are durable.
    private func sendReady() {
        while let first = outgoing.first, first.recorded {
            outgoing.removeFirst()
            release(first.size)
            if let end = first.end {
                self.end(code: end.code, failure: end.failure, reason: end.reason)
                return
            }
            guard let data = first.data else { continue }
            forwardedBytes += data.readableBytes
            sendUpstream(WebSocketFrame(fin: true, opcode: first.opcode, data: data))
        }
    }

    /// Frames to the upstream are masked with a fresh key, as a client's must be.
    @discardableResult
    private func sendUpstream(_ frame: WebSocketFrame) -> EventLoopFuture<Void>? {
        guard let upstream else { return nil }
        var frame = frame
        frame.maskKey = .random()
        return upstream.writeAndFlush(NIOAny(frame))
    }

    /// A message that is not forwarded. OpenAI's Realtime clients read an `error` event and go on; others are told
    /// in a close frame, and the session ends after the messages before this one (`place`, when it already waits
    /// in `outgoing`) have left.
    private func refuse(
        _ response: ErrorResponse, code: WebSocketErrorCode, messageLog: DecisionLog, at place: Outgoing? = nil
    ) {
        messageLog.emit(runtime, decision: response.decision, status: response.status.code, reason: response.reason)
        if target.provider == .openai {
            var data = ByteBuffer()
            data.writeString(response.realtimeErrorEvent())
            sendToClient(WebSocketFrame(fin: true, opcode: .text, data: data))
            return
        }
        endInOrder(Outgoing.End(code: code, failure: response.reason, reason: response.closeReason()), at: place)
    }

    /// Ends the session once the messages the client sent before this point have left (each waits for its
    /// record at most): those behind are dropped, and nothing more is read.
    fileprivate func endInOrder(code: WebSocketErrorCode) {
        endInOrder(Outgoing.End(code: code, failure: nil, reason: ""), at: nil)
    }

    private func endInOrder(_ end: Outgoing.End, at place: Outgoing?) {
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

    // MARK: Upstream to client

    fileprivate func fromUpstream(_ frame: WebSocketFrame) {
        guard !finished else { return }
        lastActivity = .now()
        if frame.rsv1 || frame.rsv2 || frame.rsv3 {
            end(code: .protocolError, failure: FailureReason.upstreamProtocolError.rawValue)
            return
        }
        let data = frame.unmaskedData
        switch frame.opcode {
        case .ping:
            // Answered here, as the client's are: a pong from the client would carry its own payload out.
            if !closeSentUpstream { sendUpstream(WebSocketFrame(fin: true, opcode: .pong, data: data)) }
            return
        case .pong:
            return
        default:
            break
        }
        upstreamBytes += data.readableBytes
        switch frame.opcode {
        case .text where frame.fin && !upstreamMidMessage:
            readUsage(data.readableBytesView)
        case .text:
            upstreamText = data.readableBytes <= Self.usageReadLimit ? Array(data.readableBytesView) : nil
        case .continuation:
            // Taken out while it grows, so that appending does not copy it.
            guard var text = upstreamText else { break }
            upstreamText = nil
            guard text.count + data.readableBytes <= Self.usageReadLimit else { break }
            text += data.readableBytesView
            if frame.fin { readUsage(text) } else { upstreamText = text }
        case .connectionClose:
            closeSentToClient = true
        default:
            break
        }
        switch frame.opcode {
        case .text, .binary, .continuation: upstreamMidMessage = !frame.fin
        default: break
        }
        guard let client else { return }
        let relayed = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: data)
        if frame.opcode == .connectionClose {
            clientClosed = client.writeAndFlush(NIOAny(relayed))
            if closeSentUpstream { finish() }
            return
        }
        client.write(NIOAny(relayed), promise: nil)
        if !upstreamMidMessage && !heldForClient.isEmpty {
            for held in heldForClient { client.write(NIOAny(held), promise: nil) }
            heldForClient = []
        }
    }

    /// Realtime events carry usage in `response.done` (`response.usage`); Gemini's in `usageMetadata`. Each is
    /// one response's count, so the session adds them up.
    private func readUsage(_ bytes: some Collection<UInt8>) {
        let payload = Array(bytes)
        guard UsageTap.carriesUsage(payload) else { return }
        var one = TokenUsage()
        one.absorb(json: payload)
        if let input = one.inputTokens { usage.inputTokens = (usage.inputTokens ?? 0) + input }
        if let output = one.outputTokens { usage.outputTokens = (usage.outputTokens ?? 0) + output }
        if let model = one.responseModel { usage.responseModel = model }
    }

    fileprivate func upstreamReadComplete() { client?.flush() }

    private func sendToClient(_ frame: WebSocketFrame) {
        guard let client else { return }
        if upstreamMidMessage {
            heldForClient.append(frame)
            return
        }
        client.writeAndFlush(NIOAny(frame), promise: nil)
    }

    fileprivate var holdsUpstreamReads: Bool { !(client?.channel.isWritable ?? true) }

    fileprivate func holdClientRead() { clientReadHeld = true }
    fileprivate func holdUpstreamRead() { upstreamReadHeld = true }

    fileprivate func writabilityChanged() {
        if !holdsUpstreamReads, upstreamReadHeld, let upstream {
            upstreamReadHeld = false
            upstream.read()
        }
        if !holdsClientReads, clientReadHeld, let client {
            clientReadHeld = false
            client.read()
        }
    }

    // MARK: Ending

    /// Ends the session from Airlock's side: a close frame to each side that has not had one, then both closed.
    fileprivate func end(code: WebSocketErrorCode, failure: String?, reason: String = "") {
        guard !finished else { return }
        if let failure, self.failure == nil { self.failure = failure }
        if !closeSentToClient, let client {
            var data = ByteBuffer()
            data.write(webSocketErrorCode: code)
            data.writeString(reason)
            heldForClient = []
            upstreamMidMessage = false
            closeSentToClient = true
            clientClosed = client.writeAndFlush(
                NIOAny(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
        }
        if !closeSentUpstream {
            var data = ByteBuffer()
            data.write(webSocketErrorCode: code == .goingAway ? .goingAway : .normalClosure)
            closeSentUpstream = true
            upstreamClosed = sendUpstream(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        }
        finish()
    }

    /// Either side's connection closed.
    fileprivate func sideClosed(failure: String?) {
        guard !finished else { return }
        if let failure, !(closeSentToClient && closeSentUpstream), self.failure == nil { self.failure = failure }
        finish()
    }

    /// Writes the session's outcome once and closes both connections after what was written to them.
    private func finish() {
        guard !finished else { return }
        finished = true
        idleCheck?.cancel()
        pending.removeAll()
        outgoing.removeAll()
        runtime.bodyBudget.give(held)
        held = 0
        log.responseBytes = upstreamBytes
        log.messageBytes = (clientBytes, forwardedBytes)
        log.usage = usage
        if !findings.isEmpty || binaryParts > 0 {
            log.scrub = ScrubLogSummary(
                decision: redacted ? .redacted : .allowed, counts: findings.sorted { $0.key < $1.key },
                binaryParts: binaryParts)
        }
        log.emit(
            runtime, decision: failure == nil ? (redacted ? .redacted : .allowed) : .error, status: 101,
            reason: failure)
        for (context, written) in [(client, clientClosed), (upstream, upstreamClosed)] {
            guard let channel = context?.channel else { continue }
            guard let written else {
                channel.close(promise: nil)
                continue
            }
            written.whenComplete { _ in channel.close(promise: nil) }
        }
        client = nil
        upstream = nil
    }
}

@available(*, unavailable)
extension WebSocketSession: Sendable {}

extension WebSocketSession {
    /// What the client sent, in order.
    private enum Incoming {
        case message(WebSocketFrame)
        case close(WebSocketFrame)
        /// A message the body budget could not take (`WebSocketClientDecoder.MessageOverBudget`).
        case overBudget(size: Int)
    }
}

extension WebSocketErrorCode {
    /// 1013, Try Again Later (RFC 6455's registry): the server is overloaded for now.
    static let tryAgainLater = WebSocketErrorCode.unknown(1013)
}

/// The client's end of a WebSocket session: whole messages in (fragments joined by the decoder before it).
final class WebSocketClientSide: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: WebSocketSession

    init(session: WebSocketSession) { self.session = session }

    func handlerAdded(context: ChannelHandlerContext) { session.attach(client: context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { session.fromClient(unwrapInboundIn(data)) }

    func read(context: ChannelHandlerContext) {
        if session.holdsClientReads { session.holdClientRead() } else { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        session.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            session.endInOrder(code: .goingAway)
            return
        }
        if let refused = event as? WebSocketClientDecoder.MessageOverBudget {
            session.overBudget(size: refused.size)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.sideClosed(failure: FailureReason.clientClosed.rawValue)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Oversized or malformed frames: the message is not forwarded, and the session ends.
        guard let violation = error as? WebSocketClientDecoder.Violation else {
            session.end(code: .protocolError, failure: FailureReason.webSocketProtocolError.rawValue)
            return
        }
        let reason = violation.reason.rawValue + ": " + violation.detail
        session.end(
            code: violation.reason == .tooLarge ? .messageTooLarge : .protocolError,
            failure: violation.reason.rawValue, reason: String(decoding: reason.utf8.prefix(123), as: UTF8.self))
    }
}

/// The upstream's end of a WebSocket session: frames relayed to the client as they come.
final class WebSocketUpstreamSide: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: WebSocketSession

    init(session: WebSocketSession) { self.session = session }

    func handlerAdded(context: ChannelHandlerContext) { session.attach(upstream: context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { session.fromUpstream(unwrapInboundIn(data)) }

    func channelReadComplete(context: ChannelHandlerContext) { session.upstreamReadComplete() }

    func read(context: ChannelHandlerContext) {
        if session.holdsUpstreamReads { session.holdUpstreamRead() } else { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        session.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.sideClosed(failure: FailureReason.upstreamClosed.rawValue)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        session.end(code: .unexpectedServerError, failure: FailureReason.upstreamFailed.rawValue)
    }
}

@available(*, unavailable)
extension WebSocketClientSide: Sendable {}

@available(*, unavailable)
extension WebSocketUpstreamSide: Sendable {}
