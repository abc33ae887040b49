import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// Why the ledger could not be written or read. The reason names the problem, never a record's content.
package struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// What failed, as a stable code.
    package enum Code: String, Sendable, CaseIterable {
        /// The ledger could not be opened.
        case unavailable = "ledger_unavailable"
        case writeFailed = "ledger_write_failed"
        case readFailed = "ledger_read_failed"
        /// The ledger keys in the state directory are malformed.
        case keyInvalid = "ledger_key_invalid"
        /// The writer was shut down before the record was written.
        case closed = "ledger_closed"
    }

    package var code: Code
    /// What the database or the file system said, for the operator; never shown to clients.
    package var reason: String
    package init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }
    package var description: String { "\(code.rawValue): \(reason)" }
}

/// The SQLite ledger (WAL mode): hash-chained events, signed checkpoints, queries and retention.
package final class LedgerStore: Sendable {
    package let path: String
    let pool: DatabasePool
    /// A second connection that only copies the WAL back into the database, concurrently with the writer.
    private let checkpointer: DatabaseQueue?

    /// Opens or creates the ledger. `synchronousFull` fsyncs every commit (survives power loss);
    /// otherwise commits survive a process crash and at worst the last moments are lost on power loss.
    package init(path: String, synchronousFull: Bool = false, readOnly: Bool = false) throws(LedgerError) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        // A ledger locked for longer than this is treated as unwritable: requests are refused, not queued forever.
        configuration.busyMode = .timeout(2)
        let sync = synchronousFull ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = \(sync)")
                // The writer never checkpoints the WAL itself (that would stall every request waiting for it);
                // `walCheckpoint()` does it from another connection without taking the write lock.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                // When the WAL restarts after a complete checkpoint, shrink a file that a burst made large.
                try db.execute(sql: "PRAGMA journal_size_limit = \(64 << 20)")
            }
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            checkpointer = readOnly ? nil : try DatabaseQueue(path: path, configuration: configuration)
            if !readOnly {
                // Metadata only, but still nobody else's business: owner-only, like the rest of the state directory.
                for suffix in ["", "-wal", "-shm"] { chmod(path + suffix, 0o600) }
                try LedgerStore.migrate(pool)
            }
        } catch {
            throw LedgerError(code: .unavailable, reason: LedgerStore.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            return "SQLite error \(e.resultCode.rawValue) (\(e.resultCode))"
        }
        return "\(type(of: error))"
    }

    private static func migrate(_ pool: DatabasePool) throws {
        let columns = LedgerEvent.schema.dropFirst(3).map { "\($0.name) \($0.integer ? "INTEGER" : "TEXT")" }
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
                    CREATE TABLE IF NOT EXISTS events (
                        seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, request_id TEXT NOT NULL, time_ms INTEGER NOT NULL,
                        \(columns.joined(separator: ", ")),
                        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                    CREATE INDEX IF NOT EXISTS events_time ON events(time_ms) WHERE kind = 'request';
                    CREATE INDEX IF NOT EXISTS events_host ON events(host) WHERE kind = 'request';
                    CREATE INDEX IF NOT EXISTS events_decision ON events(decision) WHERE kind = 'request';
                    CREATE INDEX IF NOT EXISTS events_model ON events(request_model) WHERE kind = 'request';
                    CREATE INDEX IF NOT EXISTS events_outcome ON events(request_id) WHERE kind = 'outcome';
                    CREATE TABLE IF NOT EXISTS checkpoints (
                        id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, time_ms INTEGER NOT NULL,
                        anchor_seq INTEGER NOT NULL, anchor_prev TEXT NOT NULL, signature TEXT NOT NULL);
                    """)
        }
    }

    /// Copies committed WAL frames into the database file without blocking the writer (`PASSIVE`, from a second
    /// connection). Returns how many frames the WAL holds and how many of them are now in the database file.
    @discardableResult
    package func walCheckpoint() -> (frames: Int, copied: Int) {
        let row = try? checkpointer?.writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
        }
        return (row?[1] ?? 0, row?[2] ?? 0)
    }

    /// A checkpoint on the writer's own connection, between batches. Copying from the second connection alone
    /// never lets the WAL start again from its beginning while the writer keeps committing; after this, the
    /// writer's next commit does. Cheap when `walCheckpoint()` has just copied nearly everything. `truncate`
    /// (on shutdown) also empties the WAL file.
    package func restartWAL(truncate: Bool = false) {
        _ = try? pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(\(truncate ? "TRUNCATE" : "PASSIVE"))")
        }
    }

    // MARK: Appending

    private static let insertSQL: String = {
        let names = ["seq"] + LedgerEvent.schema.map(\.name) + ["prev_hash", "hash"]
        return
            "INSERT INTO events (\(names.joined(separator: ","))) VALUES (\(names.map { _ in "?" }.joined(separator: ",")))"
    }()

    /// Appends events in one transaction, chaining each to the one before; returns their sequence numbers.
    package func append(_ events: [LedgerEvent]) throws(LedgerError) -> [Int64] {
        do {
            return try pool.write { db in
                var (seq, hash) = try LedgerStore.tail(db)
                var numbers: [Int64] = []
                numbers.reserveCapacity(events.count)
                let insert = try db.cachedStatement(sql: LedgerStore.insertSQL).sqliteStatement
                // Texts are copied into one buffer per record and bound without SQLite's own copy of each.
                var texts = TextArena()
                defer {
                    sqlite3_reset(insert)
                    sqlite3_clear_bindings(insert)
                    texts.deallocate()
                }
                for event in events {
                    seq += 1
                    let values = event.values
                    let digest = LedgerEvent.hash(LedgerEvent.canonical(seq: seq, previousHash: hash, values: values))
                    // Bound straight through SQLite's C API: this runs for every record, and building
                    // `StatementArguments` cost more than the insert itself.
                    sqlite3_reset(insert)
                    var size = hash.utf8.count + digest.utf8.count
                    for case .text(let text) in values { size += text.utf8.count }
                    texts.reset(capacity: size)
                    sqlite3_bind_int64(insert, 1, seq)
                    for (index, value) in values.enumerated() {
                        let position = CInt(index + 2)
                        switch value {
                        case .text(let text): texts.bind(text, to: insert, at: position)
                        case .int(let number): sqlite3_bind_int64(insert, position, number)
                        case .null: sqlite3_bind_null(insert, position)
                        }
                    }
                    texts.bind(hash, to: insert, at: CInt(values.count + 2))
                    texts.bind(digest, to: insert, at: CInt(values.count + 3))
                    let code = sqlite3_step(insert)
                    guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
                    hash = digest
                    numbers.append(seq)
                }
                return numbers
            }
        } catch {
            throw LedgerError(code: .writeFailed, reason: LedgerStore.describe(error))
        }
    }

    /// The bytes of one record's texts, bound in place (`SQLITE_STATIC`): SQLite reads them during the step that
    /// follows, before the next record's `reset(capacity:)`, and the statement's bindings are cleared before the
    /// arena is freed.
    private struct TextArena {
        private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        private var used = 0

        /// Empties the arena; it holds at least `capacity` bytes until the next reset, so bound texts never move.
        mutating func reset(capacity: Int) {
            used = 0
            guard capacity > storage.count || storage.baseAddress == nil else { return }
            storage.deallocate()
            storage = .allocate(byteCount: max(capacity, 2 * storage.count, 1024), alignment: 1)
        }

        mutating func bind(_ text: String, to statement: OpaquePointer, at position: CInt) {
            var text = text
            let count = text.utf8.count
            precondition(used + count <= storage.count, "the text arena was sized for every text of the record")
            let start = storage.baseAddress! + used
            text.withUTF8 { bytes in
                if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
            }
            used += count
            // An empty text still gets an address, which SQLite stores as '' rather than NULL.
            _ = sqlite3_bind_text(statement, position, start.assumingMemoryBound(to: CChar.self), CInt(count), nil)
        }

        func deallocate() { storage.deallocate() }
    }

    /// Steps a statement read through SQLite's C API: true with a row ready, false when there are no more.
    static func nextRow(_ statement: OpaquePointer) throws -> Bool {
        let code = sqlite3_step(statement)
        if code == SQLITE_DONE { return false }
        guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
        return true
    }

    /// The last sequence number and hash: of the newest event, else the prune anchor, else genesis.
    static func tail(_ db: Database) throws -> (Int64, String) {
        let newest = try db.cachedStatement(sql: "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        if let row = try Row.fetchOne(newest) {
            return (row["seq"], row["hash"])
        }
        if let row = try Row.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'pruned_through'") {
            let parts = (row["value"] as String).split(separator: " ")
            if parts.count == 2, let s = Int64(parts[0]) { return (s, String(parts[1])) }
        }
        return (0, LedgerEvent.genesisHash)
    }

    // MARK: Checkpoints

    /// Signs and stores a checkpoint of the current tail; nil when the ledger is empty.
    @discardableResult
    package func checkpoint(signer: Curve25519.Signing.PrivateKey, now: Int64) throws(LedgerError) -> Checkpoint? {
        do {
            return try pool.write { db -> Checkpoint? in
                let (seq, hash) = try LedgerStore.tail(db)
                guard seq > 0 else { return nil }
                let (anchorSeq, anchorPrev) = try LedgerStore.anchor(db)
                var checkpoint = Checkpoint(
                    seq: seq, hash: hash, time: now, anchorSeq: anchorSeq, anchorPrevious: anchorPrev, signature: "")
                checkpoint.sign(with: signer)
                try db.execute(
                    sql:
                        "INSERT INTO checkpoints (seq, hash, time_ms, anchor_seq, anchor_prev, signature) VALUES (?,?,?,?,?,?)",
                    arguments: [seq, hash, now, anchorSeq, anchorPrev, checkpoint.signature])
                return checkpoint
            }
        } catch {
            throw LedgerError(code: .writeFailed, reason: LedgerStore.describe(error))
        }
    }

    /// Where the chain starts: the first event's sequence number and previous hash.
    static func anchor(_ db: Database) throws -> (Int64, String) {
        if let row = try Row.fetchOne(db, sql: "SELECT seq, prev_hash FROM events ORDER BY seq ASC LIMIT 1") {
            return (row["seq"], row["prev_hash"])
        }
        let (seq, hash) = try tail(db)
        return (seq + 1, hash)
    }

    package func latestCheckpoint() throws(LedgerError) -> Checkpoint? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1").map(Checkpoint.init(row:))
        }
    }

    package func checkpoints() throws(LedgerError) -> [Checkpoint] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY id").map(Checkpoint.init(row:)) }
    }

    // MARK: Retention

    /// Deletes events older than `cutoff` (ms) and signs a checkpoint that records the hash the chain now starts
    /// from. Returns how many events were removed.
    package func prune(olderThan cutoff: Int64, signer: Curve25519.Signing.PrivateKey, now: Int64) throws(LedgerError)
        -> Int
    {
        do {
            let removed = try pool.write { db -> Int in
                guard
                    let last = try Int64.fetchOne(
                        db, sql: "SELECT MAX(seq) FROM events WHERE time_ms < ?", arguments: [cutoff])
                else { return 0 }
                let (tailSeq, _) = try LedgerStore.tail(db)
                // Keep the newest event so the chain's tail stays in the table.
                let through = min(last, tailSeq - 1)
                guard through > 0,
                    let hash = try String.fetchOne(
                        db, sql: "SELECT hash FROM events WHERE seq = ?", arguments: [through])
                else { return 0 }
                try db.execute(sql: "DELETE FROM events WHERE seq <= ?", arguments: [through])
                let removed = db.changesCount
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('pruned_through', ?)",
                    arguments: ["\(through) \(hash)"])
                return removed
            }
            try checkpoint(signer: signer, now: now)
            return removed
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(code: .writeFailed, reason: LedgerStore.describe(error))
        }
    }

    // MARK: Reading

    package func read<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw LedgerError(code: .readFailed, reason: LedgerStore.describe(error))
        }
    }
}
