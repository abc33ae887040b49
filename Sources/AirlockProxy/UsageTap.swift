import AirlockLedger
import NIOCore

/// Reads token usage from a response as it streams past, without holding it back: server-sent events are
/// split into lines and only `data:` lines that mention usage or a model are parsed; a JSON body is kept
/// (up to `limit`) and parsed at the end. Bounded: anything longer is skipped, never buffered.
final class UsageTap {
    private let streaming: Bool
    private var buffer: [UInt8] = []
    private var overflowed = false
    private static let limit = 1 << 20
    private(set) var usage = TokenUsage()

    init(contentType: String?) {
        streaming = contentType?.lowercased().hasPrefix("text/event-stream") ?? false
    }

    func feed(_ chunk: ByteBuffer) {
        chunk.withUnsafeReadableBytes { bytes in
            guard streaming else {
                if !overflowed, buffer.count + bytes.count <= UsageTap.limit {
                    buffer.append(contentsOf: bytes)
                } else {
                    overflowed = true
                    buffer = []
                }
                return
            }
            var start = 0
            for i in 0..<bytes.count where bytes[i] == 0x0A {
                line(bytes[start..<i])
                start = i + 1
            }
            if start < bytes.count {
                if buffer.count + bytes.count - start <= UsageTap.limit {
                    buffer.append(contentsOf: bytes[start...])
                } else {
                    buffer = []
                }
            }
        }
    }

    private func line(_ tail: Slice<UnsafeRawBufferPointer>) {
        if buffer.isEmpty {
            consider(tail)
        } else {
            buffer.append(contentsOf: tail)
            let whole = buffer
            buffer = []
            consider(whole)
        }
    }

    private func consider(_ line: some Collection<UInt8>) {
        // `data: {...}` lines that carry usage or a model; everything else streams by untouched.
        guard line.count > 6, line.starts(with: "data:".utf8) else { return }
        let payload = line.dropFirst(5)
        guard payload.contains(UInt8(ascii: "{")), mentionsUsage(payload) else { return }
        usage.absorb(json: payload)
    }

    private func mentionsUsage(_ bytes: some Collection<UInt8>) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains("sage") || text.contains("\"model")
    }

    func finish() -> TokenUsage {
        if !streaming, !overflowed, !buffer.isEmpty { usage.absorb(json: buffer) }
        buffer = []
        return usage
    }
}
