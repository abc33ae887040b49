import Crypto
import Foundation

/// The single ledger writer: a dedicated thread, off the event loops, that commits queued events in batches
/// (group commit: a request waits only for the batch that holds its record), signs a checkpoint every
/// `checkpointEvery` events or `checkpointInterval`, applies retention, and signs a final checkpoint on close.
package final class LedgerWriter: @unchecked Sendable {
    package typealias Completion = @Sendable (Result<Int64, LedgerError>) -> Void

    private let store: LedgerStore
    private let keys: LedgerKeys
    private let checkpointEvery: Int
    private let checkpointInterval: Double
    private let retention: Double?
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [(LedgerEvent, Completion?)] = []
    private var closing = false
    private var closed = false
    private var thread: Thread?
    /// Called on the writer thread after each batch with its commit time in seconds and whether it failed.
    private let onCommit: (@Sendable (Double, Bool) -> Void)?
    // Guarded by `condition`.
    private var lastBatchFailed = false

    /// Whether the last batch was written (for `/healthz`).
    package var healthy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !lastBatchFailed
    }

    package init(
        store: LedgerStore, keys: LedgerKeys, checkpointEvery: Int = 1000, checkpointInterval: Double = 60,
        retention: Double? = nil, onCommit: (@Sendable (Double, Bool) -> Void)? = nil
    ) {
        self.onCommit = onCommit
        self.store = store
        self.keys = keys
        self.checkpointEvery = checkpointEvery
        self.checkpointInterval = checkpointInterval
        self.retention = retention
    }

    package func start() {
        let thread = Thread { [self] in run() }
        thread.name = "airlock-ledger"
        self.thread = thread
        thread.start()
        let checkpointer = Thread { [self] in
            while !isClosed {
                Thread.sleep(forTimeInterval: 1)
                store.walCheckpoint()
            }
        }
        checkpointer.name = "airlock-ledger-wal"
        checkpointer.start()
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Queues an event; `completion` runs on the writer thread once its batch is committed (or failed).
    package func append(_ event: LedgerEvent, completion: Completion? = nil) {
        condition.lock()
        if closed {
            condition.unlock()
            completion?(.failure(LedgerError(code: "ledger_closed", reason: "the ledger is shut down")))
            return
        }
        queue.append((event, completion))
        condition.signal()
        condition.unlock()
    }

    /// Commits what is queued, signs a final checkpoint and stops the thread.
    package func close() {
        condition.lock()
        closing = true
        condition.signal()
        while !closed { condition.wait() }
        condition.unlock()
    }

    private func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func run() {
        var sinceCheckpoint = 0
        var lastCheckpoint = Date()
        var lastRetention = Date.distantPast
        while true {
            condition.lock()
            while queue.isEmpty && !closing {
                if !condition.wait(until: Date().addingTimeInterval(1)) { break }
            }
            if queue.count == 1 && !closing {
                // Group commit: give concurrent requests a moment to join this batch.
                _ = condition.wait(until: Date().addingTimeInterval(0.0005))
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let stopping = closing
            condition.unlock()

            if !batch.isEmpty {
                let started = DispatchTime.now().uptimeNanoseconds
                let outcome = Result { () throws(LedgerError) in try store.append(batch.map(\.0)) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                condition.lock()
                lastBatchFailed = (try? outcome.get()) == nil
                condition.unlock()
                onCommit?(seconds, (try? outcome.get()) == nil)
                switch outcome {
                case .success(let numbers):
                    sinceCheckpoint += batch.count
                    for (i, item) in batch.enumerated() { item.1?(.success(numbers[i])) }
                case .failure(let error):
                    for item in batch { item.1?(.failure(error)) }
                }
            }
            if sinceCheckpoint > 0,
                sinceCheckpoint >= checkpointEvery || Date().timeIntervalSince(lastCheckpoint) >= checkpointInterval
                    || stopping
            {
                if (try? store.checkpoint(signer: keys.signing, now: now())) != nil {
                    sinceCheckpoint = 0
                    lastCheckpoint = Date()
                }
            }
            if let retention, Date().timeIntervalSince(lastRetention) >= 3600 {
                lastRetention = Date()
                _ = try? store.prune(olderThan: now() - Int64(retention * 1000), signer: keys.signing, now: now())
            }
            if stopping {
                store.walCheckpoint()
                condition.lock()
                if queue.isEmpty {
                    closed = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                condition.unlock()
            }
        }
    }
}
