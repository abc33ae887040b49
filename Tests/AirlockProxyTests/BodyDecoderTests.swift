import CAirlockZlib
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("Decoding compressed request bodies")
struct BodyDecoderTests {
    /// Compresses with zlib itself: 31 window bits for gzip, 15 for the zlib format, -15 for raw deflate.
    static func compress(_ input: [UInt8], windowBits: Int32) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            deflateEnd(stream)
            stream.deallocate()
        }
        precondition(airlock_deflateInit2(stream, 6, windowBits) == Z_OK)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(input.count))) + 64)
        var input = input
        let written = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.pointee.next_in = source.baseAddress
                stream.pointee.avail_in = UInt32(source.count)
                stream.pointee.next_out = target.baseAddress
                stream.pointee.avail_out = UInt32(target.count)
                precondition(deflate(stream, Z_FINISH) == Z_STREAM_END)
                return target.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(output[..<written])
    }

    static let body = Array(
        #"{"model":"gpt-test","messages":[{"role":"user","content":"\#(String(repeating: "plain words ", count: 9000))"}]}"#
            .utf8)

    @Test(arguments: [(BodyDecoder.Coding.gzip, Int32(31)), (.deflate, 15), (.deflate, -15)])
    func decodesWhatZlibWrote(coding: BodyDecoder.Coding, windowBits: Int32) throws {
        let compressed = Self.compress(Self.body, windowBits: windowBits)
        #expect(compressed.count < Self.body.count / 10)
        #expect(try BodyDecoder.decode(compressed, coding: coding, limit: 1 << 20) == Self.body)
    }

    @Test func decodesWhatPythonsGzipWrote() throws {
        // gzip.compress(b'{"messages":[]}', mtime=0)
        let hex = "1f8b0800000000000203ab56ca4d2d2e4e4c4f2d56b28a8ead050091c330000f000000"
        let bytes = stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        #expect(try BodyDecoder.decode(bytes, coding: .gzip, limit: 100) == Array(#"{"messages":[]}"#.utf8))
    }

    @Test func gzipMembersAreDecodedOneAfterAnother() throws {
        let first = Array(#"{"a":""#.utf8)
        let second = Array(#"secret-looking tail"}"#.utf8)
        let joined = Self.compress(first, windowBits: 31) + Self.compress(second, windowBits: 31)
        #expect(try BodyDecoder.decode(joined, coding: .gzip, limit: 100) == first + second)
    }

    @Test func anythingButCompleteDataIsRefused() {
        let gzip = Self.compress(Self.body, windowBits: 31)
        var corrupt = gzip
        corrupt[corrupt.count / 2] ^= 0xFF
        var badChecksum = gzip
        badChecksum[badChecksum.count - 6] ^= 0x01
        let cases: [(String, [UInt8], BodyDecoder.Coding)] = [
            ("truncated", Array(gzip.prefix(gzip.count / 2)), .gzip),
            ("without its trailer", Array(gzip.dropLast(8)), .gzip),
            ("corrupt", corrupt, .gzip),
            ("with a wrong CRC", badChecksum, .gzip),
            ("followed by other bytes", gzip + Array("{}".utf8), .gzip),
            ("followed by zero padding", gzip + [0, 0, 0, 0], .gzip),
            ("plain JSON called gzip", Self.body, .gzip),
            ("plain JSON called deflate", Self.body, .deflate),
            ("gzip called deflate", gzip, .deflate),
            ("zlib data followed by other bytes", Self.compress(Self.body, windowBits: 15) + [1], .deflate),
            ("empty", [], .gzip),
        ]
        for (what, bytes, coding) in cases {
            #expect(throws: BodyDecoder.Failure.invalid, "\(what)") {
                try BodyDecoder.decode(bytes, coding: coding, limit: 1 << 20)
            }
        }
    }

    @Test(arguments: [Int32(31), 15])
    func everyPrefixIsRefusedAndNoCorruptionChangesTheContent(windowBits: Int32) {
        // Formats with a checksum (gzip's CRC-32, zlib's Adler-32): a cut anywhere, or any one byte changed, either
        // is refused or (a header field the checksum does not cover) decodes to exactly the original.
        let coding: BodyDecoder.Coding = windowBits == 31 ? .gzip : .deflate
        let text = Array(
            (0..<120).map { #"{"line": \#($0), "text": "the quick brown fox \#($0 * 7919 % 1000)"}"# }
                .joined(separator: "\n").utf8)
        let compressed = Self.compress(text, windowBits: windowBits)
        for cut in 0..<compressed.count {
            #expect(throws: BodyDecoder.Failure.invalid, "cut at \(cut)") {
                try BodyDecoder.decode(Array(compressed.prefix(cut)), coding: coding, limit: 1 << 20)
            }
        }
        for position in 0..<compressed.count {
            var changed = compressed
            changed[position] ^= 0x5A
            if let decoded = try? BodyDecoder.decode(changed, coding: coding, limit: 1 << 20) {
                #expect(decoded == text, "byte \(position) changed")
            }
        }
    }

    @Test func aBodyThatExpandsPastTheLimitIsRefusedEarly() {
        // 64 MiB of zeros compress to about 64 KiB; decoding stops within one 64 KiB step past a 1 MiB limit.
        let zeros = [UInt8](repeating: 0x20, count: 64 << 20)
        let bomb = Self.compress(zeros, windowBits: 31)
        #expect(bomb.count < 100_000)
        #expect(throws: BodyDecoder.Failure.tooLarge) { try BodyDecoder.decode(bomb, coding: .gzip, limit: 1 << 20) }
        // Exactly at the limit is fine.
        let exact = Self.compress(Array(zeros.prefix(1 << 20)), windowBits: 31)
        #expect((try? BodyDecoder.decode(exact, coding: .gzip, limit: 1 << 20))?.count == 1 << 20)
    }

    @Test func oneGzipOrDeflateLayerIsAccepted() {
        func coding(_ values: [String]) -> String {
            switch BodyDecoder.coding(HTTPHeaders(values.map { ("Content-Encoding", $0) })) {
            case .success(let coding): coding.map { "\($0)" } ?? "none"
            case .failure: "refused"
            }
        }
        #expect(coding([]) == "none")
        #expect(coding(["identity"]) == "none")
        #expect(coding(["gzip"]) == "gzip")
        #expect(coding(["X-GZIP"]) == "gzip")
        #expect(coding(["identity, deflate"]) == "deflate")
        // Empty list elements count for nothing (RFC 9110, 5.6.1).
        #expect(coding(["gzip,"]) == "gzip")
        for refused in [["br"], ["zstd"], ["compress"], ["gzip, gzip"], ["gzip", "deflate"], ["gzip, br"]] {
            #expect(coding(refused) == "refused", "\(refused)")
        }
    }
}
