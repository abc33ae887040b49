import NIOCore
import NIOWebSocket

/// The client's end of a WebSocket session: whole messages in (fragments joined by the decoder before it).
final class WebSocketClientSide: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: WebSocketSession

    init(session: WebSocketSession) { self.session = session }

    func handlerAdded(context: ChannelHandlerContext) { session.attach(client: context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { session.fromClient(unwrapInboundIn(data)) }

    func read(context: ChannelHandlerContext) {
        if session.holdsClientReads { session.holdClientRead() } else { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        session.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            session.endInOrder(code: .goingAway)
            return
        }
        if let refused = event as? WebSocketClientDecoder.MessageOverBudget {
            session.overBudget(size: refused.size)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.sideClosed(failure: .clientClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Oversized or malformed frames: the message is not forwarded, and the session ends.
        guard let violation = error as? WebSocketClientDecoder.Violation else {
            session.end(code: .protocolError, failure: .webSocketProtocolError)
            return
        }
        let reason = violation.reason.rawValue + ": " + violation.detail
        session.end(
            code: violation.reason == .tooLarge ? .messageTooLarge : .protocolError,
            failure: violation.reason.failure, reason: String(decoding: reason.utf8.prefix(123), as: UTF8.self))
    }
}

@available(*, unavailable)
extension WebSocketClientSide: Sendable {}
