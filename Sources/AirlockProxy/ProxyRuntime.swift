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

/// The one log line per decision. It holds the method, host, path without its query, decision, reason,
/// status and duration, and never a body, query string or header value.
struct DecisionLog {
    var method: String
    var host: String
    /// The request target as received; reduced to a safe path only when a line is written.
    var uri: String
    var start: NIODeadline
    /// The allowlist entry that matched (its host pattern), once the allowlist has decided.
    var entry: String?
    /// The scrubber's decision and finding counts per detector (stable ids only), once scanned.
    var scrub: ScrubLogSummary?
    /// The ledger event being built for this request, and whether its intent record is already durable.
    var event: LedgerEvent?
    var intentWritten = false
    var responseBytes = 0
    /// A WebSocket session's totals of its client's messages: bytes received and forwarded (its outcome carries
    /// them; the request record was written before any message).
    var messageBytes: (received: Int, forwarded: Int)?
    var tlsVersion: String?
    var usage: TokenUsage?

    init(method: String, host: String, uri: String, start: NIODeadline = .now()) {
        self.method = method
        self.host = host
        self.uri = uri
        self.start = start
    }

    /// Logs the decision as one preformatted line and records it in the ledger: as the outcome of a request
    /// whose intent is already recorded, else as a complete record of a request that was refused.
    /// `recorded`: the ledger already holds this request's complete record (written and waited for by the caller).
    func emit(
        _ runtime: ProxyRuntime, decision: RequestDecision, status: UInt, reason: String? = nil, recorded: Bool = false
    ) {
        let elapsed = NIODeadline.now() - start
        if runtime.logger.logLevel <= .info {
            let micros = elapsed.nanoseconds / 1000
            if runtime.structuredLogs {
                var fields: Logger.Metadata = [
                    "decision": .string(decision.rawValue), "status": .stringConvertible(status),
                    "method": .string(method),
                    "host": .string(host), "path": .string(RequestLog.safePath(uri)),
                    "duration_ms": .stringConvertible(Double(micros) / 1000),
                ]
                if let reason { fields["reason"] = .string(reason) }
                scrub?.add(to: &fields)
                runtime.logger.info("request", metadata: fields)
            } else {
                let fraction = micros % 1000
                let milliseconds =
                    "\(micros / 1000)." + (fraction < 100 ? (fraction < 10 ? "00" : "0") : "") + "\(fraction)"
                var line =
                    "request decision=\(decision.rawValue) status=\(status) method=\(method) host=\(host) path=\(RequestLog.safePath(uri)) duration_ms=\(milliseconds)"
                if let reason { line += " reason=\(reason)" }
                if let scrub { line += " " + scrub.text }
                runtime.logger.info("\(line)")
            }
        }
        guard decision != .intercept else { return }
        runtime.metrics?.request(decision: decision, host: entry ?? "(not allowlisted)")
        guard !recorded, let ledger = runtime.ledger else { return }
        var record = event ?? LedgerRecords.skeleton(method: method, host: host, path: uri)
        record.entry = entry
        let now = LedgerRecords.nowMs()
        if intentWritten {
            var outcome = LedgerEvent(kind: .outcome, requestID: record.requestID, time: now)
            outcome.durationMs = Int(elapsed.nanoseconds / 1_000_000)
            outcome.upstreamStatus = status > 0 ? Int(status) : nil
            outcome.responseBytes = responseBytes
            outcome.requestBytes = messageBytes?.received
            outcome.forwardedBytes = messageBytes?.forwarded
            outcome.tlsVersion = tlsVersion
            outcome.inputTokens = usage?.inputTokens
            outcome.outputTokens = usage?.outputTokens
            outcome.responseModel = LedgerRecords.modelName(usage?.responseModel)
            if decision == .error {
                outcome.decision = .error
                outcome.reason = reason
                outcome.errorType = reason
            } else if decision == .redacted && record.decision != .redacted {
                // A WebSocket session whose messages the scrubber changed after its record was written.
                outcome.decision = .redacted
            }
            ledger.append(outcome)
        } else {
            record.decision = decision.ledger
            record.reason = reason ?? (decision == .tunnel ? "tunnel" : nil)
            record.durationMs = Int(elapsed.nanoseconds / 1_000_000)
            if decision == .error { record.errorType = reason }
            ledger.append(record)
        }
    }
}

/// What a decision line says about a scan: its decision, findings per detector id (binary parts forwarded unread
/// among them) and the number of binary parts. Stable ids and counts only, never matched text.
struct ScrubLogSummary: Sendable {
    var decision: RequestDecision
    var counts: [(String, Int)]
    var binaryParts: Int

    /// `scrub=redacted findings=github-pat:1,… binary_parts=1`, findings in the form the ledger writes.
    var text: String {
        var line = "scrub=\(decision.rawValue)"
        if let findings = ScrubResult.summary(of: counts) { line += " findings=" + findings }
        if binaryParts > 0 { line += " binary_parts=\(binaryParts)" }
        return line
    }

    /// The same as fields: `findings` as an object of detector id → count.
    func add(to fields: inout Logger.Metadata) {
        fields["scrub"] = .string(decision.rawValue)
        if !counts.isEmpty {
            fields["findings"] = .dictionary(
                Logger.Metadata(
                    counts.map { ($0.0, .stringConvertible($0.1)) }, uniquingKeysWith: { first, _ in first }))
        }
        if binaryParts > 0 { fields["binary_parts"] = .stringConvertible(binaryParts) }
    }
}

enum RequestLog {
    /// The path without query or fragment, with opaque tokens replaced, cut to a sane length and to printable ASCII.
    static func safePath(_ uri: String) -> String {
        var path = RequestPath.withoutQuery(uri)
        if path.utf8.first != UInt8(ascii: "/"), let schemeEnd = path.range(of: "://") {
            let afterScheme = path[schemeEnd.upperBound...]
            path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        let limited = path.utf8.prefix(256)
        guard limited.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return "[non-printable path]" }
        return RequestPath.redactedForLog(String(Substring(limited)))
    }
}
