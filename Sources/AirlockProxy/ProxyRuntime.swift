import AirlockLedger
import AirlockPolicy
import AirlockScrub
import AirlockTLS
import Atomics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Everything the proxy's handlers share: configuration, the current allowlist, TLS contexts, the resolver,
/// per-loop upstream pools and counters.
package final class ProxyRuntime: Sendable {
    let configuration: AirlockConfiguration
    let interception: InterceptionContexts
    let upstreamTLS: NIOSSLContext
    let resolver: PinnedResolver
    let logger: Logger
    /// Runs scans of large bodies off the event loops.
    let threadPool: NIOThreadPool?
    /// Request bodies and WebSocket text messages larger than this are scanned on `threadPool`. Smaller ones take
    /// less time to scan on the event loop than the hand-off to another thread and back would cost; larger ones
    /// (from about 0.2 ms of scanning up) would hold up every other connection of their event loop.
    static let inlineScanLimit = 32 * 1024
    /// The egress ledger; nil only when `ledger.enabled` is false.
    let ledger: LedgerWriter?
    let ledgerKeys: LedgerKeys?
    let metrics: ProxyMetrics?
    let counters = ProxyCounters()
    /// The request bodies held at once, across every connection.
    let bodyBudget: BodyBudget
    /// The ends of files being uploaded in pieces, so that a secret cut by a piece boundary is still found.
    let uploads = UploadJoints()
    /// Decision lines as message and fields (`log_format: json`) rather than one preformatted text line.
    let structuredLogs: Bool
    private let currentAllowlist: NIOLockedValueBox<Allowlist>
    private let currentScrubPolicy: NIOLockedValueBox<ScrubPolicy>
    /// nil when proxy authentication is off; it is never turned on or off while the proxy runs.
    private let currentAuthenticator: NIOLockedValueBox<ProxyAuthenticator?>
    private let pools = NIOLockedValueBox<[ObjectIdentifier: NIOLoopBound<UpstreamPool>]>([:])

    package init(
        configuration: AirlockConfiguration,
        allowlist: Allowlist,
        interception: InterceptionContexts,
        upstreamTLS: NIOSSLContext,
        resolver: PinnedResolver,
        authenticator: ProxyAuthenticator?,
        logger: Logger,
        threadPool: NIOThreadPool? = nil,
        ledger: LedgerWriter? = nil,
        ledgerKeys: LedgerKeys? = nil,
        metrics: ProxyMetrics? = nil
    ) {
        self.metrics = metrics
        self.threadPool = threadPool
        self.ledger = ledger
        self.ledgerKeys = ledgerKeys
        self.configuration = configuration
        self.bodyBudget = BodyBudget(limit: configuration.limits.maxBufferedBodies)
        self.structuredLogs = configuration.logFormat == .json
        self.currentAllowlist = NIOLockedValueBox(allowlist)
        self.currentScrubPolicy = NIOLockedValueBox(configuration.scrub)
        self.interception = interception
        self.upstreamTLS = upstreamTLS
        self.resolver = resolver
        self.currentAuthenticator = NIOLockedValueBox(authenticator)
        self.logger = logger
    }

    var allowlist: Allowlist { currentAllowlist.withLockedValue { $0 } }
    /// The configuration's `scrub` section as last loaded; an allowlist entry's overrides apply on top of it.
    var scrubPolicy: ScrubPolicy { currentScrubPolicy.withLockedValue { $0 } }

    func replaceAllowlist(_ allowlist: Allowlist) { currentAllowlist.withLockedValue { $0 = allowlist } }
    func replaceScrubPolicy(_ policy: ScrubPolicy) { currentScrubPolicy.withLockedValue { $0 = policy } }

    /// The proxy credentials in force; nil when proxy authentication is off.
    var authenticator: ProxyAuthenticator? { currentAuthenticator.withLockedValue { $0 } }

    /// Swaps the proxy credentials when authentication is on and `pairs` holds at least one; returns whether it did.
    func replaceCredentials(_ pairs: [String]) -> Bool {
        let replacement = ProxyAuthenticator(pairs: pairs)
        guard !replacement.isEmpty else { return false }
        return currentAuthenticator.withLockedValue { current in
            guard current != nil else { return false }
            current = replacement
            return true
        }
    }

    /// The upstream pool of the calling event loop.
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        eventLoop.assertInEventLoop()
        let id = ObjectIdentifier(eventLoop)
        if let bound = pools.withLockedValue({ $0[id] }) { return bound.value }
        let pool = UpstreamPool(eventLoop: eventLoop, runtime: self)
        pools.withLockedValue { $0[id] = NIOLoopBound(pool, eventLoop: eventLoop) }
        return pool
    }
}

/// Process-wide counters, readable from any thread.
final class ProxyCounters: Sendable {
    let openConnections = ManagedAtomic<Int>(0)
    let proxyAuthFailures = ManagedAtomic<Int>(0)
}
