import AirlockLedger
import AirlockScrub
import NIOCore
import NIOHTTP1

/// What one request carries through its stages (`ExchangeStateMachine` holds the stages themselves): its head
/// and body as they will be forwarded, its decision log and ledger event, and the upstream connection it was
/// sent on. A class, so that handing it to callbacks costs one reference count rather than one for every string
/// and buffer it holds.
final class Exchange {
    var head: HTTPRequestHead
    /// The request target to forward: origin-form, with a secret in its query string redacted.
    var path: String
    var body: ByteBuffer
    var log: ExchangeRecord
    var upstream: UpstreamConnectionHandler?
    /// The upstream's response status, once its head came.
    var status: UInt = 0
    /// `allowed` or `redacted`, once the gate has passed the request.
    var outcome = Outcome.allowed
    /// The uploads in pieces' part of the request: the numbered part whose answer is to be noted, and the upload
    /// it completes.
    var upload = UploadJoints.Plan()
    /// The body's bytes taken from the budget shared by all connections; given back with the exchange.
    private let budget: BodyBudget
    private var held = 0

    init(head: HTTPRequestHead, path: String, body: ByteBuffer, log: ExchangeRecord, budget: BodyBudget) {
        self.budget = budget
        self.head = head
        self.path = path
        self.body = body
        self.log = log
    }

    deinit { budget.give(held) }

    /// Adds a part of the body, if the budget has room for it.
    func collect(_ buffer: inout ByteBuffer) -> Bool {
        guard budget.take(buffer.readableBytes) else { return false }
        held += buffer.readableBytes
        body.writeBuffer(&buffer)
        return true
    }

    /// Once the response has started, the request is never sent again: its body is let go.
    func releaseBody() {
        body = ByteBuffer()
        budget.give(held)
        held = 0
    }

    /// What the scan found, for the decision log and the ledger: counts per detector, never matched text.
    func note(_ result: ScrubResult) {
        log.scrub = PayloadGate.logSummary(result)
        if log.event != nil { LedgerRecords.scrubbed(&log.event!, result, received: body.readableBytes) }
    }

    /// Takes what the gate passed: the target, header values and body as the scrubber left them. `decoded`: the
    /// body was compressed and is forwarded decoded, so the upstream gets exactly the bytes that were scanned,
    /// never a compressed form that another decoder might read differently.
    func apply(_ result: ScrubResult, decoded: Bool) {
        if let target = result.target { path = target }
        if !result.headerValues.isEmpty {
            var headers = HTTPHeaders()
            for (index, header) in head.headers.enumerated() {
                headers.add(name: header.name, value: result.headerValues[index] ?? header.value)
            }
            head.headers = headers
        }
        if result.changed || decoded {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(result.output.count)
            buffer.writeBytes(result.output)
            body = buffer
            if decoded { head.headers.remove(name: "content-encoding") }
        }
        outcome = Outcome(passed: result.decision)
    }

    /// The upstream's response head as the client gets it: hop-by-hop headers gone, what was scrubbed named by
    /// detector id (`findingsHeader`), and the connection's fate (`close`, or a WebSocket upgrade).
    func clientResponseHead(
        _ head: HTTPResponseHead, close: Bool, upgrading: Bool, findingsHeader: Bool
    ) -> HTTPResponseHead {
        var headers = head.headers
        HopByHop.stripResponse(&headers)
        if findingsHeader, let scrub = log.scrub, let findings = ScrubResult.summary(of: scrub.counts) {
            headers.replaceOrAdd(name: "X-Airlock-Scrubbed", value: findings)
        }
        if upgrading {
            headers.add(name: "connection", value: "Upgrade")
            headers.add(name: "upgrade", value: "websocket")
        } else if close {
            headers.add(name: "connection", value: "close")
        }
        return HTTPResponseHead(version: self.head.version, status: head.status, headers: headers)
    }

    /// The request's record as it must be durable before the request is forwarded: its decision and sizes.
    func intent(host: String) -> LedgerEvent {
        var event = log.event ?? LedgerRecords.skeleton(method: head.method.rawValue, host: host, path: path)
        event.decision = outcome.decision.ledger
        event.entry = log.entry
        if event.requestBytes == nil {
            event.requestBytes = body.readableBytes
            event.forwardedBytes = body.readableBytes
        }
        log.event = event
        log.intentWritten = true
        return event
    }

    /// The log once the response has ended or failed: its size and token usage. The provider's answer to an upload
    /// part is noted (`uploadID` when it accepted the part), and a completion it accepted ends its upload; one it
    /// refused may be sent again, so its parts are kept.
    func responseLog(responseBytes: Int, usage: TokenUsage?, uploadID: String?, uploads: UploadJoints) -> ExchangeRecord
    {
        var log = self.log
        log.responseBytes = responseBytes
        log.usage = usage
        if let part = takeUploadPart() { uploads.settle(part, id: uploadID) }
        if (200..<300).contains(status), let upload = upload.completing { uploads.forget(upload) }
        return log
    }

    /// The part of an upload whose answer is still to be noted (`UploadJoints.settle`), once.
    func takeUploadPart() -> UploadJoints.Piece? {
        guard let piece = upload.piece, piece.part != nil else { return nil }
        upload.piece = nil
        return piece
    }

    /// The request head as it goes upstream: hop-by-hop headers gone, a WebSocket's offer prepared, only
    /// codings `UsageTap` can read asked for, and the length of the body as it is now.
    func upstreamHead(readsUsage: Bool, webSocket: Bool) -> (head: HTTPRequestHead, hasBody: Bool) {
        var headers = head.headers
        HopByHop.strip(&headers)
        if headers.contains(name: "expect") { headers.remove(name: "expect") }
        if webSocket { WebSocketUpgrade.prepareUpstreamRequest(&headers) }
        // A provider's response is read for its token usage on the way back: ask only for codings that can be.
        if readsUsage, let acceptable = UsageTap.readableAcceptEncoding(headers) {
            headers.replaceOrAdd(name: "accept-encoding", value: acceptable)
        }
        let hasBody: Bool
        switch head.method {
        case .POST, .PUT, .PATCH: hasBody = true
        default: hasBody = body.readableBytes > 0
        }
        if hasBody && !headers.hasOnlyContentLength(body.readableBytes) {
            headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        return (HTTPRequestHead(version: .http1_1, method: head.method, uri: path, headers: headers), hasBody)
    }
}
