import AirlockPolicy
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The admin listener, off the proxy port: `GET /healthz` and Prometheus `GET /metrics`. Nothing else.
package final class AdminServer: Service, Sendable {
    let listen: HostPort
    let metrics: ProxyMetrics
    let health: @Sendable () -> Bool
    let refresh: @Sendable () -> Void
    let group: any EventLoopGroup
    let announce: @Sendable (String) -> Void
    /// The listening socket, once bound.
    private let bound = NIOLockedValueBox<(any Channel)?>(nil)

    package init(
        listen: HostPort, metrics: ProxyMetrics, health: @escaping @Sendable () -> Bool,
        refresh: @escaping @Sendable () -> Void, group: any EventLoopGroup,
        announce: @escaping @Sendable (String) -> Void
    ) {
        self.refresh = refresh
        self.listen = listen
        self.metrics = metrics
        self.health = health
        self.group = group
        self.announce = announce
    }

    /// Binds the listening socket, so that every listener can be bound before any is announced; `run` then serves
    /// on it (and binds first if nobody did).
    package func bind() async throws {
        let metrics = self.metrics
        let health = self.health
        let refresh = self.refresh
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        AdminHandler(metrics: metrics, health: health, refresh: refresh))
                }
            }
            .bind(host: listen.host, port: listen.port).get()
        bound.withLockedValue { $0 = channel }
    }

    package func run() async throws {
        if bound.withLockedValue({ $0 }) == nil { try await bind() }
        guard let channel = bound.withLockedValue({ $0 }) else { return }
        let port = channel.localAddress?.port ?? listen.port
        announce("airlock admin listening on \(HostPort(host: listen.host, port: port))")
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Answers one admin request per message.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: ProxyMetrics
    private let health: @Sendable () -> Bool
    private let refresh: @Sendable () -> Void
    private var head: HTTPRequestHead?

    init(metrics: ProxyMetrics, health: @escaping @Sendable () -> Bool, refresh: @escaping @Sendable () -> Void) {
        self.metrics = metrics
        self.health = health
        self.refresh = refresh
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let (status, type, body): (HTTPResponseStatus, String, [UInt8]) =
                switch (head.method, path) {
                case (.GET, "/metrics"):
                    {
                        refresh(); return (.ok, "text/plain; version=0.0.4", metrics.render())
                    }()
                case (.GET, "/healthz"):
                    health()
                        ? (.ok, "application/json", Array(#"{"status":"ok"}"#.utf8))
                        : (.serviceUnavailable, "application/json", Array(#"{"status":"ledger_unavailable"}"#.utf8))
                default: (.notFound, "application/json", Array(#"{"error":"not_found"}"#.utf8))
                }
            var headers = HTTPHeaders([("content-type", type), ("content-length", String(body.count))])
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: nil)
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
            self.head = nil
        }
    }
}

@available(*, unavailable)
extension AdminHandler: Sendable {}
