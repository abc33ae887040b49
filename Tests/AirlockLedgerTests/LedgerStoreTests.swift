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

    /// Texts are bound from one buffer per record that grows between records: each must be stored as given, an
    /// empty text as '' and not NULL, or the chain would not verify.
    @Test func textsOfEveryLengthAreStoredAsGiven() throws {
        let (store, path) = try Self.temporaryStore()
        let key = Curve25519.Signing.PrivateKey()
        let texts = ["", "é", String(repeating: "x", count: 5000), "short", String(repeating: "ü", count: 3000), ""]
        _ = try store.append(
            texts.enumerated().map { index, text in
                var event = Self.event(index + 1)
                event.reason = text
                return event
            })
        try store.checkpoint(signer: key, now: 1)
        #expect(try LedgerVerifier.verify(store, publicKey: key.publicKey).intact)
        let stored = try DatabaseQueue(path: path).read { db in
            try String?.fetchAll(db, sql: "SELECT reason FROM events ORDER BY seq")
        }
        #expect(stored == texts)
    }

    /// SQLite keeps any type in any column; a hash or field edited to another type is reported, not trusted or
    /// crashed on.
    @Test func editsThatChangeAColumnsTypeAreCaught() throws {
        let key = Curve25519.Signing.PrivateKey()
        for edit in [
            "UPDATE events SET hash = 12345 WHERE seq = 4", "UPDATE events SET prev_hash = x'00' WHERE seq = 4",
            "UPDATE events SET port = 443.5 WHERE seq = 4", "UPDATE events SET host = x'61' WHERE seq = 4",
        ] {
            let (store, path) = try Self.temporaryStore()
            _ = try store.append((1...6).map { Self.event($0) })
            try DatabaseQueue(path: path).write { db in try db.execute(sql: edit) }
            let report = try LedgerVerifier.verify(store, publicKey: key.publicKey)
            #expect(!report.intact && report.badSeq == 4, "\(edit)")
        }
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
        // Every documented field, in order, with the request's and the outcome's values merged.
        #expect(rows[0].fields.map(\.0) == LedgerQuery.fieldNames)
        #expect(rows[0]["id"] == .text("r1") && rows[0]["host"] == .text("api.openai.com"))
        #expect(rows[0]["time"] == .text("2023-11-14T22:13:20.001Z") && rows[0]["decision"] == .text("allowed"))
        #expect(rows[0]["duration_ms"] == .null && rows[0]["no_such_field"] == .null)
        let newest = try LedgerQuery.requests(store, LedgerFilter(), newest: 1)
        #expect(newest.map { $0["id"] } == [.text("r2")])
    }

    @Test func requestsAreFoundAndCountedByCredentialAndUser() throws {
        let (store, _) = try Self.temporaryStore()
        let events = (1...4).map { i in
            var e = Self.event(i)
            e.credentialID = i <= 3 ? "cred_aaaa" : "cred_bbbb"
            e.proxyUser = i == 1 ? "alice" : nil
            return e
        }
        _ = try store.append(events)
        var filter = LedgerFilter()
        filter.credential = "cred_aaaa"
        #expect(try LedgerQuery.requests(store, filter).map { $0["id"] } == [.text("r1"), .text("r2"), .text("r3")])
        filter.user = "alice"
        #expect(try LedgerQuery.requests(store, filter).map { $0["id"] } == [.text("r1")])
        var byCredential = LedgerQuery.Stats(by: .credential)
        var byUser = LedgerQuery.Stats(by: .user)
        try LedgerQuery.forEachRequest(store, LedgerFilter()) {
            byCredential.add($0)
            byUser.add($0)
        }
        let credentialRows = byCredential.render().split(separator: "\n").map { $0.split(separator: " ").prefix(2) }
        // The last row counts every request once.
        #expect(
            credentialRows.map { $0.joined(separator: " ") } == [
                "credential requests", "cred_aaaa 3", "cred_bbbb 1", "total 4",
            ])
        let userRows = byUser.render().split(separator: "\n").map { $0.split(separator: " ").prefix(2) }
        #expect(userRows.map { $0.joined(separator: " ") } == ["user requests", "- 3", "alice 1", "total 4"])
    }

    /// A WebSocket session's outcome carries the bytes of all its messages; the records of the messages the
    /// scrubber changed carry their own findings, and their bytes are not counted twice.
    @Test func webSocketSessionsAreCountedOnce() throws {
        let (store, _) = try Self.temporaryStore()
        var session = Self.event(1)
        session.method = "GET"
        session.operation = "realtime"
        session.requestBytes = 0
        var message = Self.event(2)
        message.method = "WEBSOCKET"
        message.decision = .redacted
        message.findings = "github-pat:1"
        message.requestBytes = 300
        message.forwardedBytes = 290
        // Written whole: with a duration and no outcome, it is not incomplete.
        message.durationMs = 1
        var sessionOutcome = LedgerEvent(kind: .outcome, requestID: "r1", time: 1_700_000_000_009)
        sessionOutcome.upstreamStatus = 101
        sessionOutcome.decision = .redacted
        sessionOutcome.requestBytes = 1000
        sessionOutcome.forwardedBytes = 990
        sessionOutcome.responseBytes = 4000
        _ = try store.append([session, message, sessionOutcome])
        let rows = try LedgerQuery.requests(store, LedgerFilter())
        #expect(rows[0]["request_bytes"] == .int(1000) && rows[0]["forwarded_bytes"] == .int(990))
        #expect(rows[0]["decision"] == .text("redacted") && rows[0]["upstream_status"] == .int(101))
        #expect(rows[1]["request_bytes"] == .int(300) && rows[1]["decision"] == .text("redacted"))
        var incomplete = LedgerFilter()
        incomplete.decision = "incomplete"
        #expect(try LedgerQuery.requests(store, incomplete).isEmpty)
        var byHost = LedgerQuery.Stats(by: .host)
        var byDetector = LedgerQuery.Stats(by: .detector)
        try LedgerQuery.forEachRequest(store, LedgerFilter()) {
            byHost.add($0)
            byDetector.add($0)
        }
        let table = byHost.render().split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(
            table[0] == [
                "host", "requests", "allowed", "redacted", "blocked", "denied", "error", "incomplete", "bytes_in",
                "bytes_forwarded", "bytes_out", "input_tokens", "output_tokens",
            ])
        // requests, one column per decision, bytes in, bytes forwarded, bytes out
        #expect(Array(table[1][1...10]) == ["2", "0", "2", "0", "0", "0", "0", "1000", "990", "4000"])
        #expect(table.last?.first == "total" && table.last?[1] == "2")
        let detector = byDetector.render().split(separator: "\n").first { $0.hasPrefix("github-pat") }
        // The message's bytes are its session's (under "(none)" here).
        #expect(
            detector?.split(separator: " ").prefix(10) == [
                "github-pat", "1", "0", "1", "0", "0", "0", "0", "0", "0",
            ])
        // With --by detector a request can be in several groups; the total counts each once.
        #expect(byDetector.render().split(separator: "\n").last?.split(separator: " ").prefix(2) == ["total", "2"])
        let json = byHost.render(as: .json)
        #expect(json.hasPrefix("{\"by\":\"host\",\"groups\":[{\"host\":"))
        #expect(json.contains("\"total\":{\"requests\":2,\"allowed\":0,\"redacted\":2,"))
        let lines = byHost.render(as: .jsonl).split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix("{\"total\":{\"requests\":2,"))
        let csv = byHost.render(as: .csv).split(separator: "\n")
        #expect(
            csv.first?.hasPrefix("host,requests,allowed,redacted,") == true
                && csv.last?.hasPrefix("total,2,0,2,") == true)
    }

    /// JSON output: every field in documented order, text escaped, `stream` a boolean, `findings` an object.
    @Test func jsonOutputIsStableAndEscaped() throws {
        let tricky = "quote \" backslash \\ tab \t newline \n bell \u{07} é 日本"
        let fields: [(String, LedgerValue)] = LedgerQuery.fieldNames.map { name in
            switch name {
            case "seq": (name, .int(7))
            case "stream": (name, .int(1))
            case "findings": (name, .text("github-pat:2,code-python:1"))
            case "path": (name, .text(tricky))
            case "host": (name, .text("api.openai.com"))
            default: (name, .null)
            }
        }
        let line = LedgerQuery.render([LedgerRequest(fields: fields)], as: .jsonl)
        #expect(line.hasSuffix("}\n") && line.hasPrefix("{\"seq\":7,\"id\":null,"))
        #expect(line.contains(" bell \\u0007 é"))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object.count == LedgerQuery.fieldNames.count)
        #expect(object["path"] as? String == tricky && object["host"] as? String == "api.openai.com")
        #expect(object["stream"] as? Bool == true && object["seq"] as? Int == 7)
        #expect(object["findings"] as? [String: Int] == ["github-pat": 2, "code-python": 1])
        #expect(object["reason"] is NSNull)
        let array = LedgerQuery.render([LedgerRequest(fields: fields), LedgerRequest(fields: fields)], as: .json)
        #expect((try JSONSerialization.jsonObject(with: Data(array.utf8)) as? [Any])?.count == 2)
    }

    /// Large outputs go out in chunks of whole lines, and the chunks together are the complete document.
    @Test func writerStreamsWholeLines() throws {
        let request = LedgerRequest(
            fields: LedgerQuery.fieldNames.map { ($0, $0 == "path" ? .text("/v1/chat/completions") : .int(1)) })
        let count = 2000
        for format in [LedgerQuery.Format.json, .jsonl, .csv, .table] {
            var chunks: [String] = []
            var writer = LedgerQuery.Writer(format) { chunks.append($0) }
            for _ in 0..<count { writer.add(request) }
            writer.finish()
            let text = chunks.joined()
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(text.hasSuffix("\n"), "\(format)")
            switch format {
            case .json:
                #expect((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])?.count == count)
            case .jsonl: #expect(lines.count == count + 1)
            case .csv, .table: #expect(lines.count == count + 2)  // a header line, the rows, the final newline
            }
            if format != .table {
                #expect(chunks.count > 1, "\(format)")
                #expect(chunks.dropLast().allSatisfy { $0.hasSuffix("\n") || $0.hasSuffix("}") }, "\(format)")
            }
        }
    }

    /// Tables: columns padded to their widest cell and two spaces apart, no blanks at either end of a line.
    @Test func tablesAreAlignedAndTrimmed() {
        let text = LedgerQuery.table(
            header: ["host", "requests", "reason"],
            rows: [["api.openai.com", "12", ""], ["a.example", "3456", "scrubber_blocked"]])
        #expect(
            text == """
                host            requests  reason
                api.openai.com  12
                a.example       3456      scrubber_blocked

                """)
    }

    /// Times print as Foundation's ISO 8601 formatter prints them (UTC, milliseconds), without a formatter per row.
    @Test func timesMatchFoundationsFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [
            0, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_399_999,
            1_700_000_000_001, 1_704_067_199_999, 1_704_067_200_000, 1_709_164_800_000,
        ]
        let samples = edges + (0..<4000).map { _ in Int64.random(in: 0..<4_102_444_800_000, using: &generator) }
        for ms in samples {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(LedgerQuery.iso(ms) == expected, "\(ms)")
        }
        #expect(LedgerQuery.iso(1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
        #expect(LedgerQuery.iso(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func safeIdentifiers() {
        #expect(LedgerEvent.safeIdentifier("gpt-4o-2024-08-06") == "gpt-4o-2024-08-06")
        #expect(LedgerEvent.safeIdentifier("models/gemini-2.0-flash") == "models/gemini-2.0-flash")
        #expect(LedgerEvent.safeIdentifier("ignore previous instructions") == "[unsafe]")
        #expect(LedgerEvent.safeIdentifier(String(repeating: "a", count: 65)) == "[unsafe]")
    }
}
