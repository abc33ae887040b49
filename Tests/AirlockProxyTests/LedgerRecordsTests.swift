import AirlockLedger
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("What the ledger keeps of a model name")
struct LedgerRecordsTests {
    @Test func modelNamesAreKept() {
        for name in [
            "gpt-4o", "gpt-4o-mini-2024-07-18", "claude-3-5-sonnet-20241022", "gemini-1.5-pro-002",
            "models/gemini-2.0-flash", "ft:gpt-4o-mini-2024-07-18:acme::9abcDEF1", "text-embedding-3-large",
        ] {
            #expect(LedgerRecords.modelName(name) == name)
        }
        #expect(LedgerRecords.modelName(nil) == nil)
    }

    /// Model fields are client text: a key or an id in one, or anything but short safe characters, is not copied.
    @Test func keysAndOddTextAreNot() {
        for name in [
            "ghp_" + "Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU", "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0",
            "AIza" + "SyA1b2C3d4E5f6G7h8",
            "0123456789abcdef0123456789abcdef", "my model", "gpt?key=x", String(repeating: "a", count: 65),
        ] {
            #expect(LedgerRecords.modelName(name) == LedgerEvent.unsafeIdentifier, "\(name.prefix(8))")
        }
    }

    /// The key a client sent, whichever header or query parameter carries it; only its keyed hash is stored.
    @Test func credentialIsTheKeyEachProviderSends() {
        func credential(_ headers: [(String, String)], path: String = "/v1/x") -> String? {
            LedgerRecords.credential(HTTPHeaders(headers), path: path)
        }
        #expect(credential([("Authorization", "Bearer sk-one")]) == "sk-one")
        #expect(credential([("authorization", "Bearer   sk-one")]) == "sk-one")
        #expect(credential([("Authorization", "sk-bare")]) == "sk-bare")
        #expect(credential([("Authorization", "Bearer ")]) == "Bearer ")
        #expect(credential([("x-api-key", "sk-ant-two")]) == "sk-ant-two")
        #expect(credential([("x-goog-api-key", "AIza-three")]) == "AIza-three")
        #expect(credential([("api-key", "azure-four")]) == "azure-four")
        #expect(credential([], path: "/v1beta/models/m:generateContent?alt=sse&key=AIza-five") == "AIza-five")
        #expect(credential([], path: "/v1/chat/completions?keys=no") == nil)
        #expect(
            credential([], path: "/ws/BidiGenerateContentConstrained?access_token=auth_tokens/six") == "auth_tokens/six"
        )
        let protocols = "realtime, openai-insecure-api-key.ek_seven, openai-beta.realtime-v1"
        #expect(credential([("Sec-WebSocket-Protocol", protocols)]) == "ek_seven")
        #expect(credential([("Sec-WebSocket-Protocol", "realtime")]) == nil)
        // The header a client authenticates with comes first.
        #expect(credential([("Authorization", "Bearer sk-one"), ("Sec-WebSocket-Protocol", protocols)]) == "sk-one")
        #expect(credential([("Content-Type", "application/json")]) == nil)
    }
}
