import AirlockScrub
import NIOCore
import NIOWebSocket

/// What a WebSocket session's outcome records: bytes each way, the findings of all its client messages, and the
/// token usage read from what the provider sent. Realtime events carry usage in `response.done`
/// (`response.usage`), Gemini's in `usageMetadata`; each is one response's count, so the session adds them up.
struct WebSocketTotals {
    var clientBytes = 0
    var forwardedBytes = 0
    var upstreamBytes = 0
    var usage = TokenUsage()
    /// Any client message was forwarded with what the scrubber replaced.
    var redacted = false
    private var findings: [String: Int] = [:]
    private var binaryParts = 0
    /// A fragmented text message from the upstream, gathered to read its token usage; nil when none is being
    /// gathered (the message is binary, or longer than `usageReadLimit`).
    private var upstreamText: [UInt8]?
    /// How much of one fragmented upstream text message is gathered to read its usage.
    private static let usageReadLimit = 1 << 20

    /// Adds a scanned client message's findings.
    mutating func count(_ result: ScrubResult) {
        binaryParts += result.binaryParts
        for (detector, count) in result.countsByDetector { findings[detector, default: 0] += count }
    }

    /// Counts a data frame from the upstream and reads the usage of a text message once it is whole.
    /// `midMessage`: the frame continues a fragmented message.
    mutating func readUpstream(_ frame: WebSocketFrame, midMessage: Bool) {
        let data = frame.unmaskedData
        upstreamBytes += data.readableBytes
        switch frame.opcode {
        case .text where frame.fin && !midMessage:
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
        default:
            break
        }
    }

    private mutating func readUsage(_ bytes: some Collection<UInt8>) {
        let payload = Array(bytes)
        guard UsageTap.carriesUsage(payload) else { return }
        var one = TokenUsage()
        one.absorb(json: payload)
        if let input = one.inputTokens { usage.inputTokens = (usage.inputTokens ?? 0) + input }
        if let output = one.outputTokens { usage.outputTokens = (usage.outputTokens ?? 0) + output }
        if let model = one.responseModel { usage.responseModel = model }
    }

    /// The session's log line and outcome record with these totals.
    func record(into log: inout ExchangeRecord) {
        log.responseBytes = upstreamBytes
        log.messageBytes = (clientBytes, forwardedBytes)
        log.usage = usage
        if !findings.isEmpty || binaryParts > 0 {
            log.scrub = ScrubLogSummary(
                decision: redacted ? .redacted : .allowed, counts: findings.sorted { $0.key < $1.key },
                binaryParts: binaryParts)
        }
    }
}
