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

    /// Every field as (column, value), in the fixed order of schema version 1.
    package var columns: [(String, LedgerValue)] {
        [
            ("kind", .text(kind.rawValue)), ("request_id", .text(requestID)), ("time_ms", .int(time)),
            ("client_address", .opt(clientAddress)), ("proxy_user", .opt(proxyUser)), ("method", .opt(method)),
            ("scheme", .opt(scheme)), ("host", .opt(host)), ("port", .optInt(port)), ("path", .opt(path)),
            ("entry", .opt(entry)), ("provider", .opt(provider)), ("operation", .opt(operation)),
            ("request_model", .opt(requestModel)), ("stream", .optInt(stream.map { $0 ? 1 : 0 })),
            ("decision", .opt(decision?.rawValue)), ("reason", .opt(reason)), ("request_bytes", .optInt(requestBytes)),
            ("forwarded_bytes", .optInt(forwardedBytes)), ("findings", .opt(findings)),
            ("code_lines_removed", .optInt(codeLinesRemoved)), ("credential_id", .opt(credentialID)),
            ("duration_ms", .optInt(durationMs)), ("upstream_status", .optInt(upstreamStatus)),
            ("response_bytes", .optInt(responseBytes)), ("response_model", .opt(responseModel)),
            ("input_tokens", .optInt(inputTokens)), ("output_tokens", .optInt(outputTokens)),
            ("tls_version", .opt(tlsVersion)), ("error_type", .opt(errorType)),
        ]
    }

    /// The bytes hashed into the chain: schema version, sequence number, previous hash and every field,
    /// each length-prefixed so that no two different records encode alike.
    package static func canonical(seq: Int64, previousHash: String, columns: [(String, LedgerValue)]) -> [UInt8] {
        var out = Array("airlock-ledger v1\n".utf8)
        out.reserveCapacity(1024)
        func field(_ name: String, _ value: String?) {
            out.append(contentsOf: name.utf8)
            if let value {
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: String(value.utf8.count).utf8)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: value.utf8)
            } else {
                out.append(UInt8(ascii: "="))
                out.append(UInt8(ascii: "-"))
            }
            out.append(0x0A)
        }
        field("seq", String(seq))
        field("prev", previousHash)
        for (name, value) in columns { field(name, value.text) }
        return out
    }

    package static func hash(_ canonical: [UInt8]) -> String {
        let digits: StaticString = "0123456789abcdef"
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: canonical) {
            out.append(digits.utf8Start[Int(byte >> 4)])
            out.append(digits.utf8Start[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

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
        return ok ? text : "[unsafe]"
    }

    package static let genesisHash = String(repeating: "0", count: 64)
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
