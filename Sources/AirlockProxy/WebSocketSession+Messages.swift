import NIOCore
import NIOWebSocket

extension WebSocketSession {
    /// What the client sent, in order.
    enum Incoming {
        case message(WebSocketFrame)
        case close(WebSocketFrame)
        /// A message the body budget could not take (`WebSocketClientDecoder.MessageOverBudget`).
        case overBudget(size: Int)
    }

    /// A scanned message, to be forwarded once its record (if it needs one) is durable and those before it left;
    /// or the end of the session, once those before it left.
    final class Outgoing {
        struct End {
            var code: WebSocketErrorCode
            var failure: FailureReason?
            var reason: String
        }

        /// Nil for a message that was refused after all (its record could not be written).
        var data: ByteBuffer?
        let opcode: WebSocketOpcode
        /// The bytes the client sent for it, held in the body budget until it leaves.
        let size: Int
        var recorded: Bool
        var end: End?

        init(_ data: ByteBuffer?, opcode: WebSocketOpcode, size: Int, recorded: Bool = true) {
            self.data = data
            self.opcode = opcode
            self.size = size
            self.recorded = recorded
        }
    }
}
