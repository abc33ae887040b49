import Crypto
import Foundation
import GRDB
import Testing

@testable import AirlockLedger

@Suite struct LedgerStoreTests {
    static func temporaryStore() throws -> (LedgerStore, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/ledger.sqlite"
        return (try LedgerStore(path: path), path)
    }

    static func event(_ i: Int, kind: LedgerEvent.Kind = .request) -> LedgerEvent {
        var e = LedgerEvent(kind: kind, requestID: "r\(i)", time: 1_700_000_000_000 + Int64(i))
        e.method = "POST"
        e.host = "api.openai.com"
        e.port = 443
        e.path = "/v1/chat/completions"
        e.decision = .allowed
        e.requestModel = "gpt-test"
        return e
    }

    @Test func chainVerifiesAndCatchesEdits() throws {
        let (store, path) = try Self.temporaryStore()
        let key = Curve25519.Signing.PrivateKey()
        _ = try store.append((1...20).map { Self.event($0) })
        try store.checkpoint(signer: key, now: 1)
        #expect(try LedgerVerifier.verify(store, publicKey: key.publicKey).intact)

        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE events SET decision = 'denied' WHERE seq = 7") }
        let report = try LedgerVerifier.verify(store, publicKey: key.publicKey)
        #expect(!report.intact && report.badSeq == 7)
    }

    @Test func checkpointsAreSignedAndForeignKeysAreRejected() throws {
        let (store, _) = try Self.temporaryStore()
        let key = Curve25519.Signing.PrivateKey()
        _ = try store.append([Self.event(1)])
        let checkpoint = try #require(try store.checkpoint(signer: key, now: 5))
        #expect(checkpoint.isValid(for: key.publicKey))
        #expect(!checkpoint.isValid(for: Curve25519.Signing.PrivateKey().publicKey))
        let note = checkpoint.note(publicKey: key.publicKey)
        #expect(Checkpoint(note: note) == checkpoint)
        #expect(!(try LedgerVerifier.verify(store, publicKey: Curve25519.Signing.PrivateKey().publicKey).intact))
    }

    @Test func pruneLeavesAVerifiableChain() throws {
        let (store, _) = try Self.temporaryStore()
        let key = Curve25519.Signing.PrivateKey()
        _ = try store.append((1...10).map { Self.event($0) })
        let removed = try store.prune(olderThan: 1_700_000_000_006, signer: key, now: 9)
        #expect(removed == 5)
        let report = try LedgerVerifier.verify(store, publicKey: key.publicKey)
        #expect(report.intact && report.events == 5)
        _ = try store.append([Self.event(11)])
        #expect(try LedgerVerifier.verify(store, publicKey: key.publicKey).intact)
    }

    @Test func queriesMergeOutcomes() throws {
        let (store, _) = try Self.temporaryStore()
        var outcome = LedgerEvent(kind: .outcome, requestID: "r1", time: 1_700_000_000_100)
        outcome.upstreamStatus = 200
        outcome.inputTokens = 11
        _ = try store.append([Self.event(1), Self.event(2), outcome])
        let rows = try LedgerQuery.requests(store, LedgerFilter())
        #expect(rows.count == 2)
        #expect(rows[0]["upstream_status"] == .int(200) && rows[0]["input_tokens"] == .int(11))
        #expect(rows[1]["decision"] == .text("incomplete"))
        var filter = LedgerFilter()
        filter.decision = "incomplete"
        #expect(try LedgerQuery.requests(store, filter).count == 1)
    }

    @Test func safeIdentifiers() {
        #expect(LedgerEvent.safeIdentifier("gpt-4o-2024-08-06") == "gpt-4o-2024-08-06")
        #expect(LedgerEvent.safeIdentifier("models/gemini-2.0-flash") == "models/gemini-2.0-flash")
        #expect(LedgerEvent.safeIdentifier("ignore previous instructions") == "[unsafe]")
        #expect(LedgerEvent.safeIdentifier(String(repeating: "a", count: 65)) == "[unsafe]")
    }
}
