import NIOCore

/// Sits just above a TLS handler and joins the small writes that arrive between two flushes into one buffer, so
/// that a request or response head and its body are sealed as one TLS record instead of one record per write.
/// Each record costs a `SSL_write`, a seal and 22 (TLS 1.3) to 29 (TLS 1.2) bytes on the wire; a 1 KiB exchange
/// writes two or three of them per direction otherwise.
///
/// Writes are only ever held until the next flush, which is when they would have been sent anyway: streamed
/// responses still leave on every flush. Large writes and file regions pass through as they are (after what is
/// held), since copying them would cost more than the record it saves.
package final class RecordCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    package typealias OutboundIn = IOData
    package typealias OutboundOut = IOData

    /// Writes larger than this are not copied.
    package static let copyLimit = 4096
    /// Held bytes never exceed one TLS record's plaintext.
    package static let recordLimit = 16384

    /// The first held write, kept as it is; joined into `joined` only if a second one follows.
    private var held: ByteBuffer?
    private var joined: ByteBuffer?
    /// Reused between batches: once the TLS handler has sealed a batch, the storage is unique again. Only a small
    /// one is kept, so that a thousand kept-alive connections do not each hold a record's worth of memory.
    private var scratch: ByteBuffer?
    private static let scratchLimit = 4096
    private var promise: EventLoopPromise<Void>?

    package init() {}

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = unwrapOutboundIn(data), buffer.readableBytes <= Self.copyLimit else {
            release(context: context)
            context.write(data, promise: promise)
            return
        }
        if buffer.readableBytes + heldBytes > Self.recordLimit { release(context: context) }
        join(promise)
        if joined != nil {
            joined!.writeBuffer(&buffer)
        } else if var first = held {
            var combined = scratch.take() ?? context.channel.allocator.buffer(capacity: 2048)
            combined.clear()
            combined.writeBuffer(&first)
            combined.writeBuffer(&buffer)
            held = nil
            joined = combined
        } else {
            held = buffer
        }
    }

    package func flush(context: ChannelHandlerContext) {
        release(context: context)
        context.flush()
    }

    package func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Held writes go down unflushed, so the channel fails or discards them exactly as it would have.
        release(context: context)
        context.close(mode: mode, promise: promise)
    }

    /// Only happens when the channel is torn down. What is held was never flushed and is dropped, as the channel
    /// would drop it; it is not written on, since the handlers below may already be gone.
    package func handlerRemoved(context: ChannelHandlerContext) {
        held = nil
        joined = nil
        scratch = nil
        promise.take()?.fail(ChannelError.ioOnClosedChannel)
    }

    private var heldBytes: Int { joined?.readableBytes ?? held?.readableBytes ?? 0 }

    /// One promise for the whole batch: the first write's, with the others completed from it.
    private func join(_ next: EventLoopPromise<Void>?) {
        guard let next else { return }
        if let promise {
            promise.futureResult.cascade(to: next)
        } else {
            promise = next
        }
    }

    /// Passes what is held down the pipeline as one write.
    private func release(context: ChannelHandlerContext) {
        let promise = self.promise
        self.promise = nil
        if let joined {
            self.joined = nil
            context.write(wrapOutboundOut(.byteBuffer(joined)), promise: promise)
            if joined.capacity <= Self.scratchLimit { scratch = joined }
        } else if let held {
            self.held = nil
            context.write(wrapOutboundOut(.byteBuffer(held)), promise: promise)
        }
    }
}

extension Optional {
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

@available(*, unavailable)
extension RecordCoalescer: Sendable {}
