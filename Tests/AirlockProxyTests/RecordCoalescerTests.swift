import AirlockProxy
import NIOCore
import NIOEmbedded
import Testing

/// The writes between two flushes reach the TLS handler as one buffer, in order, with every promise completed.
@Suite("Record coalescer")
struct RecordCoalescerTests {
    func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RecordCoalescer())
        return channel
    }

    func bytes(_ count: Int, _ value: UInt8) -> ByteBuffer {
        ByteBuffer(repeating: value, count: count)
    }

    func written(_ channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out.append(buffer) }
        return out
    }

    @Test("small writes between flushes leave as one buffer, and every promise succeeds")
    func joinsSmallWrites() throws {
        let channel = try makeChannel()
        let promises = (0..<3).map { _ in channel.eventLoop.makePromise(of: Void.self) }
        channel.write(bytes(150, 1), promise: promises[0])
        channel.write(bytes(1024, 2), promise: promises[1])
        channel.write(ByteBuffer(), promise: promises[2])
        #expect(try written(channel).isEmpty)
        channel.flush()
        #expect(try written(channel) == [bytes(150, 1) + bytes(1024, 2)])
        for promise in promises { try promise.futureResult.wait() }
    }

    @Test("a batch is not overwritten when the next one reuses its storage")
    func batchesStayIntact() throws {
        let channel = try makeChannel()
        channel.write(bytes(100, 1), promise: nil)
        channel.write(bytes(100, 2), promise: nil)
        channel.flush()
        channel.write(bytes(100, 3), promise: nil)
        channel.write(bytes(100, 4), promise: nil)
        channel.flush()
        #expect(try written(channel) == [bytes(100, 1) + bytes(100, 2), bytes(100, 3) + bytes(100, 4)])
    }

    @Test("large writes pass through in order, after what was held")
    func largeWritesPassThrough() throws {
        let channel = try makeChannel()
        channel.write(bytes(10, 1), promise: nil)
        channel.write(bytes(RecordCoalescer.copyLimit + 1, 2), promise: nil)
        channel.write(bytes(10, 3), promise: nil)
        channel.write(bytes(10, 4), promise: nil)
        channel.flush()
        #expect(
            try written(channel) == [
                bytes(10, 1), bytes(RecordCoalescer.copyLimit + 1, 2), bytes(10, 3) + bytes(10, 4),
            ])
    }

    @Test("a batch never grows past one TLS record's plaintext")
    func batchesStayUnderOneRecord() throws {
        let channel = try makeChannel()
        for value in 1...5 { channel.write(bytes(4000, UInt8(value)), promise: nil) }
        channel.flush()
        let out = try written(channel)
        #expect(out.map(\.readableBytes) == [16000, 4000])
        #expect(out.allSatisfy { $0.readableBytes <= RecordCoalescer.recordLimit })
    }

    @Test("writes held when the channel closes go down unflushed, so the channel fails them as it would have")
    func closePassesHeldWritesDown() throws {
        let channel = EmbeddedChannel()
        let recorder = EventRecorder()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(RecordCoalescer())
        channel.write(bytes(10, 1), promise: nil)
        channel.write(bytes(20, 2), promise: nil)
        #expect(recorder.events.isEmpty)
        _ = try? channel.close().wait()
        #expect(recorder.events == ["write 30", "close"])
    }

    @Test("writes held when the coalescer is removed are dropped and their promise fails; nothing is written")
    func removalDropsHeldWrites() throws {
        let channel = EmbeddedChannel()
        let recorder = EventRecorder()
        let coalescer = RecordCoalescer()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(coalescer)
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.write(bytes(10, 1), promise: promise)
        try channel.pipeline.syncOperations.removeHandler(coalescer).wait()
        #expect(throws: ChannelError.ioOnClosedChannel) { try promise.futureResult.wait() }
        #expect(recorder.events.isEmpty)
    }
}

/// Records what reaches the handler below the coalescer.
private final class EventRecorder: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var events: [String] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        events.append("write \(unwrapOutboundIn(data).readableBytes)")
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        events.append("flush")
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        events.append("close")
        context.close(mode: mode, promise: promise)
    }
}

extension ByteBuffer {
    fileprivate static func + (lhs: ByteBuffer, rhs: ByteBuffer) -> ByteBuffer {
        var joined = lhs
        var rhs = rhs
        joined.writeBuffer(&rhs)
        return joined
    }
}
