import AirlockPolicy
import NIOCore
import NIOWebSocket

/// What the provider sends, relayed to the client frame by frame, and the flow control of both connections.
extension WebSocketSession {
    func fromUpstream(_ frame: WebSocketFrame) {
        guard !finished else { return }
        lastActivity = .now()
        if frame.rsv1 || frame.rsv2 || frame.rsv3 {
            end(code: .protocolError, failure: .upstreamProtocolError)
            return
        }
        let data = frame.unmaskedData
        switch frame.opcode {
        case .ping:
            // Answered here, as the client's are: a pong from the client would carry its own payload out.
            if !closeSentUpstream { sendUpstream(WebSocketFrame(fin: true, opcode: .pong, data: data)) }
            return
        case .pong:
            return
        default:
            break
        }
        totals.readUpstream(frame, midMessage: upstreamMidMessage)
        if frame.opcode == .connectionClose { closeSentToClient = true }
        switch frame.opcode {
        case .text, .binary, .continuation: upstreamMidMessage = !frame.fin
        default: break
        }
        guard let client else { return }
        let relayed = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: data)
        if frame.opcode == .connectionClose {
            clientClosed = client.writeAndFlush(NIOAny(relayed))
            if closeSentUpstream { finish() }
            return
        }
        client.write(NIOAny(relayed), promise: nil)
        if !upstreamMidMessage && !heldForClient.isEmpty {
            for held in heldForClient { client.write(NIOAny(held), promise: nil) }
            heldForClient = []
        }
    }

    func upstreamReadComplete() { client?.flush() }

    func sendToClient(_ frame: WebSocketFrame) {
        guard let client else { return }
        if upstreamMidMessage {
            heldForClient.append(frame)
            return
        }
        client.writeAndFlush(NIOAny(frame), promise: nil)
    }

    var holdsUpstreamReads: Bool { !(client?.channel.isWritable ?? true) }

    func holdClientRead() { clientReadHeld = true }
    func holdUpstreamRead() { upstreamReadHeld = true }

    func writabilityChanged() {
        if !holdsUpstreamReads, upstreamReadHeld, let upstream {
            upstreamReadHeld = false
            upstream.read()
        }
        if !holdsClientReads, clientReadHeld, let client {
            clientReadHeld = false
            client.read()
        }
    }
}
