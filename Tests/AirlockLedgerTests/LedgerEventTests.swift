import Crypto
import Foundation
import Testing

@testable import AirlockLedger

@Suite struct LedgerEventTests {
    /// The canonical encoding is what every stored hash was computed over: it may never change within schema v1.
    @Test func canonicalEncodingIsPinned() {
        var event = LedgerEvent(kind: .request, requestID: "r1", time: 1_700_000_000_000)
        event.host = "api.openai.com"
        event.port = 443
        event.stream = false
        event.findings = ""
        event.inputTokens = 0
        let expected = """
            airlock-ledger v1
            seq=2:42
            prev=4:abcd
            kind=7:request
            request_id=2:r1
            time_ms=13:1700000000000
            client_address=-
            proxy_user=-
            method=-
            scheme=-
            host=14:api.openai.com
            port=3:443
            path=-
            entry=-
            provider=-
            operation=-
            request_model=-
            stream=1:0
            decision=-
            reason=-
            request_bytes=-
            forwarded_bytes=-
            findings=0:
            code_lines_removed=-
            credential_id=-
            duration_ms=-
            upstream_status=-
            response_bytes=-
            response_model=-
            input_tokens=1:0
            output_tokens=-
            tls_version=-
            error_type=-

            """
        let canonical = LedgerEvent.canonical(seq: 42, previousHash: "abcd", values: event.values)
        #expect(String(decoding: canonical, as: UTF8.self) == expected)
        #expect(LedgerEvent.hash(canonical) == SHA256Hex.of(Array(expected.utf8)))
    }

    @Test func negativeAndMultiByteValuesAreLengthPrefixed() {
        var event = LedgerEvent(kind: .outcome, requestID: "é", time: -5)
        event.durationMs = 1_234_567
        event.responseBytes = Int.min
        event.inputTokens = Int.max
        event.path = String(repeating: "p", count: 300)
        let text = String(
            decoding: LedgerEvent.canonical(seq: 0, previousHash: "", values: event.values), as: UTF8.self)
        #expect(text.contains("\nseq=1:0\nprev=0:\n"))
        #expect(text.contains("\nrequest_id=2:é\n"))
        #expect(text.contains("\ntime_ms=2:-5\n"))
        #expect(text.contains("\nduration_ms=7:1234567\n"))
        #expect(text.contains("\nresponse_bytes=20:-9223372036854775808\n"))
        #expect(text.contains("\ninput_tokens=19:9223372036854775807\n"))
        #expect(text.contains("\npath=300:" + String(repeating: "p", count: 300) + "\n"))
    }

    @Test func requestIDsAreVersion7UUIDsInTimeOrder() {
        let ids = (0..<200).map { LedgerEvent.newRequestID(time: 1_700_000_000_000 + Int64($0 / 2)) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let parts = id.split(separator: "-").map(\.count)
            #expect(parts == [8, 4, 4, 4, 12])
            #expect(id.utf8.allSatisfy { $0 == 0x2D || (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            #expect(Array(id)[14] == "7")
            #expect("89ab".contains(Array(id)[19]))
            #expect(UUID(uuidString: id) != nil)
        }
        // The first 48 bits are the time in milliseconds.
        #expect(ids[0].hasPrefix("018bcfe5-6800"))
        let times = ids.map { $0.prefix(13) }
        #expect(times == times.sorted())
        // Ids made in the same millisecond differ in their random bits, across refills of the random pool.
        let sameTime = (0..<2000).map { _ in LedgerEvent.newRequestID(time: 1_700_000_000_000) }
        #expect(Set(sameTime).count == sameTime.count)
        #expect(Set(sameTime.map { $0.suffix(12) }).count == sameTime.count)
    }

    /// `cred_` and the first 8 bytes of the HMAC-SHA256 of the credential under the state directory's key, in hex.
    @Test func credentialIDIsATruncatedKeyedHMAC() throws {
        let key = [UInt8](repeating: 7, count: 32)
        let keys = try LedgerKeys(signingKey: LedgerKeys.newSigningKey(), credentialKey: key)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("sk-test".utf8), using: SymmetricKey(data: key))
        let expected = "cred_" + mac.prefix(8).map { String(format: "%02x", $0) }.joined()
        #expect(keys.credentialID("sk-test") == expected)
        #expect(keys.credentialID("sk-other") != expected)
    }

    @Test func theCredentialOfAnAuthorizationValueFollowsItsScheme() {
        #expect(LedgerKeys.credential(fromAuthorization: "Bearer sk-test") == "sk-test")
        #expect(LedgerKeys.credential(fromAuthorization: "Bearer   sk-test") == "sk-test")
        #expect(LedgerKeys.credential(fromAuthorization: "sk-test") == "sk-test")
        #expect(LedgerKeys.credential(fromAuthorization: "Bearer ") == "Bearer ")
    }
}

enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

@Suite struct ThreadNameTests {
    /// Operators find the ledger's and the log's threads by name in `top -H` and `ps -L`.
    @Test func theOperatingSystemSeesTheName() async throws {
        #if os(Linux)
            let name = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
                Thread.detachNewThread {
                    nameCurrentThread("airlock-test")
                    let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                    continuation.resume(returning: comm.trimmingCharacters(in: .newlines))
                }
            }
            #expect(name == "airlock-test")
        #endif
    }
}
