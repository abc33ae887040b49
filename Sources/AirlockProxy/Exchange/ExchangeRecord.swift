import AirlockLedger
import AirlockScrub
import Logging
import NIOCore

/// What the ledger and the log learn about one request, tunnel or WebSocket message, fed by the pipeline as it goes
/// (its allowlist entry, the scan's findings, the ledger event of its head, sizes, TLS version, token usage).
/// `finish` builds, in this one place, the ledger record of its end and the decision line, which is formatted from
/// what was recorded; `ProxyRuntime.record` writes both. Nothing in it holds a body, a query string or a header
/// value.
struct ExchangeRecord {
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

    /// What an exchange's end produces.
    struct Finished {
        /// The ledger record to append: the complete record of an exchange that was refused or never had its
        /// intent recorded, or the outcome of one whose intent is durable. Nil when nothing is to be written: the
        /// ledger is off, the caller already wrote the record, or the decision is logged only.
        var ledger: LedgerEvent?
        var line: DecisionLine
        /// The metrics' `host` label; nil for a decision that is logged only (`intercept`).
        var metricsHost: String?
    }

    /// The end of the exchange. `ledger`: whether the ledger is on; `recorded`: the caller already wrote the
    /// complete record (and waited for it).
    func finish(
        _ outcome: Outcome, status: UInt, ledger: Bool, recorded: Bool = false, now: NIODeadline = .now(),
        nowMs: Int64 = LedgerRecords.nowMs()
    ) -> Finished {
        let (decision, reason) = (outcome.decision, outcome.reason)
        let elapsed = now - start
        let line = DecisionLine(
            decision: decision, status: status, method: method, host: host, path: RequestLog.safePath(uri),
            durationMicros: elapsed.nanoseconds / 1000, reason: reason, scrub: scrub)
        guard outcome != .intercept else { return Finished(ledger: nil, line: line, metricsHost: nil) }
        var finished = Finished(ledger: nil, line: line, metricsHost: entry ?? "(not allowlisted)")
        guard ledger, !recorded else { return finished }
        var record = event ?? LedgerRecords.skeleton(method: method, host: host, path: uri)
        record.entry = entry
        let durationMs = Int(elapsed.nanoseconds / 1_000_000)
        if intentWritten {
            var ending = LedgerEvent(kind: .outcome, requestID: record.requestID, time: nowMs)
            ending.durationMs = durationMs
            ending.upstreamStatus = status > 0 ? Int(status) : nil
            ending.responseBytes = responseBytes
            ending.requestBytes = messageBytes?.received
            ending.forwardedBytes = messageBytes?.forwarded
            ending.tlsVersion = tlsVersion
            ending.inputTokens = usage?.inputTokens
            ending.outputTokens = usage?.outputTokens
            ending.responseModel = LedgerRecords.modelName(usage?.responseModel)
            if decision == .error {
                ending.decision = .error
                ending.reason = reason
                ending.errorType = reason
            } else if outcome == .redacted && record.decision != .redacted {
                // A WebSocket session whose messages the scrubber changed after its record was written.
                ending.decision = .redacted
            }
            finished.ledger = ending
        } else {
            record.decision = decision.ledger
            record.reason = reason ?? (outcome == .tunnel ? "tunnel" : nil)
            record.durationMs = durationMs
            if decision == .error { record.errorType = reason }
            finished.ledger = record
        }
        return finished
    }

    /// Finishes the exchange and writes its line, metrics and ledger record.
    func emit(_ runtime: ProxyRuntime, _ outcome: Outcome, status: UInt, recorded: Bool = false) {
        runtime.record(finish(outcome, status: status, ledger: runtime.ledger != nil, recorded: recorded))
    }
}

extension ProxyRuntime {
    /// Writes what an exchange's end produced: its decision line, its request metric and its ledger record.
    func record(_ finished: ExchangeRecord.Finished) {
        // A CONNECT that is intercepted is followed by the lines of the requests inside it: its own line is detail.
        let level: Logger.Level = finished.line.decision == .intercept ? .debug : .info
        if logger.logLevel <= level {
            if structuredLogs {
                logger.log(level: level, "request", metadata: finished.line.metadata)
            } else {
                logger.log(level: level, "\(finished.line.text)")
            }
        }
        guard let host = finished.metricsHost else { return }
        metrics?.request(decision: finished.line.decision, host: host)
        if let event = finished.ledger { ledger?.append(event) }
    }
}
