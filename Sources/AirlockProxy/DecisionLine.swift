import AirlockScrub
import Logging

/// The one log line per decision: the method, host, path without its query, decision, reason, status, duration
/// and the scan's counts per detector, never a body, query string or header value. Written as text, or as a message
/// with fields (`log_format: json`).
struct DecisionLine: Sendable {
    var decision: RequestDecision
    var status: UInt
    var method: String
    var host: String
    /// Already reduced by `RequestLog.safePath`.
    var path: String
    var durationMicros: Int64
    var reason: String?
    var scrub: ScrubLogSummary?

    /// `request decision=… status=… method=… host=… path=… duration_ms=1.234 [reason=…] [scrub=…]`.
    var text: String {
        let fraction = durationMicros % 1000
        let milliseconds =
            "\(durationMicros / 1000)." + (fraction < 100 ? (fraction < 10 ? "00" : "0") : "") + "\(fraction)"
        var line =
            "request decision=\(decision.rawValue) status=\(status) method=\(method) host=\(host) path=\(path) duration_ms=\(milliseconds)"
        if let reason { line += " reason=\(reason)" }
        if let scrub { line += " " + scrub.text }
        return line
    }

    var metadata: Logger.Metadata {
        var fields: Logger.Metadata = [
            "decision": .string(decision.rawValue), "status": .stringConvertible(status), "method": .string(method),
            "host": .string(host), "path": .string(path),
            "duration_ms": .stringConvertible(Double(durationMicros) / 1000),
        ]
        if let reason { fields["reason"] = .string(reason) }
        scrub?.add(to: &fields)
        return fields
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
