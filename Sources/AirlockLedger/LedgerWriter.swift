import Crypto
import Foundation

/// The single ledger writer: a dedicated thread, off the event loops, that commits queued events in batches
/// (group commit: a request waits only for the batch that holds its record), signs a checkpoint every
/// `checkpointEvery` events or `checkpointInterval`, applies retention, and signs a final checkpoint on close.
///
/// Batching: an event whose caller waits for it (a request record, which must be durable before the request is
/// forwarded) is committed at once when the writer has been idle, and otherwise after at most `linger`, so that
/// under load one transaction carries many records. When the last batch held only one waiting event, nobody else was
/// sending: lingering would only delay a client that sends one request after another, so the next one is committed
/// at once too. Events nobody waits for (outcomes, refusals) ride along with
/// the next batch, or are committed on their own after `lazyDelay`.
///
/// A failed batch fails every caller waiting in it (their requests are refused, so nothing unrecorded leaves);
/// the events nobody waits for are kept and written with a later batch, at most `retainedLimit` of them, retried
/// no more often than every `retryDelay`. Those that cannot be kept, or are still unwritten at shutdown, are
/// counted in `unwrittenRecords`.
package final class LedgerWriter: @unchecked Sendable {
    package typealias Completion = @Sendable (Result<Int64, LedgerError>) -> Void

    private enum State { case busy, idle, lingering }

    private let store: LedgerStore
    private let keys: LedgerKeys
    private let checkpointEvery: Int
    private let checkpointInterval: Double
    private let retention: Double?
    private let linger: UInt64
    private let lazyDelay: UInt64
    private let maxBatch = 1024
    private let retainedLimit = 50_000
    private let retryDelay: UInt64 = 250_000_000
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [(LedgerEvent, Completion?)] = []
    /// How many queued events have a caller waiting, and when the first of them arrived (uptime, ns).
    private var waiting = 0
    private var firstWaitingArrival: UInt64 = 0
    /// When the oldest queued event arrived, and when the last batch was committed (uptime, ns).
    private var oldestArrival: UInt64 = 0
    private var lastCommitEnd: UInt64 = 0
    /// How many events of the last batch had a caller waiting.
    private var lastBatchWaiting = 0
    private var state = State.busy
    private var closing = false
    private var closed = false
    private var lastBatchFailed = false
    /// After a failed batch, events nobody waits for are not retried before this (uptime, ns).
    private var retryNotBefore: UInt64 = 0
    private var unwritten = 0
    /// Set by the WAL checkpointer when the WAL is large and fully copied: the writer then restarts it.
    private var walRestartDue = false
    /// WAL size (in 4 KiB frames) past which it is restarted from its beginning.
    private let walRestartFrames = 4096
    private var thread: Thread?
    /// Called on the writer thread after each batch with its commit time in seconds, whether it failed, and
    /// `unwrittenRecords`.
    private let onCommit: (@Sendable (Double, Bool, Int) -> Void)?

    /// Records that were never written: dropped after failed batches because too many were pending, or still
    /// failing at shutdown.
    package var unwrittenRecords: Int {
        condition.lock()
        defer { condition.unlock() }
        return unwritten
    }

    /// Whether the last batch was written (for `/healthz`).
    package var healthy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !lastBatchFailed
    }

    package init(
        store: LedgerStore, keys: LedgerKeys, checkpointEvery: Int = 1000, checkpointInterval: Double = 60,
        retention: Double? = nil, linger: Double = 0.001, lazyDelay: Double = 0.005,
        onCommit: (@Sendable (Double, Bool, Int) -> Void)? = nil
    ) {
        self.onCommit = onCommit
        self.store = store
        self.keys = keys
        self.checkpointEvery = checkpointEvery
        self.checkpointInterval = checkpointInterval
        self.retention = retention
        self.linger = UInt64(linger * 1e9)
        self.lazyDelay = UInt64(lazyDelay * 1e9)
    }

    package func start() {
        let thread = Thread { [self] in
            nameCurrentThread("airlock-ledger")
            run()
        }
        self.thread = thread
        thread.start()
        let checkpointer = Thread { [self] in
            nameCurrentThread("airlock-wal")
            var previousFrames = 0
            while !isClosed {
                // Copy the WAL into the database off the writer; when it is large, keep it nearly copied so that
                // the writer's restart has little left to do. Nothing written since the last look: look less often.
                let (frames, copied) = store.walCheckpoint()
                let large = frames >= walRestartFrames
                let busy = frames < 0
                if large && frames - copied <= 512 {
                    condition.lock()
                    walRestartDue = true
                    condition.unlock()
                }
                let quiet = frames == copied && frames == previousFrames
                previousFrames = frames
                Thread.sleep(forTimeInterval: large || busy || copied < frames ? 0.02 : quiet ? 1 : 0.1)
            }
        }
        checkpointer.start()
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    private static func uptime() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Queues an event; `completion` runs on the writer thread once its batch is committed (or failed).
    package func append(_ event: LedgerEvent, completion: Completion? = nil) {
        condition.lock()
        if closed {
            condition.unlock()
            completion?(.failure(LedgerError(code: .closed, reason: "the ledger is shut down")))
            return
        }
        let now = LedgerWriter.uptime()
        queue.append((event, completion))
        if queue.count == 1 { oldestArrival = now }
        var wake = state == .idle || queue.count == maxBatch
        if completion != nil {
            waiting += 1
            if waiting == 1 {
                firstWaitingArrival = now
                // A lingering writer waits for lazy events only; the first waiting one sets a nearer deadline.
                wake = wake || state == .lingering
            }
        }
        if wake { condition.signal() }
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

    /// When the queued events should be committed (uptime, ns). Called with `condition` held.
    private func commitDeadline() -> UInt64 {
        let full = queue.count >= maxBatch
        guard waiting > 0 else { return max(full ? 0 : oldestArrival + lazyDelay, retryNotBefore) }
        // Full, or idle until this request came: commit at once. Busy: let the batch fill for up to `linger`.
        if full || firstWaitingArrival > lastCommitEnd + linger || lastBatchWaiting <= 1 { return 0 }
        return firstWaitingArrival + linger
    }

    /// Puts events nobody waits for back at the head of the queue after a failed batch, oldest first.
    private func retain(_ events: [(LedgerEvent, Completion?)], stopping: Bool) {
        guard !events.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        if stopping {
            unwritten += events.count
            return
        }
        let room = max(0, retainedLimit - queue.count)
        unwritten += max(0, events.count - room)
        queue.insert(contentsOf: events.suffix(room), at: 0)
        let now = LedgerWriter.uptime()
        oldestArrival = now
        retryNotBefore = now + retryDelay
    }

    private func run() {
        var sinceCheckpoint = 0
        var lastCheckpoint = Date()
        var lastRetention = Date.distantPast
        while true {
            condition.lock()
            while queue.isEmpty && !closing {
                state = .idle
                if !condition.wait(until: Date().addingTimeInterval(1)) { break }
            }
            while !queue.isEmpty && !closing {
                let deadline = commitDeadline()
                let now = LedgerWriter.uptime()
                if deadline <= now { break }
                state = .lingering
                _ = condition.wait(until: Date().addingTimeInterval(Double(deadline - now) / 1e9))
            }
            state = .busy
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            if !batch.isEmpty { lastBatchWaiting = waiting }
            waiting = 0
            let stopping = closing
            let restartWAL = walRestartDue
            walRestartDue = false
            condition.unlock()

            if !batch.isEmpty {
                let started = LedgerWriter.uptime()
                let outcome = Result { () throws(LedgerError) in try store.append(batch.map(\.0)) }
                let ended = LedgerWriter.uptime()
                condition.lock()
                lastBatchFailed = (try? outcome.get()) == nil
                lastCommitEnd = ended
                condition.unlock()
                switch outcome {
                case .success(let numbers):
                    sinceCheckpoint += batch.count
                    for (i, item) in batch.enumerated() { item.1?(.success(numbers[i])) }
                case .failure(let error):
                    var kept: [(LedgerEvent, Completion?)] = []
                    for item in batch {
                        if let completion = item.1 { completion(.failure(error)) } else { kept.append(item) }
                    }
                    retain(kept, stopping: stopping)
                }
                onCommit?(Double(ended - started) / 1e9, (try? outcome.get()) == nil, unwrittenRecords)
            }
            if restartWAL { store.restartWAL() }
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
                store.restartWAL(truncate: true)
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
