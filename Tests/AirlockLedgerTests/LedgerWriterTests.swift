import Crypto
import Foundation
import GRDB
import Testing

@testable import AirlockLedger

@Suite struct LedgerWriterTests {
    static func writer() throws -> (LedgerWriter, LedgerStore, LedgerKeys) {
        let (writer, store, keys, _) = try writerWithPath()
        return (writer, store, keys)
    }

    static func writerWithPath() throws -> (LedgerWriter, LedgerStore, LedgerKeys, String) {
        let (store, path) = try LedgerStoreTests.temporaryStore()
        let keys = try LedgerKeys(signingKey: LedgerKeys.newSigningKey(), credentialKey: LedgerKeys.newCredentialKey())
        let writer = LedgerWriter(store: store, keys: keys, checkpointEvery: 50)
        writer.start()
        return (writer, store, keys, path)
    }

    static func count(_ store: LedgerStore) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    /// Many callers at once, as the event loops do: every waiting caller learns its own sequence number once its
    /// batch is committed, outcomes queued without waiting are committed too, and the chain verifies.
    @Test func concurrentCallersShareBatchesAndEachLearnsItsSequenceNumber() throws {
        let (writer, store, keys) = try Self.writer()
        let seqs = Mutex<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 64) { client in
            let committed = DispatchSemaphore(value: 0)
            for i in 0..<20 {
                let request = LedgerStoreTests.event(client * 100 + i)
                writer.append(request) { result in
                    if case .success(let seq) = result { seqs.withLock { $0.append(seq) } }
                    committed.signal()
                }
                committed.wait()
                writer.append(LedgerStoreTests.event(client * 100 + i, kind: .outcome))
            }
        }
        writer.close()
        let numbers = seqs.withLock { $0 }
        #expect(numbers.count == 64 * 20)
        #expect(Set(numbers).count == numbers.count)
        #expect(try Self.count(store) == 64 * 20 * 2)
        let report = try LedgerVerifier.verify(store, publicKey: keys.signing.publicKey)
        #expect(report.intact && report.events == 64 * 20 * 2)
        let last = try store.latestCheckpoint()
        #expect(last?.seq == Int64(64 * 20 * 2))
    }

    /// An event nobody waits for (an outcome, a refusal) is committed on its own, without a later event.
    @Test func eventsWithoutWaitersAreCommittedWithoutAnotherEvent() throws {
        let (writer, store, _) = try Self.writer()
        defer { writer.close() }
        writer.append(LedgerStoreTests.event(1, kind: .outcome))
        var seen = 0
        for _ in 0..<200 where seen == 0 {
            Thread.sleep(forTimeInterval: 0.01)
            seen = try Self.count(store)
        }
        #expect(seen == 1)
    }

    /// While another connection holds the database, a waiting caller is told at once (its request is refused), and
    /// the records nobody waits for are kept and written once the database is free again.
    @Test func failedBatchesFailWaitersAndKeepTheRest() throws {
        let (writer, store, keys, path) = try Self.writerWithPath()
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // the lock is held across accesses on purpose
        let blocker = try DatabaseQueue(path: path, configuration: configuration)
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
        writer.append(LedgerStoreTests.event(1, kind: .outcome))
        writer.append(LedgerStoreTests.event(2, kind: .outcome))
        let refused = DispatchSemaphore(value: 0)
        let failure = Mutex<LedgerError?>(nil)
        writer.append(LedgerStoreTests.event(3)) { result in
            if case .failure(let error) = result { failure.withLock { $0 = error } }
            refused.signal()
        }
        #expect(refused.wait(timeout: .now() + 10) == .success)
        #expect(failure.withLock { $0 } != nil)
        #expect(!writer.healthy)
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try blocker.close()

        var seen = 0
        for _ in 0..<300 where seen < 2 {
            Thread.sleep(forTimeInterval: 0.01)
            seen = try Self.count(store)
        }
        writer.close()
        #expect(try Self.count(store) == 2)
        #expect(writer.healthy)
        #expect(writer.unwrittenRecords == 0)
        #expect(try LedgerVerifier.verify(store, publicKey: keys.signing.publicKey).intact)
    }

    @Test func closeCommitsWhatIsQueuedAndLaterAppendsFail() throws {
        let (writer, store, _) = try Self.writer()
        for i in 0..<10 { writer.append(LedgerStoreTests.event(i, kind: .outcome)) }
        writer.close()
        #expect(try Self.count(store) == 10)
        #expect(try store.latestCheckpoint()?.seq == 10)
        let failure = Mutex<LedgerError?>(nil)
        writer.append(LedgerStoreTests.event(11)) { result in
            if case .failure(let error) = result { failure.withLock { $0 = error } }
        }
        #expect(failure.withLock { $0?.code } == .closed)
    }
}

/// A small lock-protected box for collecting results from other threads.
final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
