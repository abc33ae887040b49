import AirlockScrub
import Foundation
import NIOCore
import NIOHTTP1

/// Reads token usage from a response as it streams past, without holding it back: server-sent events are
/// split into lines and only `data:` lines that mention usage or a model are parsed; a JSON body is kept
/// (up to `limit`) and parsed at the end. Bounded: anything longer is skipped, never buffered. A gzip- or
/// deflate-compressed response is inflated on the side (up to `decodedLimit`) while its bytes go on unchanged.
final class UsageTap {
    private let streaming: Bool
    private var buffer: [UInt8] = []
    private var overflowed = false
    private static let limit = 1 << 20
    private(set) var usage = TokenUsage()
    /// The stream's terminal event has gone past (`data: [DONE]`, Anthropic's `message_stop`, the Responses API's
    /// `response.completed`, `.failed` or `.incomplete`, a Gemini candidate's `finishReason`): the response is
    /// whole even if the client closes before the stream's end arrives.
    private(set) var sawTerminalEvent = false
    /// Set for a compressed response; nil again once its data turned out corrupt.
    private var inflater: Inflater?
    /// Compressed in a way the tap cannot read, or found corrupt: no usage is read from it.
    private var unreadable = false
    private static let decodedLimit = 256 << 20

    /// Whether `finish()` also reads the `id` of a JSON response (an upload part's), and what it read.
    private let readsID: Bool
    private(set) var objectID: String?

    /// `headers`: the response's.
    init(headers: HTTPHeaders, readsID: Bool = false) {
        self.readsID = readsID
        streaming = Self.isEventStream(headers)
        switch BodyDecoder.coding(headers) {
        case .success(let coding?): inflater = Inflater(coding: coding)
        case .success(nil): break
        case .failure: unreadable = true
        }
    }

    /// The `Accept-Encoding` to send upstream so that a response comes back in a form the tap can read: the
    /// client's list without the codings it cannot (`br`, `zstd`, `*`), or `identity` when none is left. Nil
    /// when the client's list needs no change or there is none.
    static func readableAcceptEncoding(_ headers: HTTPHeaders) -> String? {
        // Every request to a provider passes here, and nearly all need no change (Go and curl send `gzip`): the
        // values are checked in place first, and a list is built only when something has to go.
        let unreadable = headers.contains { name, value in
            name.utf8.equalsIgnoringASCIICase("accept-encoding") && !allReadable(value)
        }
        guard unreadable else { return nil }
        let kept = headers[canonicalForm: "accept-encoding"].filter { isReadable($0.utf8) }
        return kept.isEmpty ? "identity" : kept.joined(separator: ", ")
    }

    private static func allReadable(_ value: String) -> Bool {
        let bytes = value.utf8
        var start = bytes.startIndex
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            guard isReadable(bytes[start..<end]) else { return false }
            guard end < bytes.endIndex else { return true }
            start = bytes.index(after: end)
        }
    }

    /// One element of an `Accept-Encoding` list (`gzip;q=0.8`): whether its coding is one the tap reads. An empty
    /// element stands for nothing and needs no change.
    private static func isReadable(_ element: some BidirectionalCollection<UInt8>) -> Bool {
        let name = element.prefix { $0 != UInt8(ascii: ";") }.trimmingASCIIWhitespace()
        return name.isEmpty || name.equalsIgnoringASCIICase("gzip") || name.equalsIgnoringASCIICase("x-gzip")
            || name.equalsIgnoringASCIICase("deflate") || name.equalsIgnoringASCIICase("identity")
    }

    func feed(_ chunk: ByteBuffer) {
        guard !unreadable else { return }
        chunk.withUnsafeReadableBytes { bytes in
            guard let inflater else { return absorb(bytes) }
            do throws(BodyDecoder.Failure) {
                try inflater.feed(bytes, limit: UsageTap.decodedLimit) { absorb($0) }
            } catch {
                self.inflater = nil
                unreadable = true
                buffer = []
            }
        }
    }

    private func absorb(_ bytes: UnsafeRawBufferPointer) {
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
        if line.starts(with: "event:".utf8) {
            let name = Substring(decoding: line.dropFirst(6), as: UTF8.self).trimmingASCIISpaces()
            if Self.terminalEvents.contains(String(name)) { sawTerminalEvent = true }
            return
        }
        // Only `data:` lines that carry a usage object are parsed, plus the first one for the model name;
        // every other event (one per streamed token) passes with a byte search.
        guard line.count > 6, line.starts(with: "data:".utf8) else { return }
        let payload = Array(line.dropFirst(5))
        if payload.trimmingASCIIWhitespace().elementsEqual("[DONE]".utf8) || payload.contains(Self.finishReason) {
            sawTerminalEvent = true
        }
        guard UsageTap.carriesUsage(payload) || (usage.responseModel == nil && payload.contains(UInt8(ascii: "{")))
        else { return }
        usage.absorb(json: payload)
    }

    private static let terminalEvents: Set<String> = [
        "message_stop", "response.completed", "response.failed", "response.incomplete",
    ]

    /// A Gemini candidate's `finishReason`: the stream's last candidate has one.
    private static let finishReason = Array("\"finishReason\"".utf8)

    /// Whether a response's body is a stream of server-sent events.
    static func isEventStream(_ headers: HTTPHeaders) -> Bool {
        headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") ?? false
    }

    /// `"usage": {` or `"usageMetadata": {` somewhere in the event (not `"usage": null`).
    static func carriesUsage(_ bytes: [UInt8]) -> Bool {
        let key: [UInt8] = Array("\"usage".utf8)
        var i = 0
        while i + key.count < bytes.count {
            if bytes[i] == key[0], bytes[i..<i + key.count].elementsEqual(key) {
                var j = i + key.count
                if bytes[j...].starts(with: "Metadata".utf8) { j += 8 }
                guard j < bytes.count, bytes[j] == UInt8(ascii: "\"") else {
                    i += 1
                    continue
                }
                j += 1
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == UInt8(ascii: ":") { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: "{") { return true }
            }
            i += 1
        }
        return false
    }

    func finish() -> TokenUsage {
        if !streaming, !overflowed, !unreadable, !buffer.isEmpty {
            usage.absorb(json: buffer)
            if readsID,
                let object = try? JSONSerialization.jsonObject(with: Data(buffer)) as? [String: Any],
                let id = object["id"] as? String
            {
                objectID = id
            }
        }
        buffer = []
        inflater = nil
        return usage
    }
}
