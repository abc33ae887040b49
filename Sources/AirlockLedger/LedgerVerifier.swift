import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// Recomputes the hash chain and checks every checkpoint signature; optionally proves an external checkpoint.
package enum LedgerVerifier {
    package struct Report: Sendable {
        package var intact: Bool
        /// The first bad sequence number, when there is one.
        package var badSeq: Int64?
        package var message: String
        package var events: Int
        package var checkpoints: Int
    }

    package static func verify(
        _ store: LedgerStore, publicKey: Curve25519.Signing.PublicKey, external: Checkpoint? = nil
    ) throws(LedgerError) -> Report {
        try store.read { db in
            let checkpoints = try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY id").map(
                Checkpoint.init(row:))
            for checkpoint in checkpoints where !checkpoint.isValid(for: publicKey) {
                return fail(
                    checkpoint.seq, "checkpoint at seq \(checkpoint.seq) has an invalid signature", checkpoints.count)
            }
            // Where the chain must start: the newest signed anchor, else 1 and the genesis hash.
            var expectedSeq: Int64 = 1
            var previous = LedgerEvent.genesisHash
            let anchor = checkpoints.last(where: { $0.anchorSeq > 1 })
            if let anchor {
                expectedSeq = anchor.anchorSeq
                previous = anchor.anchorPrevious
            }
            // Read through SQLite's C API with the columns found once: GRDB's lookup by name, per column and row,
            // took most of the time on large ledgers.
            let statement = try db.makeStatement(sql: "SELECT * FROM events ORDER BY seq")
            let handle = statement.sqliteStatement
            defer { sqlite3_reset(handle) }
            let columnNames = statement.columnNames
            func column(_ name: String) -> CInt { CInt(columnNames.firstIndex(of: name) ?? -1) }
            let (seqColumn, hashColumn, previousColumn) = (column("seq"), column("hash"), column("prev_hash"))
            let valueColumns = LedgerEvent.schema.map { column($0.name) }
            guard seqColumn >= 0, hashColumn >= 0, previousColumn >= 0, !valueColumns.contains(-1) else {
                return fail(expectedSeq, "the events table lacks columns of schema version 1", checkpoints.count)
            }
            func text(_ index: CInt) -> String {
                if case .string(let s) = DatabaseValue(sqliteStatement: handle, index: index).storage { return s }
                return ""
            }
            var count = 0
            var hashes: [Int64: String] = [:]
            let wanted = Set(checkpoints.map(\.seq) + (external.map { [$0.seq] } ?? []))
            while try LedgerStore.nextRow(handle) {
                let seq = sqlite3_column_int64(handle, seqColumn)
                if seq != expectedSeq {
                    return fail(
                        expectedSeq, seq > expectedSeq ? "seq \(expectedSeq) is missing" : "seq \(seq) is out of order",
                        checkpoints.count)
                }
                let stored = text(hashColumn)
                let prev = text(previousColumn)
                if prev != previous {
                    return fail(seq, "seq \(seq) does not link to the record before it", checkpoints.count)
                }
                let values: [LedgerValue] = valueColumns.map { index in
                    switch DatabaseValue(sqliteStatement: handle, index: index).storage {
                    case .int64(let i): return .int(i)
                    case .string(let s): return .text(s)
                    case .null: return .null
                    case .double(let d): return .text(String(d))
                    case .blob: return .text("blob")
                    }
                }
                let computed = LedgerEvent.hash(LedgerEvent.canonical(seq: seq, previousHash: prev, values: values))
                if computed != stored { return fail(seq, "seq \(seq) was modified", checkpoints.count) }
                if wanted.contains(seq) { hashes[seq] = stored }
                previous = stored
                expectedSeq += 1
                count += 1
            }
            let last = expectedSeq - 1
            for checkpoint in checkpoints where checkpoint.seq >= (anchor?.anchorSeq ?? 1) {
                if checkpoint.seq > last {
                    return fail(
                        last + 1,
                        "the ledger was truncated: a checkpoint covers seq \(checkpoint.seq) but the last record is \(last)",
                        checkpoints.count)
                }
                if let h = hashes[checkpoint.seq], h != checkpoint.hash {
                    return fail(
                        checkpoint.seq, "seq \(checkpoint.seq) differs from its signed checkpoint", checkpoints.count)
                }
            }
            if let external {
                guard external.isValid(for: publicKey) else {
                    return fail(
                        external.seq, "the checkpoint file is not signed by this ledger's key", checkpoints.count)
                }
                let firstSeq = last - Int64(count) + 1
                if external.seq > last {
                    return fail(
                        last + 1,
                        "the ledger was truncated or rolled back: the checkpoint file covers seq \(external.seq) but the last record is \(last)",
                        checkpoints.count)
                }
                if external.seq >= firstSeq {
                    if hashes[external.seq] != external.hash {
                        return fail(
                            external.seq, "seq \(external.seq) differs from the checkpoint file", checkpoints.count)
                    }
                } else if !checkpoints.contains(where: { $0.anchorSeq > external.seq }) {
                    return fail(
                        external.seq, "seq \(external.seq) is gone and no signed retention checkpoint explains it",
                        checkpoints.count)
                }
            }
            let range = count > 0 ? " (seq \(last - Int64(count) + 1)–\(last))" : ""
            return Report(
                intact: true, badSeq: nil,
                message:
                    "ledger intact: \(count) record\(count == 1 ? "" : "s")\(range), \(checkpoints.count) signed checkpoint\(checkpoints.count == 1 ? "" : "s")",
                events: count, checkpoints: checkpoints.count)
        }
    }

    private static func fail(_ seq: Int64, _ message: String, _ checkpoints: Int) -> Report {
        Report(
            intact: false, badSeq: seq, message: "ledger verification failed at seq \(seq): \(message)", events: 0,
            checkpoints: checkpoints)
    }
}
