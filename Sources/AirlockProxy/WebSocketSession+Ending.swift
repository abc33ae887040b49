import AirlockPolicy
import NIOCore
import NIOWebSocket

/// How a session ends: a close frame to each side that has not had one, the outcome recorded once, both
/// connections closed after what was written to them.
extension WebSocketSession {
    /// Ends the session from Airlock's side: a close frame to each side that has not had one, then both closed.
    func end(code: WebSocketErrorCode, failure: FailureReason?, reason: String = "") {
        guard !finished else { return }
        if let failure, self.failure == nil { self.failure = failure }
        if !closeSentToClient, let client {
            var data = ByteBuffer()
            data.write(webSocketErrorCode: code)
            data.writeString(reason)
            heldForClient = []
            upstreamMidMessage = false
            closeSentToClient = true
            clientClosed = client.writeAndFlush(
                NIOAny(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
        }
        if !closeSentUpstream {
            var data = ByteBuffer()
            data.write(webSocketErrorCode: code == .goingAway ? .goingAway : .normalClosure)
            closeSentUpstream = true
            upstreamClosed = sendUpstream(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        }
        finish()
    }

    /// Either side's connection closed.
    func sideClosed(failure: FailureReason?) {
        guard !finished else { return }
        if let failure, !(closeSentToClient && closeSentUpstream), self.failure == nil { self.failure = failure }
        finish()
    }

    /// Writes the session's outcome once and closes both connections after what was written to them.
    func finish() {
        guard !finished else { return }
        finished = true
        idleCheck?.cancel()
        pending.removeAll()
        outgoing.removeAll()
        runtime.bodyBudget.give(held)
        held = 0
        totals.record(into: &log)
        log.emit(runtime, failure.map(Outcome.failed) ?? (totals.redacted ? .redacted : .allowed), status: 101)
        for (context, written) in [(client, clientClosed), (upstream, upstreamClosed)] {
            guard let channel = context?.channel else { continue }
            guard let written else {
                channel.close(promise: nil)
                continue
            }
            written.whenComplete { _ in channel.close(promise: nil) }
        }
        client = nil
        upstream = nil
    }
}
