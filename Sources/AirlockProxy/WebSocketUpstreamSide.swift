import NIOCore
import NIOWebSocket

/// The upstream's end of a WebSocket session: frames relayed to the client as they come.
final class WebSocketUpstreamSide: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: WebSocketSession

    init(session: WebSocketSession) { self.session = session }

    func handlerAdded(context: ChannelHandlerContext) { session.attach(upstream: context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { session.fromUpstream(unwrapInboundIn(data)) }

    func channelReadComplete(context: ChannelHandlerContext) { session.upstreamReadComplete() }

    func read(context: ChannelHandlerContext) {
        if session.holdsUpstreamReads { session.holdUpstreamRead() } else { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        session.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.sideClosed(failure: .upstreamClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        session.end(code: .unexpectedServerError, failure: .upstreamFailed)
    }
}

@available(*, unavailable)
extension WebSocketUpstreamSide: Sendable {}
