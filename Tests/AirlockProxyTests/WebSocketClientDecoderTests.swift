import AirlockProxy
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

/// The decoder of a client's WebSocket frames on an `EmbeddedChannel`: raw bytes in, whole messages, control frames
/// and budget refusals out.
@Suite("WebSocket client decoder")
struct WebSocketClientDecoderTests {
    /// Records what the decoder passes on: frames, and its refusals for the budget.
    final class Reader: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        var seen: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            #expect(frame.fin && frame.maskKey == nil)
            let name = "\(frame.opcode)".split(separator: ".").last.map(String.init) ?? ""
            seen.append("\(name) \(String(buffer: frame.data))")
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let refused = event as? WebSocketClientDecoder.MessageOverBudget { seen.append("over \(refused.size)") }
        }
    }

    /// A decoder on its own channel, with a reader after it.
    struct Harness {
        let budget: BodyBudget
        let channel = EmbeddedChannel()
        let reader = Reader()

        init(limit: Int = 1_000, maxMessage: Int = 500) throws {
            budget = BodyBudget(limit: limit)
            try channel.pipeline.syncOperations.addHandlers(
                ByteToMessageHandler(WebSocketClientDecoder(budget: budget, maxMessage: maxMessage)), reader)
        }

        func send(_ bytes: [UInt8]) throws {
            try channel.writeInbound(ByteBuffer(bytes: bytes))
        }
    }

    /// A client frame as it is on the wire: masked, with the length in as few bytes as it fits.
    static func wire(_ opcode: UInt8, _ payload: String, fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0)
        -> [UInt8]
    {
        let bytes = Array(payload.utf8)
        var out: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if bytes.count < 126 {
            out.append(maskBit | UInt8(bytes.count))
        } else {
            out.append(maskBit | 126)
            out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)]
        }
        guard masked else { return out + bytes }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        return out + key + bytes.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    @Test("a masked frame comes out whole and unmasked, and its bytes stay in the budget for its reader")
    func single() throws {
        let test = try Harness()
        try test.send(Self.wire(0x1, "hello") + Self.wire(0x2, String(repeating: "b", count: 300)))
        #expect(test.reader.seen == ["text hello", "binary " + String(repeating: "b", count: 300)])
        #expect(test.budget.inUse == 305)
    }

    @Test("fragments are joined into one message, with control frames passed on between them")
    func fragments() throws {
        let test = try Harness()
        try test.send(Self.wire(0x1, "one ", fin: false) + Self.wire(0x9, "ping") + Self.wire(0x0, "two ", fin: false))
        #expect(test.reader.seen == ["ping ping"])
        #expect(test.budget.inUse == 8)
        try test.send(Self.wire(0x0, "three"))
        #expect(test.reader.seen == ["ping ping", "text one two three"])
        #expect(test.budget.inUse == 13)
    }

    @Test("frames split across reads anywhere come out the same")
    func byteByByte() throws {
        let test = try Harness()
        let bytes = Self.wire(0x1, "one ", fin: false) + Self.wire(0x9, "") + Self.wire(0x0, "two", fin: false)
        for byte in bytes { try test.send([byte]) }
        #expect(test.reader.seen == ["ping "])
        // An empty final fragment, as some clients end a message, completes it with nothing after its header.
        try test.send(Self.wire(0x0, ""))
        #expect(test.reader.seen == ["ping ", "text one two"])
        #expect(test.budget.inUse == 7)
    }

    @Test("a frame's bytes are taken when its header arrives, before its payload")
    func announced() throws {
        let test = try Harness()
        let frame = Self.wire(0x1, String(repeating: "x", count: 400))
        try test.send(Array(frame.prefix(8)))
        #expect(test.budget.inUse == 400)
        #expect(test.reader.seen.isEmpty)
        try test.send(Array(frame.dropFirst(8)))
        #expect(test.reader.seen.count == 1)
        #expect(test.budget.inUse == 400)
    }

    @Test("a message the budget cannot take is read past whole, its earlier fragments given back, and the next passes")
    func overBudget() throws {
        let test = try Harness(limit: 100)
        #expect(test.budget.take(20))  // another connection's body
        try test.send(Self.wire(0x1, String(repeating: "a", count: 50), fin: false))
        #expect(test.budget.inUse == 70)
        try test.send(Self.wire(0x0, String(repeating: "b", count: 40), fin: false))
        #expect(test.reader.seen == ["over 90"])
        #expect(test.budget.inUse == 20)
        // The rest of the refused message, small enough to fit now, is read past too; a ping still comes through.
        try test.send(Self.wire(0x9, "p") + Self.wire(0x0, "c", fin: false) + Self.wire(0x0, "d"))
        #expect(test.reader.seen == ["over 90", "ping p"])
        #expect(test.budget.inUse == 20)
        try test.send(Self.wire(0x1, "next"))
        #expect(test.reader.seen == ["over 90", "ping p", "text next"])
        #expect(test.budget.inUse == 24)
    }

    @Test("a refused frame's payload is read past as it arrives, split anywhere")
    func skipSplit() throws {
        let test = try Harness(limit: 100)
        let refused = Self.wire(0x1, String(repeating: "z", count: 200))
        let next = Self.wire(0x1, "ok")
        let all = refused + next
        for start in stride(from: 0, to: all.count, by: 7) {
            try test.send(Array(all[start..<min(start + 7, all.count)]))
        }
        #expect(test.reader.seen == ["over 200", "text ok"])
        #expect(test.budget.inUse == 2)
    }

    @Test("a message cut off by the end of the connection gives its bytes back")
    func removed() throws {
        let test = try Harness()
        try test.send(Self.wire(0x1, "part", fin: false) + Array(Self.wire(0x0, "rest of it").prefix(6)))
        #expect(test.budget.inUse == 14)
        _ = try test.channel.finish()
        #expect(test.budget.inUse == 0)
        #expect(test.reader.seen.isEmpty)
    }

    @Test(
        "frames that break the protocol or the size limit are refused",
        arguments: [
            (wire(0x1, "x", masked: false), "websocket_protocol_error"),
            (wire(0x1, "x", rsv: 0x40), "websocket_protocol_error"),
            (wire(0x0, "x"), "websocket_protocol_error"),
            (wire(0x1, "x", fin: false) + wire(0x1, "y"), "websocket_protocol_error"),
            (wire(0x9, "x", fin: false), "websocket_protocol_error"),
            (wire(0x9, String(repeating: "x", count: 126)), "websocket_protocol_error"),
            (wire(0x3, "x"), "websocket_protocol_error"),
            (wire(0x1, String(repeating: "x", count: 501)), "message_too_large"),
            (
                wire(0x1, String(repeating: "x", count: 300), fin: false)
                    + wire(0x0, String(repeating: "y", count: 201)),
                "message_too_large"
            ),
            ([0x81, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0], "message_too_large"),
        ])
    func violations(bytes: [UInt8], reason: String) throws {
        let test = try Harness()
        #expect {
            try test.send(bytes)
        } throws: { error in
            (error as? WebSocketClientDecoder.Violation)?.reason.rawValue == reason
        }
        #expect(test.reader.seen.isEmpty)
        _ = try? test.channel.finish()
        #expect(test.budget.inUse == 0)
    }

    @Test("a message split into more frames than allowed is refused")
    func fragmentCount() throws {
        let budget = BodyBudget(limit: 1_000)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(WebSocketClientDecoder(budget: budget, maxMessage: 500, maxFragments: 3)))
        let bytes = Self.wire(0x1, "a", fin: false) + Self.wire(0x0, "b", fin: false) + Self.wire(0x0, "c", fin: false)
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        #expect {
            try channel.writeInbound(ByteBuffer(bytes: Self.wire(0x0, "d")))
        } throws: { error in
            (error as? WebSocketClientDecoder.Violation)?.reason == .tooLarge
        }
        _ = try? channel.finish()
        #expect(budget.inUse == 0)
    }
}
