import AirlockLedger
import AirlockPolicy
import AirlockTLS
import Atomics
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// The first handler on every client connection. It reads the proxy request (`CONNECT host:port` or an
/// absolute-form request), authenticates it, checks the allowlist and the destination's addresses, and then
/// turns the connection into an intercepted TLS session, a plain-HTTP inspected session or a byte tunnel.
package final class EntryHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case awaitingHead
        /// Deciding (DNS) or connecting a tunnel; request parts that arrive meanwhile are held, bounded.
        case deciding
        /// The pipeline has been rebuilt; leftover bytes from the decoder are passed on raw.
        case handedOff
        case refused
    }

    private let runtime: ProxyRuntime
    private var state = State.awaitingHead
    /// The authenticated proxy user, recorded in the ledger.
    private var proxyUser: String?
    private var headTimer: Scheduled<Void>?
    /// Parts of the proxy request that arrived while deciding; replayed to an inspected plain-HTTP handler.
    private var heldParts: [HTTPServerRequestPart] = []
    private var heldBytes = 0
    private var requestEnded = false
    /// The hand-off, once decided, waits for the request's end so that the decoder has nothing left to emit.
    private var pendingHandOff: (() -> Void)?

    package init(runtime: ProxyRuntime) {
        self.runtime = runtime
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        let timeout = TimeAmount.milliseconds(Int64(runtime.configuration.timeouts.requestHead * 1000))
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            if case .awaitingHead = self.state { context.close(promise: nil) }
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) { headTimer?.cancel() }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .handedOff:
            context.fireChannelRead(data)
        case .awaitingHead:
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            headTimer?.cancel()
            receive(head, context: context)
        case .deciding:
            let part = unwrapInboundIn(data)
            switch part {
            case .end:
                requestEnded = true
                if let handOff = pendingHandOff {
                    pendingHandOff = nil
                    handOff()
                }
            case .body(let buffer):
                heldBytes += buffer.readableBytes
                if heldBytes > runtime.configuration.limits.maxRequestBody {
                    refuse(
                        .failure(
                            .payloadTooLarge, reason: .requestTooLarge,
                            message: "the request body exceeds limits.max_request_body", host: ""),
                        ExchangeRecord(method: "-", host: "-", uri: "/"), context: context)
                    return
                }
                heldParts.append(part)
            case .head:
                heldParts.append(part)
            }
        case .refused:
            break
        }
    }

    /// Runs `handOff` now if the request has ended, else when its end arrives.
    private func whenRequestEnded(_ handOff: @escaping () -> Void) {
        if requestEnded {
            handOff()
        } else {
            pendingHandOff = handOff
        }
    }

    private func receive(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .deciding
        let isConnect = head.method == .CONNECT
        // The host is logged once it has been parsed and normalised: a raw target may carry anything.
        var log = ExchangeRecord(method: head.method.rawValue, host: "-", uri: isConnect ? "/" : head.uri)
        if runtime.ledger != nil { log.event = LedgerRecords.proxyRequest(head, client: context.channel.remoteAddress) }
        let authenticator = runtime.authenticator
        let user = authenticator?.authenticate(head.headers)
        log.event?.proxyUser = LedgerEvent.safeIdentifier(user)
        proxyUser = user
        if authenticator != nil, user == nil {
            let failures = runtime.counters.proxyAuthFailures.wrappingIncrementThenLoad(ordering: .relaxed)
            runtime.logger.notice(
                "proxy authentication failed", metadata: ["failures_total": .stringConvertible(failures)])
            refuse(.denied(.proxyAuthenticationRequired, host: ""), log, context: context)
            return
        }
        if isConnect {
            guard let (host, port) = HostPort.split(Substring(head.uri)), let host, let port, port > 0 else {
                refuse(
                    .failure(
                        .badRequest, reason: .invalidConnectTarget, message: "CONNECT needs host:port", host: ""),
                    log, context: context)
                return
            }
            decide(host: host, port: port, scheme: .https, log: log, context: context) { target in
                self.whenRequestEnded {
                    switch target.entry.mode {
                    case .inspect: self.intercept(target, context: context)
                    case .tunnel: self.tunnel(target, log: log, context: context)
                    }
                }
            }
            return
        }
        if head.uri.lowercased().hasPrefix("http://") {
            let rest = head.uri.dropFirst("http://".count)
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard let (host, port) = InterceptTarget.splitAuthority(String(authority)) else {
                refuse(
                    .failure(
                        .badRequest, reason: .invalidRequestTarget,
                        message: "the absolute URI has no valid authority", host: ""), log, context: context)
                return
            }
            var log = log
            log.host = LedgerRecords.hostName(host) ?? "-"
            decide(host: host, port: port ?? 80, scheme: .http, log: log, context: context) { target in
                self.inspectPlain(target, head: head, context: context)
            }
            return
        }
        refuse(
            .failure(
                .badRequest, reason: .notAProxyRequest,
                message: "Airlock is a forward proxy: use CONNECT host:443 (set HTTPS_PROXY)", host: ""), log,
            context: context)
    }

    /// Allowlist first, then the destination's addresses; `next` runs only for an allowed, public destination.
    private func decide(
        host: String, port: Int, scheme: AllowlistEntry.Scheme, log: ExchangeRecord, context: ChannelHandlerContext,
        next: @escaping (InterceptTarget) -> Void
    ) {
        var log = log
        switch runtime.allowlist.match(host: host, port: port, scheme: scheme) {
        case .denied(let reason, let normalized):
            let shown = LedgerRecords.hostName(normalized) ?? ""
            log.host = shown.isEmpty ? "-" : shown
            refuse(.denied(reason, host: shown), log, context: context)
        case .allowed(let entry, let normalized):
            log.host = LedgerRecords.hostName(normalized, limit: 255) ?? "-"
            log.entry = entry.hostPattern
            let target = InterceptTarget(host: normalized, port: port, scheme: scheme, entry: entry)
            let resolution: EventLoopFuture<PinnedResolver.Resolved>
            if let override = runtime.configuration.upstream.connectTarget(host: normalized, port: port) {
                resolution = runtime.resolver.resolve(
                    host: override.host, port: override.port, checked: false, on: context.eventLoop)
            } else {
                resolution = runtime.resolver.resolve(
                    host: normalized, port: port, checked: true, on: context.eventLoop)
            }
            resolution.assumeIsolated().whenComplete { result in
                switch result {
                case .success(let resolved):
                    self.resolved = resolved
                    next(target)
                case .failure(let error):
                    let shown = LedgerRecords.hostName(normalized, limit: 255) ?? ""
                    self.refuse(UpstreamError(resolution: error).refusal(host: shown), log, context: context)
                }
            }
        }
    }

    /// Checked addresses for a tunnel.
    private var resolved: PinnedResolver.Resolved?

    /// `inspect` entry: answer 200, then wait for the client hello, check its server name and terminate TLS.
    private func intercept(_ target: InterceptTarget, context: ChannelHandlerContext) {
        let runtime = self.runtime
        let channel = context.channel
        let proxyUser = self.proxyUser
        let client = context.channel.remoteAddress
        let sni = ByteToMessageHandler(
            SNIHandler { result in
                let denial: DenyReason? =
                    switch result {
                    case .fallback: IPAddress(parsing: target.host) == nil ? .sniMissing : nil
                    case .hostname(let name): InterceptTarget.normalise(name) == target.host ? nil : .sniMismatch
                    }
                return channel.eventLoop.makeCompletedFuture {
                    let tlsContext = try runtime.interception.context(for: target.host)
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: tlsContext), position: .last)
                    try sync.addHandler(RecordCoalescer(), position: .last)
                    // Pipelined requests are queued by InterceptHandler itself. Response headers are either Airlock's
                    // own or were parsed and validated by the upstream decoder.
                    try sync.configureHTTPServerPipeline(
                        position: .last, withPipeliningAssistance: false, withErrorHandling: false,
                        withOutboundHeaderValidation: false)
                    try sync.addHandler(
                        InterceptHandler(
                            runtime: runtime, target: target, presetDenial: denial, proxyUser: proxyUser,
                            client: client), position: .last)
                    // From here the intercept handler watches idleness with its own deadlines.
                    sync.removeHandler(try sync.handler(type: IdleStateHandler.self), promise: nil)
                    sync.removeHandler(try sync.handler(type: ClientHelloDeadline.self), promise: nil)
                }
            })
        let deadline = ClientHelloDeadline(
            timeout: .milliseconds(Int64(runtime.configuration.timeouts.requestHead * 1000)))
        switchPipeline(context: context, adding: [sni, deadline]) {
            ExchangeRecord(method: "CONNECT", host: target.host, uri: "/").emit(runtime, .intercept, status: 200)
        }
    }

    /// Absolute-form `http://` request allowed by an entry with `scheme: http`: inspect it like an intercepted request.
    private func inspectPlain(_ target: InterceptTarget, head: HTTPRequestHead, context: ChannelHandlerContext) {
        do {
            let handler = InterceptHandler(
                runtime: runtime, target: target, proxyUser: proxyUser, client: context.channel.remoteAddress)
            try context.pipeline.syncOperations.addHandler(handler, position: .after(self))
            state = .handedOff
            context.fireChannelRead(wrapInboundOut(.head(head)))
            for part in heldParts { context.fireChannelRead(wrapInboundOut(part)) }
            if requestEnded { context.fireChannelRead(wrapInboundOut(.end(nil))) }
            heldParts = []
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    /// `tunnel` entry: connect to the checked address, answer 200 and relay bytes.
    private func tunnel(_ target: InterceptTarget, log: ExchangeRecord, context: ChannelHandlerContext) {
        guard let addresses = resolved?.addresses, let address = addresses.first else {
            refuse(
                .failure(.badGateway, reason: .dnsFailure, message: "no address", host: target.host), log,
                context: context)
            return
        }
        let runtime = self.runtime
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.milliseconds(Int64(runtime.configuration.timeouts.connect * 1000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .failure:
                    self.refuse(
                        .failure(
                            .badGateway, reason: .upstreamConnectFailed,
                            message: "could not connect to the upstream server", host: target.host), log,
                        context: context)
                case .success(let upstream):
                    let (local, remote) = GlueHandler.pair()
                    do {
                        try upstream.pipeline.syncOperations.addHandler(
                            IdleStateHandler(allTimeout: .seconds(Int64(runtime.configuration.timeouts.idle))))
                        try upstream.pipeline.syncOperations.addHandler(remote)
                    } catch {
                        upstream.close(promise: nil)
                        context.close(promise: nil)
                        return
                    }
                    self.switchPipeline(context: context, adding: [local]) {
                        log.emit(runtime, .tunnel, status: 200)
                    }
                }
            }
    }

    /// Writes the raw `200` for CONNECT, removes the HTTP codec and this handler, and installs `handlers`.
    /// Bytes the client sent right after the CONNECT head are forwarded to the new handlers.
    private func switchPipeline(
        context: ChannelHandlerContext, adding handlers: [any ChannelHandler], then done: @escaping () -> Void
    ) {
        let sync = context.pipeline.syncOperations
        do {
            let encoder = try sync.handler(type: HTTPResponseEncoder.self)
            sync.removeHandler(encoder, promise: nil)
            var established = context.channel.allocator.buffer(capacity: 40)
            established.writeString("HTTP/1.1 200 Connection established\r\n\r\n")
            context.writeAndFlush(NIOAny(established), promise: nil)
            try sync.addHandlers(handlers, position: .last)
            state = .handedOff
            let decoder = try sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            sync.removeHandler(decoder, promise: nil)
            sync.removeHandler(context: context, promise: nil)
            done()
        } catch {
            context.close(promise: nil)
        }
    }

    private func refuse(_ response: ErrorResponse, _ log: ExchangeRecord, context: ChannelHandlerContext) {
        state = .refused
        log.emit(runtime, response.outcome, status: response.status.code)
        context.writeErrorResponse(response, keepAlive: false, wrap: wrapOutboundOut)
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent || event is IdleStateHandler.IdleStateEvent {
            if case .awaitingHead = state { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .awaitingHead = state, error is HTTPParserError {
            refuse(
                .failure(
                    .badRequest, reason: .malformedRequest, message: "the proxy request is not valid HTTP/1.1",
                    host: ""), ExchangeRecord(method: "-", host: "-", uri: "/"), context: context)
            return
        }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension EntryHandler: Sendable {}
