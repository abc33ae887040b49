import AirlockLedger
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics: requests by decision and host, findings by detector, ledger write latency and failures,
/// open client connections. Label values come from closed sets (decisions, allowlisted host patterns,
/// detector ids), never from free text a client sent.
package final class ProxyMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let ledgerWrites: DurationHistogram
    private let ledgerFailures: Counter
    private let ledgerUnwritten: Gauge
    package let openConnections: Gauge
    private let bufferedBodies: Gauge
    /// Counters already made, so that a request costs one dictionary lookup rather than a registry lookup.
    private let requestCounters = NIOLockedValueBox<[RequestLabels: Counter]>([:])
    private let findingCounters = NIOLockedValueBox<[String: Counter]>([:])

    private struct RequestLabels: Hashable {
        var decision: RequestDecision
        var host: String
    }

    package init() {
        ledgerWrites = registry.makeDurationHistogram(
            descriptor: Self.name("ledger_write", "seconds", "Time to commit one batch of ledger records"),
            buckets: [
                .microseconds(250), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2),
            ])
        ledgerFailures = registry.makeCounter(
            descriptor: Self.name("ledger_write_failures", "total", "Ledger batches that could not be written"))
        ledgerUnwritten = registry.makeGauge(
            descriptor: Self.name(
                "ledger_unwritten_records", "", "Ledger records given up on after failed batches; the rest are retried"
            ))
        openConnections = registry.makeGauge(
            descriptor: Self.name("open_connections", "", "Open client connections and tunnels"))
        bufferedBodies = registry.makeGauge(
            descriptor: Self.name(
                "buffered_request_body", "bytes",
                "Request bodies and WebSocket messages held for inspection, against limits.max_buffered_bodies"))
    }

    func request(decision: RequestDecision, host: String) {
        let labels = RequestLabels(decision: decision, host: host)
        let counter = requestCounters.withLockedValue { counters in
            if let counter = counters[labels] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.requests, labels: [("decision", decision.rawValue), ("host", host)])
            counters[labels] = counter
            return counter
        }
        counter.increment()
    }

    func finding(detector: String, count: Int) {
        let counter = findingCounters.withLockedValue { counters in
            if let counter = counters[detector] { return counter }
            let counter = registry.makeCounter(descriptor: Self.findings, labels: [("detector", detector)])
            counters[detector] = counter
            return counter
        }
        counter.increment(by: Int64(count))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "airlock", metricName: metric, unitName: unit, helpText: help)
    }
    private static var requests: MetricNameDescriptor {
        name("requests", "total", "Requests by decision and allowlisted host")
    }
    private static var findings: MetricNameDescriptor {
        name("scrub_findings", "total", "Scrubber findings by detector")
    }

    /// Hooked into the ledger writer.
    package func ledgerCommit(seconds: Double, failed: Bool, unwritten: Int) {
        ledgerWrites.record(.nanoseconds(Int64(seconds * 1e9)))
        if failed { ledgerFailures.increment() }
        ledgerUnwritten.set(Double(unwritten))
    }

    package func render() -> [UInt8] { registry.emitToBuffer() }

    package func setOpenConnections(_ count: Int) { openConnections.set(Double(count)) }
    package func setBufferedBodies(_ bytes: Int) { bufferedBodies.set(Double(bytes)) }
}
