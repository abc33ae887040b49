import CAirlockZlib

/// Undoes a request body's `Content-Encoding` (gzip or deflate), so the scrubber reads what the upstream would.
/// The output is capped at the request body limit: a small compressed body cannot expand without end.
enum BodyDecoder {
    enum Coding: Sendable, Equatable {
        case gzip
        /// RFC 9110's `deflate` is the zlib format; raw deflate, which some clients send under that name, is read too.
        case deflate
    }

    /// Why a body could not be decoded. Neither case carries any of the body.
    enum Failure: Error, Equatable {
        /// The decoded body would exceed the limit.
        case tooLarge
        /// Corrupt, truncated, followed by other bytes, or not in the format its header names.
        case invalid
    }

    /// The decoded body, or why there is none. A gzip body may hold several members (RFC 1952), decoded one after
    /// the other as `gunzip` does; anything else after the end of the compressed data is refused.
    static func decode(_ body: [UInt8], coding: Coding, limit: Int) throws(Failure) -> [UInt8] {
        guard body.count <= Int(UInt32.max) else { throw .tooLarge }
        // zlib keeps the stream's address in its own state and checks it on every call: the stream must not move.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            inflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        let windowBits: Int32
        switch coding {
        case .gzip: windowBits = 15 + 16
        case .deflate: windowBits = hasZlibHeader(body) ? 15 : -15
        }
        guard airlock_inflateInit2(stream, windowBits) == Z_OK else { throw .invalid }

        var output: [UInt8] = []
        output.reserveCapacity(min(limit, body.count * 4))
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        return try body.withUnsafeBufferPointer { input throws(Failure) in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.pointee.avail_in = UInt32(input.count)
            while true {
                let (code, produced) = scratch.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    let code = inflate(stream, Z_NO_FLUSH)
                    return (code, out.count - Int(stream.pointee.avail_out))
                }
                guard produced <= limit - output.count else { throw .tooLarge }
                output.append(contentsOf: scratch[..<produced])
                switch code {
                case Z_STREAM_END:
                    if stream.pointee.avail_in == 0 { return output }
                    guard coding == .gzip, inflateReset(stream) == Z_OK else { throw .invalid }
                case Z_OK:
                    // Room left for output but no input left: the compressed data ended early.
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { throw .invalid }
                default:
                    throw .invalid
                }
            }
        }
    }

    /// A zlib header (RFC 1950): deflate method, a window of at most 32 KiB, and a check that makes the first two
    /// bytes a multiple of 31. Raw deflate data that happens to pass then fails the zlib checksum and is refused;
    /// either way what is forwarded is what was decoded and scanned.
    private static func hasZlibHeader(_ body: [UInt8]) -> Bool {
        guard body.count >= 2 else { return false }
        let cmf = UInt16(body[0])
        let flg = UInt16(body[1])
        return cmf & 0x0F == 8 && cmf >> 4 <= 7 && (cmf << 8 | flg) % 31 == 0
    }
}
