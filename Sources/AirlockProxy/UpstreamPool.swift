import AirlockPolicy
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Receives one upstream response. Implemented by the handler that owns the client side of an exchange.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamResponseHead(_ head: HTTPResponseHead)
    func upstreamResponseBody(_ buffer: ByteBuffer)
    func upstreamResponseEnd(_ trailers: HTTPHeaders?)
    func upstreamFailed(_ error: any Error)
    /// The upstream finished a read: a good moment to flush what was relayed.
    func upstreamReadComplete()
    /// Whether the client can take more bytes; when false the upstream stops reading.
    var canAcceptResponseBytes: Bool { get }
}

/// Which upstream connection a request may use. Connections are reused only for the same name, port and scheme.
struct UpstreamKey: Hashable {
    var host: String
    var port: Int
    var tls: Bool
}

/// Why an upstream connection could not be had.
enum UpstreamError: Error, Equatable {
    case restricted(AddressRestriction)
    case dnsFailure
    case dnsTimeout
    case connectFailed
    case connectionClosed
    case responseTimeout

    /// The refusal the client gets: a denial for a restricted address, a failure otherwise.
    func refusal(host: String, provider: Provider? = nil) -> ErrorResponse {
        let (status, reason, message): (HTTPResponseStatus, FailureReason, String)
        switch self {
        case .restricted: return .denied(.addressRestricted, host: host, provider: provider)
        case .dnsFailure:
            (status, reason, message) = (.badGateway, .dnsFailure, "the destination host could not be resolved")
        case .dnsTimeout:
            (status, reason, message) = (.gatewayTimeout, .dnsTimeout, "resolving the destination host timed out")
        case .connectFailed:
            (status, reason, message) = (
                .badGateway, .upstreamConnectFailed, "could not connect to the upstream server"
            )
        case .connectionClosed:
            (status, reason, message) = (.badGateway, .upstreamClosed, "the upstream server closed the connection")
        case .responseTimeout:
            (status, reason, message) = (
                .gatewayTimeout, .upstreamTimeout, "the upstream server did not respond in time"
            )
        }
        return .failure(status, reason: reason, message: message, host: host, provider: provider)
    }
}

/// Keep-alive upstream connections for one event loop. Only touched on that loop, so it needs no locks,
/// and a client connection and its upstream connection always share a loop.
final class UpstreamPool {
    private let eventLoop: any EventLoop
    private let runtime: ProxyRuntime
    private var idle: [UpstreamKey: [UpstreamConnectionHandler]] = [:]
    private let idleTimeout: TimeAmount
    private var reaper: RepeatedTask?

    init(eventLoop: any EventLoop, runtime: ProxyRuntime) {
        self.eventLoop = eventLoop
        self.runtime = runtime
        self.idleTimeout = .milliseconds(Int64(runtime.configuration.timeouts.idle * 1000))
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let period = TimeAmount.milliseconds(max(100, min(10_000, idleTimeout.nanoseconds / 2_000_000)))
        reaper = eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in bound.value.closeExpired() }
    }

    /// Closes pooled connections that have been idle longer than `timeouts.idle`.
    private func closeExpired() {
        let cutoff = NIODeadline.now() - idleTimeout
        for (key, list) in idle {
            for connection in list where connection.idleSince < cutoff { connection.close() }
            let fresh = list.filter { $0.idleSince >= cutoff }
            idle[key] = fresh.isEmpty ? nil : fresh
        }
    }

    typealias Acquired = Result<(connection: UpstreamConnectionHandler, reused: Bool), any Error>

    /// Hands an idle connection for `key`, or a new one, to `completion` on this loop. `reused` tells the caller
    /// that a retry is safe if the connection fails before any response byte.
    func acquire(_ key: UpstreamKey, _ completion: @escaping (Acquired) -> Void) {
        eventLoop.assertInEventLoop()
        while var list = idle[key], let connection = list.popLast() {
            idle[key] = list.isEmpty ? nil : list
            if connection.isUsable {
                completion(.success((connection, true)))
                return
            }
        }
        connect(key) { completion($0.map { ($0, false) }) }
    }

    func release(_ connection: UpstreamConnectionHandler) {
        eventLoop.assertInEventLoop()
        guard connection.isUsable else { return }
        var list = idle[connection.key, default: []]
        if list.count >= runtime.configuration.upstream.maxIdleConnectionsPerHost {
            connection.close()
            return
        }
        connection.idleSince = .now()
        list.append(connection)
        idle[connection.key] = list
    }

    func remove(_ connection: UpstreamConnectionHandler) {
        guard var list = idle[connection.key], let index = list.firstIndex(where: { $0 === connection }) else { return }
        list.remove(at: index)
        idle[connection.key] = list.isEmpty ? nil : list
    }

    private func connect(
        _ key: UpstreamKey, _ completion: @escaping (Result<UpstreamConnectionHandler, any Error>) -> Void
    ) {
        let configuration = runtime.configuration
        let resolved: EventLoopFuture<PinnedResolver.Resolved>
        if let target = configuration.upstream.connectTarget(host: key.host, port: key.port) {
            resolved = runtime.resolver.resolve(host: target.host, port: target.port, checked: false, on: eventLoop)
        } else {
            resolved = runtime.resolver.resolve(host: key.host, port: key.port, checked: true, on: eventLoop)
        }
        resolved.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let resolution): self.connect(key, addresses: resolution.addresses[...], completion)
            case .failure(let error): completion(.failure(UpstreamError(resolution: error)))
            }
        }
    }

    /// Tries the checked addresses in order; the name is never resolved again.
    private func connect(
        _ key: UpstreamKey, addresses: ArraySlice<SocketAddress>,
        _ completion: @escaping (Result<UpstreamConnectionHandler, any Error>) -> Void
    ) {
        guard let address = addresses.first else {
            completion(.failure(UpstreamError.connectFailed))
            return
        }
        let runtime = self.runtime
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.milliseconds(Int64(runtime.configuration.timeouts.connect * 1000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if key.tls {
                        try sync.addHandler(
                            try NIOSSLClientHandler(context: runtime.upstreamTLS, serverHostname: key.host))
                        try sync.addHandler(RecordCoalescer())
                    }
                    // After a WebSocket upgrade, frames that came with the 101 pass on to the frame decoder.
                    try sync.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes)
                    try sync.addHandler(UpstreamConnectionHandler(key: key))
                }
            }
        bootstrap.connect(to: address).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                    handler.pool = self
                    completion(.success(handler))
                } catch {
                    channel.close(promise: nil)
                    completion(.failure(UpstreamError.connectFailed))
                }
            case .failure:
                let rest = addresses.dropFirst()
                if rest.isEmpty {
                    completion(.failure(UpstreamError.connectFailed))
                } else {
                    self.connect(key, addresses: rest, completion)
                }
            }
        }
    }
}

extension UpstreamError {
    init(resolution error: any Error) {
        switch error as? PinnedResolver.Failure {
        case .restricted(let r)?: self = .restricted(r)
        case .timedOut?: self = .dnsTimeout
        default: self = .dnsFailure
        }
    }
}

/// The handler at the end of an upstream connection's pipeline: sends one request at a time and relays the
/// response to its receiver, reading from the upstream only while the client can take more bytes.
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let key: UpstreamKey
    weak var pool: UpstreamPool?
    private weak var receiver: (any UpstreamResponseReceiver)?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var responseKeepAlive = true
    private var active = true
    /// Switched to WebSocket: the connection belongs to a session now.
    private var upgraded = false
    /// When the connection last went back to the pool.
    var idleSince = NIODeadline.now()

    /// The negotiated TLS version of this upstream connection (`1.2`, `1.3`), for the ledger.
    var tlsVersion: String? {
        guard let context, let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
        else { return nil }
        switch tls.tlsVersion {
        case .tlsv13?: return "1.3"
        case .tlsv12?: return "1.2"
        case .tlsv11?: return "1.1"
        case .tlsv1?: return "1.0"
        default: return nil
        }
    }

    init(key: UpstreamKey) {
        self.key = key
    }

    var isUsable: Bool { active && receiver == nil && (context?.channel.isActive ?? false) }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends a complete request; the response goes to `receiver`.
    func send(head: HTTPRequestHead, body: ByteBuffer?, to receiver: any UpstreamResponseReceiver) {
        guard let context else {
            receiver.upstreamFailed(UpstreamError.connectionClosed)
            return
        }
        self.receiver = receiver
        responseKeepAlive = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Called when the client becomes writable again: lets a held-back read through.
    func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    /// Reads stay registered with the selector; while the client cannot take more bytes, the read is held back.
    func read(context: ChannelHandlerContext) {
        if let receiver, !receiver.canAcceptResponseBytes {
            pendingRead = true
            return
        }
        context.read()
    }

    func close() {
        active = false
        context?.close(promise: nil)
    }

    /// After a 101 the connection is handed to a WebSocket session: it never returns to the pool, and this handler
    /// lets go of it.
    func handOver() -> (any Channel)? {
        guard let context, active else { return nil }
        upgraded = true
        active = false
        receiver = nil
        pool?.remove(self)
        return context.channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard let receiver else { return }
        switch part {
        case .head(let head):
            responseKeepAlive = head.isKeepAlive
            receiver.upstreamResponseHead(head)
        case .body(let buffer):
            receiver.upstreamResponseBody(buffer)
        case .end(let trailers):
            self.receiver = nil
            receiver.upstreamResponseEnd(trailers)
            if upgraded { return }
            if responseKeepAlive && active {
                pool?.release(self)
            } else {
                close()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        receiver?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        pool?.remove(self)
        if let receiver {
            self.receiver = nil
            receiver.upstreamFailed(UpstreamError.connectionClosed)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        active = false
        if let receiver {
            self.receiver = nil
            receiver.upstreamFailed(error)
        }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamConnectionHandler: Sendable {}
