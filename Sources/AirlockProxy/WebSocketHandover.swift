import AirlockPolicy
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The upstream switched protocols: both connections leave HTTP for WebSocket frames, and a `WebSocketSession`
/// relays them. The pipelines change once the current read has been handled; if either connection is gone by then,
/// the session is recorded as failed and both close.
enum WebSocketHandover {
    /// `endResponse` writes the end of the 101 response to the client, once the upstream connection is handed over.
    static func start(
        _ session: WebSocketSession, client context: ChannelHandlerContext,
        upstream upstreamHandler: UpstreamConnectionHandler?, endResponse: () -> Void
    ) {
        let runtime = session.runtime
        let log = session.log
        guard let upstreamHandler, let upstream = upstreamHandler.handOver() else {
            log.emit(runtime, .failed(.upstreamClosed), status: 101)
            context.close(promise: nil)
            return
        }
        endResponse()
        let handlers = Self.handlers(for: session, maxMessage: runtime.configuration.limits.maxRequestBody)
        context.eventLoop.assumeIsolated().execute {
            do {
                guard context.channel.isActive, upstream.isActive else { throw UpstreamError.connectionClosed }
                let clientSync = context.pipeline.syncOperations
                let upstreamSync = upstream.pipeline.syncOperations
                try clientSync.addHandlers(handlers.client, position: .last)
                try upstreamSync.addHandlers(handlers.upstream, position: .last)
                // The HTTP decoders go last: bytes either side sent after the upgrade pass on to the frame decoders.
                upstreamSync.removeHandler(upstreamHandler, promise: nil)
                if let validator = try? upstreamSync.handler(type: NIOHTTPRequestHeadersValidator.self) {
                    upstreamSync.removeHandler(validator, promise: nil)
                }
                upstreamSync.removeHandler(try upstreamSync.handler(type: HTTPRequestEncoder.self), promise: nil)
                // Frames that came with the 101 are relayed when the decoder leaves; they go out then.
                let decoderGone = upstream.eventLoop.makePromise(of: Void.self)
                upstreamSync.removeHandler(
                    try upstreamSync.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self),
                    promise: decoderGone)
                let client = context.channel
                decoderGone.futureResult.whenComplete { _ in client.flush() }
                clientSync.removeHandler(context: context, promise: nil)
                clientSync.removeHandler(try clientSync.handler(type: HTTPResponseEncoder.self), promise: nil)
                clientSync.removeHandler(
                    try clientSync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
                context.channel.flush()
            } catch {
                log.emit(runtime, .failed(.upstreamClosed), status: 101)
                upstream.close(promise: nil)
                context.close(promise: nil)
            }
        }
    }

    /// The frame codecs and handlers that replace HTTP on each side once the upstream has answered 101.
    static func handlers(for session: WebSocketSession, maxMessage: Int) -> (
        client: [any ChannelHandler], upstream: [any ChannelHandler]
    ) {
        let frameLimit = min(maxMessage, Int(UInt32.max))
        let client: [any ChannelHandler] = [
            WebSocketFrameEncoder(),
            ByteToMessageHandler(WebSocketClientDecoder(budget: session.runtime.bodyBudget, maxMessage: frameLimit)),
            WebSocketClientSide(session: session),
        ]
        let upstream: [any ChannelHandler] = [
            WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: frameLimit)),
            WebSocketUpstreamSide(session: session),
        ]
        return (client, upstream)
    }
}
