import AirlockScrub
import NIOCore
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("Reading token usage from responses on the way past")
struct UsageTapTests {
    static let json = Array(
        #"{"id":"chatcmpl-1","model":"gpt-test","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3}}"#.utf8)
    static let events = Array(
        (#"data: {"id":"1","model":"gpt-test","choices":[{"delta":{"content":"hi"}}]}"# + "\n\n"
            + String(
                repeating: #"data: {"id":"1","choices":[{"delta":{"content":"more words"}}]}"# + "\n\n", count: 200)
            + #"data: {"id":"1","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3}}"# + "\n\n"
            + "data: [DONE]\n\n").utf8)

    /// Feeds `bytes` to a tap in pieces of `piece` bytes and returns (input, output) tokens and the model.
    static func tapped(
        _ bytes: [UInt8], contentType: String, contentEncoding: String?, piece: Int
    ) -> (Int?, Int?, String?) {
        var headers = HTTPHeaders([("Content-Type", contentType)])
        if let contentEncoding { headers.add(name: "Content-Encoding", value: contentEncoding) }
        let tap = UsageTap(headers: headers)
        var offset = 0
        while offset < bytes.count {
            tap.feed(ByteBuffer(bytes: bytes[offset..<min(bytes.count, offset + piece)]))
            offset += piece
        }
        let usage = tap.finish()
        return (usage.inputTokens, usage.outputTokens, usage.responseModel)
    }

    @Test(arguments: [1, 7, 1000, 1 << 20])
    func compressedResponsesAreReadInAnyPieces(piece: Int) {
        for (encoding, windowBits) in [("gzip", Int32(31)), ("x-gzip", 31), ("deflate", 15), ("deflate", -15)] {
            let json = BodyDecoderTests.compress(Self.json, windowBits: windowBits)
            let stream = BodyDecoderTests.compress(Self.events, windowBits: windowBits)
            let fromJSON = Self.tapped(json, contentType: "application/json", contentEncoding: encoding, piece: piece)
            #expect(fromJSON == (11, 3, "gpt-test"), "\(encoding)")
            let fromEvents = Self.tapped(
                stream, contentType: "text/event-stream", contentEncoding: encoding, piece: piece)
            #expect(fromEvents == (11, 3, "gpt-test"), "\(encoding)")
        }
    }

    @Test func uncompressedResponsesAreReadAsBefore() {
        #expect(
            Self.tapped(Self.json, contentType: "application/json", contentEncoding: nil, piece: 10) == (
                11, 3, "gpt-test"
            ))
        #expect(
            Self.tapped(Self.events, contentType: "text/event-stream", contentEncoding: "identity", piece: 10)
                == (11, 3, "gpt-test"))
    }

    @Test func unreadableOrCorruptResponsesYieldNoUsage() {
        // Bytes the tap cannot decode are never parsed as if they were JSON.
        #expect(
            Self.tapped(Self.json, contentType: "application/json", contentEncoding: "br", piece: 10) == (nil, nil, nil)
        )
        var corrupt = BodyDecoderTests.compress(Self.json, windowBits: 31)
        corrupt[12] ^= 0xFF
        let fromCorrupt = Self.tapped(corrupt, contentType: "application/json", contentEncoding: "gzip", piece: 10)
        #expect(fromCorrupt == (nil, nil, nil))
        let truncated = Array(BodyDecoderTests.compress(Self.json, windowBits: 31).dropLast(20))
        #expect(
            Self.tapped(truncated, contentType: "application/json", contentEncoding: "gzip", piece: 10) == (
                nil, nil, nil
            ))
    }

    @Test func upstreamsAreAskedOnlyForCodingsTheTapReads() {
        func rewritten(_ value: String?) -> String? {
            UsageTap.readableAcceptEncoding(HTTPHeaders(value.map { [("Accept-Encoding", $0)] } ?? []))
        }
        #expect(rewritten(nil) == nil)
        #expect(rewritten("gzip") == nil)
        #expect(rewritten("gzip, deflate") == nil)
        #expect(rewritten(" GZip ; q=1 , deflate,") == nil)
        #expect(rewritten("gzip,,br") == "gzip")
        #expect(rewritten("gzip, deflate, br, zstd") == "gzip, deflate")
        #expect(rewritten("br;q=1.0, gzip;q=0.8, *;q=0.1") == "gzip;q=0.8")
        #expect(rewritten("br") == "identity")
        #expect(rewritten("*") == "identity")
    }
}

@Suite("Inflating in pieces")
struct InflaterTests {
    static func inflate(_ bytes: [UInt8], coding: BodyDecoder.Coding, piece: Int) throws -> ([UInt8], Bool) {
        let inflater = Inflater(coding: coding, chunkSize: 100)
        var output: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let part = Array(bytes[offset..<min(bytes.count, offset + piece)])
            try part.withUnsafeBytes { try inflater.feed($0, limit: 1 << 20) { output.append(contentsOf: $0) } }
            offset += piece
        }
        return (output, inflater.ended)
    }

    @Test(arguments: [1, 2, 3, 64, 4096])
    func piecesDecodeAsTheWhole(piece: Int) throws {
        let text = BodyDecoderTests.body
        for (coding, windowBits) in [(BodyDecoder.Coding.gzip, Int32(31)), (.deflate, 15), (.deflate, -15)] {
            let compressed = BodyDecoderTests.compress(text, windowBits: windowBits)
            let (output, ended) = try Self.inflate(compressed, coding: coding, piece: piece)
            #expect(output == text && ended, "\(coding) \(windowBits)")
            // Until the last piece the data has not ended.
            let (_, endedEarly) = try Self.inflate(Array(compressed.dropLast()), coding: coding, piece: piece)
            #expect(!endedEarly)
        }
        let members =
            BodyDecoderTests.compress(Array("first ".utf8), windowBits: 31)
            + BodyDecoderTests.compress(Array("second".utf8), windowBits: 31)
        let (joined, ended) = try Self.inflate(members, coding: .gzip, piece: piece)
        #expect(joined == Array("first second".utf8) && ended)
    }
}
