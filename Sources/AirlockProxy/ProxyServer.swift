import AirlockLedger
import AirlockPolicy
import AirlockScrub
import AirlockTLS
import Atomics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The listening proxy as a lifecycle service: binds, announces its address on stdout, and on graceful
/// shutdown stops accepting, lets in-flight requests finish within the grace period, then closes the rest.
public final class ProxyServer: Service, Sendable {
    private let runtime: ProxyRuntime
    private let group: any EventLoopGroup
    private let children = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let announce: @Sendable (String) -> Void
    /// The listening socket, once bound.
    private let bound = NIOLockedValueBox<(any Channel)?>(nil)

    /// - Parameters:
    ///   - credentials: `user:password` pairs for proxy authentication; empty means none.
    ///   - announce: receives the `airlock listening on HOST:PORT` line once the socket is bound.
    package init(
        configuration: AirlockConfiguration,
        allowlist: Allowlist,
        authority: CertificateAuthority,
        credentials: [String],
        group: any EventLoopGroup,
        threadPool: NIOThreadPool,
        ledger: LedgerWriter? = nil,
        ledgerKeys: LedgerKeys? = nil,
        metrics: ProxyMetrics? = nil,
        logger: Logger,
        announce: @escaping @Sendable (String) -> Void
    ) throws {
        var own = Set<IPAddress>()
        if let listen = IPAddress(parsing: configuration.listen.host) {
            if listen.bytes.allSatisfy({ $0 == 0 }) {
                // A wildcard listener answers on every interface address.
                for device in (try? System.enumerateDevices()) ?? [] {
                    if let ip = device.address?.ipAddress, let parsed = IPAddress(parsing: ip) { own.insert(parsed) }
                }
            } else {
                own.insert(listen)
            }
        }
        let resolver = PinnedResolver(
            pool: threadPool, timeout: .milliseconds(Int64(configuration.timeouts.dns * 1000)), ownAddresses: own)
        let authenticator = credentials.isEmpty ? nil : ProxyAuthenticator(pairs: credentials)
        self.runtime = ProxyRuntime(
            configuration: configuration,
            allowlist: allowlist,
            interception: try InterceptionContexts(authority: authority),
            upstreamTLS: try UpstreamTLS.makeContext(extraCAFile: configuration.upstream.caFile),
            resolver: resolver,
            authenticator: authenticator,
            logger: logger,
            threadPool: threadPool,
            ledger: ledger,
            ledgerKeys: ledgerKeys,
            metrics: metrics
        )
        self.group = group
        self.announce = announce
    }

    /// Open client connections, for the metrics gauge.
    package var openConnections: Int { runtime.counters.openConnections.load(ordering: .relaxed) }
    /// Bytes of request bodies held now, for the metrics gauge.
    package var bufferedBodies: Int { runtime.bodyBudget.inUse }

    /// Swaps the allowlist atomically; connections already decided keep the entry they matched.
    public func replaceAllowlist(_ allowlist: Allowlist) { runtime.replaceAllowlist(allowlist) }

    /// Swaps the configuration's scrub policy; it applies from each connection's next request.
    package func replaceScrubPolicy(_ policy: ScrubPolicy) { runtime.replaceScrubPolicy(policy) }

    /// Swaps the proxy credentials (`user:password` lines) for connections opened from now on. Authentication is
    /// never turned on or off while the proxy runs: this returns false, and changes nothing, when it is off or
    /// `pairs` holds no credential.
    public func replaceCredentials(_ pairs: [String]) -> Bool { runtime.replaceCredentials(pairs) }

    /// Binds the listening socket, so that every listener can be bound before any is announced; `run` then serves
    /// on it (and binds first if nobody did).
    package func bind() async throws {
        let runtime = self.runtime
        let maxConnections = runtime.configuration.limits.maxConnections
        let idle = TimeAmount.milliseconds(Int64(runtime.configuration.timeouts.idle * 1000))
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [children] channel in
                let open = runtime.counters.openConnections.wrappingIncrementThenLoad(ordering: .relaxed)
                channel.closeFuture.whenComplete { _ in
                    runtime.counters.openConnections.wrappingDecrement(ordering: .relaxed)
                    children.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
                }
                if open > maxConnections {
                    return channel.close()
                }
                children.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: idle))
                    try sync.addHandler(HTTPResponseEncoder())
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
                    try sync.addHandler(EntryHandler(runtime: runtime))
                }
            }
            .bind(host: runtime.configuration.listen.host, port: runtime.configuration.listen.port)
            .get()
        bound.withLockedValue { $0 = channel }
    }

    public func run() async throws {
        let runtime = self.runtime
        if bound.withLockedValue({ $0 }) == nil { try await bind() }
        guard let serverChannel = bound.withLockedValue({ $0 }) else { return }
        let shown =
            serverChannel.localAddress.map { address -> String in
                let host = address.ipAddress ?? runtime.configuration.listen.host
                return HostPort(host: host, port: address.port ?? 0).description
            } ?? runtime.configuration.listen.description
        announce("airlock listening on \(shown)")
        runtime.logger.info("listening", metadata: ["address": .string(shown)])

        try? await gracefulShutdown()

        runtime.logger.info("shutting down: no new connections, finishing in-flight requests")
        try? await serverChannel.close()
        let open = children.withLockedValue { Array($0.values) }
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        let deadline = ContinuousClock.now + .milliseconds(Int(runtime.configuration.timeouts.shutdownGrace * 1000))
        while ContinuousClock.now < deadline, !children.withLockedValue({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let remaining = children.withLockedValue { Array($0.values) }
        if !remaining.isEmpty {
            runtime.logger.notice(
                "closing connections still open after the grace period",
                metadata: ["count": .stringConvertible(remaining.count)])
        }
        for channel in remaining { try? await channel.close() }
    }
}
