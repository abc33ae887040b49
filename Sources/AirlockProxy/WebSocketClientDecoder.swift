import NIOCore
import NIOWebSocket

/// A WebSocket client's bytes in, whole messages and control frames out: frames are parsed, checked and
/// unmasked, and a message's fragments are joined.
///
/// The bytes of a message count against the shared body budget (`limits.max_buffered_bodies`) from the moment a
/// frame's header announces them, before its payload has arrived: the parser holds a frame until the last of it
/// has come, so a client that announces a large frame and sends it slowly holds memory that must be counted all
/// along. A frame the budget cannot take is not held at all: its payload is read past as it comes, the rest of its
/// message with it, and a `MessageOverBudget` event takes the message's place in the pipeline. Whoever reads the
/// messages owns their bytes in the budget from then on and gives them back.
///
/// Client frames must be masked and use no extension bits (none was agreed to); control frames are at most 125
/// bytes and not fragmented; a message is at most `maxMessage` bytes in at most `maxFragments` frames. Any other
/// frame is a `Violation`, and nothing of its message is passed on.
package final class WebSocketClientDecoder: ByteToMessageDecoder {
    package typealias InboundOut = WebSocketFrame

    package struct Violation: Error {
        package enum Reason: String, Sendable {
            case tooLarge = "message_too_large"
            case protocolError = "websocket_protocol_error"

            /// The failure a session that ends on it records.
            package var failure: FailureReason {
                switch self {
                case .tooLarge: .messageTooLarge
                case .protocolError: .webSocketProtocolError
                }
            }
        }

        /// The reason a close frame carries.
        package var reason: Reason
        package var detail: String

        static func tooLarge(_ detail: String) -> Violation { Violation(reason: .tooLarge, detail: detail) }
        static func protocolError(_ detail: String) -> Violation { Violation(reason: .protocolError, detail: detail) }
    }

    /// A message the budget could not take; `size` is as much of it as was announced when it was refused.
    package struct MessageOverBudget {
        package var size: Int
    }

    private struct Header {
        var fin: Bool
        var opcode: WebSocketOpcode
        var length: Int
        var mask: WebSocketMaskingKey
    }

    private enum State {
        case header
        /// The header is read, and `length` bytes were taken from the budget for a data frame.
        case payload(Header)
        /// A refused frame's payload, read past as it arrives.
        case skipping(remaining: Int, fin: Bool)
    }

    private let budget: BodyBudget
    private let maxMessage: Int
    private let maxFragments: Int
    private var state = State.header
    /// The message whose fragments are being joined: its opcode, and its bytes so far.
    private var message: (opcode: WebSocketOpcode, data: ByteBuffer, fragments: Int)?
    /// A message was refused: its frames are read past up to and including its final one.
    private var refusingMessage = false
    /// Bytes taken from the budget for frames and a message not yet passed on.
    private var held = 0

    package init(budget: BodyBudget, maxMessage: Int, maxFragments: Int = 4096) {
        self.budget = budget
        self.maxMessage = maxMessage
        self.maxFragments = maxFragments
    }

    package func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if case .header = state {
            guard let header = try readHeader(&buffer) else { return .needMoreData }
            try accept(header, context: context)
            // On at once: an empty payload is complete with no more bytes, and decode may not be called again
            // until some come.
        }
        switch state {
        case .header:
            return .continue
        case .payload(let header):
            guard var payload = buffer.readSlice(length: header.length) else { return .needMoreData }
            state = .header
            payload.webSocketUnmask(header.mask)
            deliver(header, payload: payload, context: context)
            return .continue
        case .skipping(let remaining, let fin):
            let step = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: step)
            guard step == remaining else {
                state = .skipping(remaining: remaining - step, fin: fin)
                return .needMoreData
            }
            state = .header
            if fin { refusingMessage = false }
            return .continue
        }
    }

    package func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A message cut off by the end of the connection is not passed on.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    package func decoderRemoved(context: ChannelHandlerContext) {
        budget.give(held)
        held = 0
        message = nil
    }

    /// The frame header at the start of `buffer`, read only once all of it has arrived.
    private func readHeader(_ buffer: inout ByteBuffer) throws -> Header? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return nil }
        let short = Int(second & 0x7F)
        let lengthBytes = short == 126 ? 2 : short == 127 ? 8 : 0
        var length = short
        if lengthBytes == 2 {
            guard let word = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return nil }
            length = Int(word)
        } else if lengthBytes == 8 {
            guard let word = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return nil }
            guard word <= UInt64(maxMessage) else {
                throw Violation.tooLarge("a frame is longer than limits.max_request_body")
            }
            length = Int(word)
        }
        guard second & 0x80 != 0 else { throw Violation.protocolError("client frames must be masked") }
        guard let keyBytes = buffer.getBytes(at: buffer.readerIndex + 2 + lengthBytes, length: 4),
            let key = WebSocketMaskingKey(keyBytes)
        else { return nil }
        guard first & 0x70 == 0 else { throw Violation.protocolError("client frames must use no extension bits") }
        // Continuation, text and binary; close, ping and pong.
        let code = first & 0x0F
        guard code <= 2 || (8...10).contains(code), let opcode = WebSocketOpcode(encodedWebSocketOpcode: code) else {
            throw Violation.protocolError("a frame has an opcode that is not defined")
        }
        buffer.moveReaderIndex(forwardBy: 2 + lengthBytes + 4)
        return Header(fin: first & 0x80 != 0, opcode: opcode, length: length, mask: key)
    }

    /// Checks a frame against the message it belongs to, and takes a data frame's bytes from the budget.
    private func accept(_ header: Header, context: ChannelHandlerContext) throws {
        if header.opcode.isControlOpcode {
            guard header.fin, header.length <= 125 else {
                throw Violation.protocolError("control frames must be whole and at most 125 bytes")
            }
            state = .payload(header)
            return
        }
        let joining = message != nil || (refusingMessage && header.opcode == .continuation)
        if header.opcode == .continuation {
            guard joining else { throw Violation.protocolError("a continuation frame has no message to continue") }
        } else if joining {
            throw Violation.protocolError("a new message began before the last one ended")
        }
        if refusingMessage {
            state = .skipping(remaining: header.length, fin: header.fin)
            return
        }
        let before = message?.data.readableBytes ?? 0
        guard header.length <= maxMessage - before else {
            throw Violation.tooLarge("a message is longer than limits.max_request_body")
        }
        guard (message?.fragments ?? 0) < maxFragments else {
            throw Violation.tooLarge("a message is split into more than \(maxFragments) frames")
        }
        guard budget.take(header.length) else {
            // The message so far is let go at once, and the rest of it read past.
            budget.give(held)
            held = 0
            message = nil
            refusingMessage = true
            state = .skipping(remaining: header.length, fin: header.fin)
            context.fireUserInboundEventTriggered(MessageOverBudget(size: before + header.length))
            return
        }
        held += header.length
        state = .payload(header)
    }

    private func deliver(_ header: Header, payload: ByteBuffer, context: ChannelHandlerContext) {
        if header.opcode.isControlOpcode {
            context.fireChannelRead(wrapInboundOut(WebSocketFrame(fin: true, opcode: header.opcode, data: payload)))
            return
        }
        var whole: (opcode: WebSocketOpcode, data: ByteBuffer)
        if var joined = message {
            // Taken out while it grows, so that appending does not copy what it holds.
            message = nil
            var payload = payload
            joined.data.writeBuffer(&payload)
            joined.fragments += 1
            guard header.fin else {
                message = joined
                return
            }
            whole = (joined.opcode, joined.data)
        } else if header.fin {
            whole = (header.opcode, payload)
        } else {
            message = (header.opcode, payload, 1)
            return
        }
        message = nil
        // From here the bytes are the reader's to give back.
        held -= whole.data.readableBytes
        context.fireChannelRead(wrapInboundOut(WebSocketFrame(fin: true, opcode: whole.opcode, data: whole.data)))
    }
}

@available(*, unavailable)
extension WebSocketClientDecoder: Sendable {}
