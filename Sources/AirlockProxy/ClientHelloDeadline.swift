import NIOCore
import NIOPosix

/// Watches an intercepted connection between CONNECT's `200` and the client's complete ClientHello, when no other
/// handler does: it closes the connection once `timeouts.request_head` has passed, when the client closes its side
/// (a half-closed peer would otherwise sit in CLOSE-WAIT for ever), and when the connection goes idle. The TLS
/// set-up removes it as it installs the handlers that keep their own deadlines.
final class ClientHelloDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }
}

extension ClientHelloDeadline {
    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            context.close(promise: nil)
            return
        }
        if event is IdleStateHandler.IdleStateEvent || event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension ClientHelloDeadline: Sendable {}
