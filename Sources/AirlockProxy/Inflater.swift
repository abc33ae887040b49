import CAirlockZlib

/// A zlib inflate stream fed in pieces: a compressed request body decoded before it is scanned, or a compressed
/// response read on its way to the client for its token usage. Output is capped: past `limit` decoded bytes in
/// all, feeding fails rather than expanding without end.
final class Inflater {
    private let coding: BodyDecoder.Coding
    // zlib keeps the stream's address in its own state and checks it on every call: the stream must not move.
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch: [UInt8]
    private var started = false
    /// `deflate` only: the first byte, held until the second tells a zlib header from raw deflate data.
    private var held: [UInt8] = []
    /// Decoded bytes so far, against the limit.
    private var produced = 0
    /// Whether the compressed data is complete: the deflate stream, or the last gzip member so far, has ended.
    private(set) var ended = false

    init(coding: BodyDecoder.Coding, chunkSize: Int = 16 * 1024) {
        self.coding = coding
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        scratch = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates `input` and hands the decoded bytes to `output` in pieces. A gzip member that ends may be followed
    /// by another (RFC 1952), as `gunzip` reads them; anything else after the end of the data is invalid.
    func feed(
        _ input: UnsafeRawBufferPointer, limit: Int, output: (UnsafeRawBufferPointer) -> Void
    ) throws(BodyDecoder.Failure) {
        if !started {
            if coding == .deflate && held.count + input.count < 2 {
                held.append(contentsOf: input)
                return
            }
            if !held.isEmpty {
                let joined = held + Array(input)
                held = []
                try start(first: joined[0], second: joined[1])
                try joined.withUnsafeBytes { bytes in
                    Result { () throws(BodyDecoder.Failure) in try inflate(bytes, limit: limit, output: output) }
                }.get()
                return
            }
            try start(first: input.first ?? 0, second: input.count > 1 ? input[1] : 0)
        }
        try inflate(input, limit: limit, output: output)
    }

    private func start(first: UInt8, second: UInt8) throws(BodyDecoder.Failure) {
        let windowBits: Int32
        switch coding {
        case .gzip: windowBits = 15 + 16
        case .deflate: windowBits = Inflater.isZlibHeader(first, second) ? 15 : -15
        }
        guard airlock_inflateInit2(stream, windowBits) == Z_OK else { throw .invalid }
        started = true
    }

    private func inflate(
        _ input: UnsafeRawBufferPointer, limit: Int, output: (UnsafeRawBufferPointer) -> Void
    ) throws(BodyDecoder.Failure) {
        guard input.count <= Int(UInt32.max) else { throw .tooLarge }
        if ended && !input.isEmpty {
            // More after the end: only another gzip member may follow.
            guard coding == .gzip, inflateReset(stream) == Z_OK else { throw .invalid }
            ended = false
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let (code, count) = scratch.withUnsafeMutableBytes { out in
                stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(out.count)
                let code = CAirlockZlib.inflate(stream, Z_NO_FLUSH)
                let count = out.count - Int(stream.pointee.avail_out)
                stream.pointee.next_out = nil
                return (code, count)
            }
            guard count <= limit - produced else { throw .tooLarge }
            produced += count
            if count > 0 { scratch.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[..<count])) } }
            switch code {
            case Z_STREAM_END:
                ended = true
                if stream.pointee.avail_in == 0 { return }
                guard coding == .gzip, inflateReset(stream) == Z_OK else { throw .invalid }
                ended = false
            case Z_OK:
                // Everything given is consumed and everything decoded so far handed on: wait for more.
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                return
            default:
                throw .invalid
            }
        }
    }

    /// A zlib header (RFC 1950): deflate method, a window of at most 32 KiB, and a check that makes the first two
    /// bytes a multiple of 31. Raw deflate data that happens to pass then fails the zlib checksum and is refused;
    /// either way what is forwarded is what was decoded and scanned.
    private static func isZlibHeader(_ cmf: UInt8, _ flg: UInt8) -> Bool {
        cmf & 0x0F == 8 && cmf >> 4 <= 7 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0
    }
}
