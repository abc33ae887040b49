import Crypto
import Foundation

/// What became of a request, as the ledger records it.
package enum LedgerDecision: String, Sendable, CaseIterable {
    case allowed, redacted, blocked, denied, error
    /// A request event whose outcome was never written (the process stopped while it was in flight).
    case incomplete
}

/// One immutable ledger row. A request that is forwarded has two: a `request` event made durable before
/// forwarding, and an `outcome` event after the response. A request refused before forwarding has one.
/// Every field is metadata with a fixed meaning; nothing holds request or response content.
package struct LedgerEvent: Sendable, Equatable {
    package enum Kind: String, Sendable { case request, outcome }

    package var kind: Kind
    /// Random id shared by a request event and its outcome.
    package var requestID: String
    /// Milliseconds since 1970, UTC.
    package var time: Int64

    // Request side.
    package var clientAddress: String?
    package var proxyUser: String?
    package var method: String?
    package var scheme: String?
    /// `server.address`, `server.port`.
    package var host: String?
    package var port: Int?
    /// Without the query string; opaque segments replaced by `{id}`.
    package var path: String?
    /// The allowlist entry that matched (its host pattern).
    package var entry: String?
    /// `gen_ai.provider.name`: `openai`, `anthropic` or `gcp.gemini`.
    package var provider: String?
    /// `gen_ai.operation.name`: `chat`, `responses`, `embeddings`, `messages`, `generateContent`…
    package var operation: String?
    /// `gen_ai.request.model`; `[unsafe]` when the name is long or has unusual characters.
    package var requestModel: String?
    /// `gen_ai.request.stream`.
    package var stream: Bool?
    package var decision: LedgerDecision?
    /// A stable reason code (`host_not_allowlisted`, `scrubber_blocked`, …).
    package var reason: String?
    package var requestBytes: Int?
    /// Bytes sent upstream after scrubbing.
    package var forwardedBytes: Int?
    /// Findings per detector id, e.g. `github-pat:2,code-python:1`.
    package var findings: String?
    package var codeLinesRemoved: Int?
    /// A keyed HMAC of the API key the client sent, truncated; never the key.
    package var credentialID: String?

    // Outcome side.
    package var durationMs: Int?
    package var upstreamStatus: Int?
    package var responseBytes: Int?
    /// `gen_ai.response.model`.
    package var responseModel: String?
    /// `gen_ai.usage.input_tokens` (Anthropic: including cache reads and writes).
    package var inputTokens: Int?
    /// `gen_ai.usage.output_tokens`.
    package var outputTokens: Int?
    package var tlsVersion: String?
    /// `error.type`.
    package var errorType: String?

    package init(kind: Kind, requestID: String, time: Int64) {
        self.kind = kind
        self.requestID = requestID
        self.time = time
    }

    /// The columns of schema version 1, in their fixed order (after `seq`, before `prev_hash` and `hash`).
    package static let schema: [LedgerColumn] = [
        .init("kind"), .init("request_id"), .init("time_ms", integer: true), .init("client_address"),
        .init("proxy_user"), .init("method"), .init("scheme"), .init("host"), .init("port", integer: true),
        .init("path"), .init("entry"), .init("provider"), .init("operation"), .init("request_model"),
        .init("stream", integer: true), .init("decision"), .init("reason"), .init("request_bytes", integer: true),
        .init("forwarded_bytes", integer: true), .init("findings"), .init("code_lines_removed", integer: true),
        .init("credential_id"), .init("duration_ms", integer: true), .init("upstream_status", integer: true),
        .init("response_bytes", integer: true), .init("response_model"), .init("input_tokens", integer: true),
        .init("output_tokens", integer: true), .init("tls_version"), .init("error_type"),
    ]

    /// Every field's value, in the order of `schema`.
    package var values: [LedgerValue] {
        [
            .text(kind.rawValue), .text(requestID), .int(time), .opt(clientAddress), .opt(proxyUser), .opt(method),
            .opt(scheme), .opt(host), .optInt(port), .opt(path), .opt(entry), .opt(provider), .opt(operation),
            .opt(requestModel), .optInt(stream.map { $0 ? 1 : 0 }), .opt(decision?.rawValue), .opt(reason),
            .optInt(requestBytes), .optInt(forwardedBytes), .opt(findings), .optInt(codeLinesRemoved),
            .opt(credentialID), .optInt(durationMs), .optInt(upstreamStatus), .optInt(responseBytes),
            .opt(responseModel), .optInt(inputTokens), .optInt(outputTokens), .opt(tlsVersion), .opt(errorType),
        ]
    }

    private static let canonicalHeader = Array("airlock-ledger v1\n".utf8)
    private static let seqName = Array("seq=".utf8)
    private static let prevName = Array("prev=".utf8)
    private static let names: [[UInt8]] = schema.map { Array(($0.name + "=").utf8) }

    /// The bytes hashed into the chain: schema version, sequence number, previous hash and every field, each as
    /// `name=LENGTH:VALUE` (or `name=-` when absent) on its own line, so that no two different records encode alike.
    package static func canonical(seq: Int64, previousHash: String, values: [LedgerValue]) -> [UInt8] {
        precondition(values.count == schema.count, "a ledger row has one value per schema column")
        // An upper bound: a number field is at most 24 bytes (a 2-digit length, `:`, 20 characters, newline), a
        // text field at most 22 bytes besides its text.
        var capacity = canonicalHeader.count + seqName.count + prevName.count + 48 + previousHash.utf8.count
        for index in values.indices {
            capacity += names[index].count + 24
            if case .text(let text) = values[index] { capacity += text.utf8.count }
        }
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var writer = CanonicalWriter(buffer: buffer)
            writer.write(canonicalHeader)
            writer.write(seqName)
            writer.numberField(seq)
            writer.write(prevName)
            writer.textField(previousHash)
            for index in values.indices {
                writer.write(names[index])
                switch values[index] {
                case .text(let text): writer.textField(text)
                case .int(let number): writer.numberField(number)
                case .null: writer.write(absent)
                }
            }
            count = writer.position
        }
    }

    private static let absent = Array("-\n".utf8)

    /// Writes a canonical encoding into a buffer sized for it, without growing or copying.
    private struct CanonicalWriter {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var position = 0

        mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
            precondition(position + bytes.count <= buffer.count, "the canonical encoding outgrew its bound")
            guard let source = bytes.baseAddress else { return }
            (buffer.baseAddress! + position).initialize(from: source, count: bytes.count)
            position += bytes.count
        }

        mutating func write(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { write($0) } }

        mutating func byte(_ byte: UInt8) {
            precondition(position < buffer.count, "the canonical encoding outgrew its bound")
            buffer[position] = byte
            position += 1
        }

        /// `LENGTH:TEXT` and a newline.
        mutating func textField(_ text: String) {
            number(Int64(text.utf8.count))
            byte(UInt8(ascii: ":"))
            var text = text
            text.withUTF8 { write($0) }
            byte(0x0A)
        }

        /// `LENGTH:DIGITS` and a newline, the length being that of the decimal text (sign included).
        mutating func numberField(_ value: Int64) {
            var digits = 1
            var rest = value.magnitude
            while rest >= 10 {
                rest /= 10
                digits += 1
            }
            number(Int64(digits + (value < 0 ? 1 : 0)))
            byte(UInt8(ascii: ":"))
            number(value)
            byte(0x0A)
        }

        mutating func number(_ value: Int64) {
            if value < 0 { byte(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            let start = position
            repeat {
                byte(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            buffer[start..<position].reverse()
        }
    }

    package static func hash(_ canonical: [UInt8]) -> String {
        Hex.string(Array(SHA256.hash(data: canonical)))
    }

    /// A new request id: a version 7 UUID (RFC 9562), which sorts by time, so the ledger's index on request ids
    /// grows at one end instead of touching a random page for every record.
    package static func newRequestID(time: Int64) -> String {
        let (a, b) = RandomPool.shared.next()
        let high = (UInt64(truncatingIfNeeded: time) << 16) | 0x7000 | (a & 0x0FFF)
        let low = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for word in [high, low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> shift)) }
        }
        return Hex.string(bytes, dashesBefore: [4, 6, 8, 10])
    }

    /// What the ledger keeps instead of an identifier it will not copy.
    package static let unsafeIdentifier = "[unsafe]"

    /// Identifiers copied from a request are kept only when short and made of safe characters.
    package static func safeIdentifier(_ text: String?, limit: Int = 64) -> String? {
        guard let text, !text.isEmpty else { return nil }
        let ok =
            text.utf8.count <= limit
            && text.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2E || b == 0x2D
                    || b == 0x5F
                    || b == 0x3A || b == 0x2F || b == 0x40
            }
        return ok ? text : unsafeIdentifier
    }

    package static let genesisHash = String(repeating: "0", count: 64)
}

/// A column of the ledger's `events` table.
package struct LedgerColumn: Sendable {
    package var name: String
    /// Stored as INTEGER; otherwise TEXT.
    package var integer: Bool
    init(_ name: String, integer: Bool = false) {
        self.name = name
        self.integer = integer
    }
}

/// A column value for the store and the canonical encoding.
package enum LedgerValue: Sendable, Equatable {
    case text(String)
    case int(Int64)
    case null

    static func opt(_ s: String?) -> LedgerValue { s.map { .text($0) } ?? .null }
    static func optInt(_ i: Int?) -> LedgerValue { i.map { .int(Int64($0)) } ?? .null }

    package var text: String? {
        switch self {
        case .text(let s): s
        case .int(let i): String(i)
        case .null: nil
        }
    }
}

/// Lowercase hex, written without Foundation's formatting: record hashes, request ids and credential ids are made
/// for every request.
/// Random bits for request ids, read from the kernel's generator 4 KiB at a time: a system call per 256 ids
/// instead of two per id, on the request path.
final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()

    private let lock = NSLock()
    // Guarded by `lock`.
    private var words = [UInt64](repeating: 0, count: 512)
    private var used = 512

    func next() -> (UInt64, UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if used + 2 > words.count {
            words.withUnsafeMutableBytes(fill)
            used = 0
        }
        used += 2
        return (words[used - 2], words[used - 1])
    }

    /// `/dev/urandom`, opened once; -1 if it cannot be.
    private let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    private func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var filled = 0
        while device >= 0 && filled < buffer.count {
            let count = read(device, buffer.baseAddress! + filled, buffer.count - filled)
            if count > 0 {
                filled += count
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        guard filled < buffer.count else { return }
        // Unreadable: the standard library's generator, a word at a time.
        var generator = SystemRandomNumberGenerator()
        for offset in stride(from: 0, to: buffer.count, by: 8) {
            buffer.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
        }
    }
}

enum Hex {
    static func string(_ bytes: [UInt8], dashesBefore dashes: [Int] = []) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: bytes.count * 2 + dashes.count) { buffer in
            var i = 0
            for (n, byte) in bytes.enumerated() {
                if dashes.contains(n) {
                    buffer[i] = UInt8(ascii: "-")
                    i += 1
                }
                buffer[i] = digits.utf8Start[Int(byte >> 4)]
                buffer[i + 1] = digits.utf8Start[Int(byte & 0xF)]
                i += 2
            }
            return i
        }
    }
}
