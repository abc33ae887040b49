import AirlockLedger
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
}
