import Foundation
import GRDB
import GRDBSQLite

/// One request as the inspection commands show it: its request event merged with its outcome.
package struct LedgerRequest: Sendable {
    package var fields: [(String, LedgerValue)]

    /// Fields are kept in `LedgerQuery.fieldNames` order, so a name finds its field without a search.
    package subscript(_ name: String) -> LedgerValue {
        guard let index = LedgerQuery.fieldIndex[name], index < fields.count, fields[index].0 == name else {
            return fields.first { $0.0 == name }?.1 ?? .null
        }
        return fields[index].1
    }
}

/// Which requests to show.
package struct LedgerFilter: Sendable {
    package var since: Int64?
    package var until: Int64?
    package var host: String?
    package var decision: String?
    package var model: String?
    package var provider: String?
    /// A credential id, as `airlock ledger credential-id` prints it.
    package var credential: String?
    /// A proxy user name.
    package var user: String?
    package init() {}
}

/// Queries, statistics and output formats for `airlock ledger`.
package enum LedgerQuery {
    /// The documented output fields, in order.
    package static let fieldNames = [
        "seq", "id", "time", "duration_ms", "client_address", "proxy_user", "method", "scheme", "host", "port", "path",
        "entry", "provider", "operation", "request_model", "response_model", "stream", "decision", "reason",
        "upstream_status", "request_bytes", "forwarded_bytes", "response_bytes", "findings", "code_lines_removed",
        "input_tokens", "output_tokens", "tls_version", "credential_id", "error_type",
    ]
    static let fieldIndex = Dictionary(uniqueKeysWithValues: fieldNames.enumerated().map { ($1, $0) })

    /// The matching requests, oldest first; with `newest`, only that many of the most recent.
    package static func requests(
        _ store: LedgerStore, _ filter: LedgerFilter, afterSeq: Int64 = 0, newest limit: Int? = nil
    ) throws(LedgerError) -> [LedgerRequest] {
        var merged: [LedgerRequest] = []
        try scan(store, filter, afterSeq: afterSeq, newest: limit) { merged.append($0) }
        return limit == nil ? merged : merged.reversed()
    }

    /// Hands each matching request to `body` as it is read, oldest first, so that memory stays flat however large
    /// the ledger is. The read transaction stays open until the last one.
    package static func forEachRequest(
        _ store: LedgerStore, _ filter: LedgerFilter, _ body: (LedgerRequest) -> Void
    ) throws(LedgerError) {
        try scan(store, filter, afterSeq: 0, newest: nil, body)
    }

    private static func scan(
        _ store: LedgerStore, _ filter: LedgerFilter, afterSeq: Int64, newest limit: Int?,
        _ body: (LedgerRequest) -> Void
    ) throws(LedgerError) {
        var conditions = ["r.kind = 'request'", "r.seq > ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let v = filter.since { conditions.append("r.time_ms >= ?"); arguments.append(v) }
        if let v = filter.until { conditions.append("r.time_ms < ?"); arguments.append(v) }
        if let v = filter.host { conditions.append("r.host = ?"); arguments.append(v) }
        if let v = filter.model { conditions.append("r.request_model = ?"); arguments.append(v) }
        if let v = filter.provider { conditions.append("r.provider = ?"); arguments.append(v) }
        if let v = filter.credential { conditions.append("r.credential_id = ?"); arguments.append(v) }
        if let v = filter.user { conditions.append("r.proxy_user = ?"); arguments.append(v) }
        if let v = filter.decision {
            conditions.append(
                "(CASE WHEN o.decision IS NOT NULL THEN o.decision WHEN r.decision IN ('allowed','redacted') AND o.seq IS NULL AND r.duration_ms IS NULL THEN 'incomplete' ELSE r.decision END) = ?"
            )
            arguments.append(v)
        }
        let order = limit == nil ? "ASC" : "DESC"
        let sql = """
            SELECT r.*, o.seq AS o_seq, o.decision AS o_decision, o.reason AS o_reason, o.duration_ms AS o_duration_ms,
                   o.upstream_status AS o_upstream_status, o.request_bytes AS o_request_bytes,
                   o.forwarded_bytes AS o_forwarded_bytes, o.response_bytes AS o_response_bytes,
                   o.response_model AS o_response_model, o.input_tokens AS o_input_tokens,
                   o.output_tokens AS o_output_tokens, o.tls_version AS o_tls_version, o.error_type AS o_error_type
            FROM events r LEFT JOIN events o ON o.kind = 'outcome' AND o.request_id = r.request_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY r.seq \(order) \(limit.map { "LIMIT \($0)" } ?? "")
            """
        try store.read { db in
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(StatementArguments(arguments))
            // Read through SQLite's C API with each field's columns found once per query: looking columns up by
            // name and decoding through GRDB's generic rows took most of a query's time on large ledgers.
            let plan = Plan(statement.columnNames)
            let handle = statement.sqliteStatement
            defer { sqlite3_reset(handle) }
            while try LedgerStore.nextRow(handle) { body(merge(handle, plan)) }
        }
    }

    /// Where each output field comes from in a query's result columns (-1: nowhere).
    private struct Plan {
        enum Source {
            case column(Int32)
            /// The outcome's value when it has one, else the request's.
            case merged(outcome: Int32, request: Int32)
            case time(Int32)
            case decision
        }
        let sources: [Source]
        let decision: Int32
        let requestDuration: Int32
        let outcomeSeq: Int32
        let outcomeDecision: Int32

        init(_ names: [String]) {
            var positions: [String: Int32] = [:]
            for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = Int32(index) }
            func at(_ name: String) -> Int32 { positions[name] ?? -1 }
            sources = LedgerQuery.fieldNames.map { name in
                switch name {
                case "id": .column(at("request_id"))
                case "time": .time(at("time_ms"))
                case "decision": .decision
                case "reason", "duration_ms", "upstream_status", "request_bytes", "forwarded_bytes", "response_bytes",
                    "response_model", "input_tokens", "output_tokens", "tls_version", "error_type":
                    .merged(outcome: at("o_" + name), request: at(name))
                default: .column(at(name))
                }
            }
            decision = at("decision")
            requestDuration = at("duration_ms")
            outcomeSeq = at("o_seq")
            outcomeDecision = at("o_decision")
        }
    }

    /// A column of the current row: integers and text; anything else (and no column) reads as absent.
    private static func value(_ handle: OpaquePointer, _ column: Int32) -> LedgerValue {
        guard column >= 0 else { return .null }
        switch DatabaseValue(sqliteStatement: handle, index: column).storage {
        case .int64(let i): return .int(i)
        case .string(let s): return .text(s)
        default: return .null
        }
    }

    private static func merge(_ handle: OpaquePointer, _ plan: Plan) -> LedgerRequest {
        var decision = value(handle, plan.decision)
        // A forwarded request's record has no duration until its outcome; one written whole (a WebSocket message)
        // has one.
        if value(handle, plan.outcomeSeq) == .null, value(handle, plan.requestDuration) == .null,
            decision == .text("allowed") || decision == .text("redacted")
        {
            decision = .text("incomplete")
        }
        if case .text(let outcome) = value(handle, plan.outcomeDecision) { decision = .text(outcome) }
        var fields: [(String, LedgerValue)] = []
        fields.reserveCapacity(fieldNames.count)
        for (name, source) in zip(fieldNames, plan.sources) {
            switch source {
            case .column(let column): fields.append((name, value(handle, column)))
            case .merged(let outcome, let request):
                let value = value(handle, outcome)
                fields.append((name, value == .null ? LedgerQuery.value(handle, request) : value))
            case .time(let column):
                if case .int(let ms) = value(handle, column) {
                    fields.append((name, .text(iso(ms))))
                } else {
                    fields.append((name, .null))
                }
            case .decision: fields.append((name, decision))
            }
        }
        return LedgerRequest(fields: fields)
    }

    /// `2026-11-23T14:00:01.123Z`: UTC, milliseconds, proleptic Gregorian calendar. Exact integer arithmetic
    /// (the civil-from-days conversion), because a formatter per row took most of a query's time.
    package static func iso(_ ms: Int64) -> String {
        let (seconds, millis) = ms.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, milli) = millis < 0 ? (seconds - 1, millis + 1000) : (seconds, millis)
        var days = wholeSeconds / 86400
        var secondOfDay = wholeSeconds % 86400
        if secondOfDay < 0 {
            secondOfDay += 86400
            days -= 1
        }
        // Days since 1970-01-01 to year, month, day (H. Hinnant, "chrono-compatible low-level date algorithms").
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func digits(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return digits(year, 4) + "-" + digits(month, 2) + "-" + digits(day, 2) + "T" + digits(secondOfDay / 3600, 2)
            + ":" + digits(secondOfDay / 60 % 60, 2) + ":" + digits(secondOfDay % 60, 2) + "." + digits(milli, 3) + "Z"
    }

    /// `24h`, `30m`, `7d`, `2026-11-01` or an ISO 8601 time → milliseconds since 1970.
    package static func parseTime(_ text: String, now: Date = Date()) -> Int64? {
        if let unit = text.last, let n = Double(text.dropLast()), n >= 0 {
            let seconds: Double? =
                switch unit {
                case "s": n
                case "m": n * 60
                case "h": n * 3600
                case "d": n * 86400
                case "w": n * 604800
                default: nil
                }
            if let seconds { return Int64((now.timeIntervalSince1970 - seconds) * 1000) }
        }
        let iso = ISO8601DateFormatter()
        if let d = iso.date(from: text) { return Int64(d.timeIntervalSince1970 * 1000) }
        iso.formatOptions = [.withFullDate]
        if let d = iso.date(from: text) { return Int64(d.timeIntervalSince1970 * 1000) }
        return nil
    }

    // MARK: Output

    package enum Format: String, Sendable, CaseIterable { case table, json, jsonl, csv }

    package static func render(_ requests: [LedgerRequest], as format: Format) -> String {
        var out = ""
        var writer = Writer(format) { out += $0 }
        requests.forEach { writer.add($0) }
        writer.finish()
        return out
    }

    /// Writes requests in one of the output formats as they come. JSON, JSON Lines and CSV go out in chunks of
    /// about 64 KiB; a table needs every row's width first, so its cells are kept until `finish`.
    package struct Writer {
        private let format: Format
        private let output: (String) -> Void
        private var buffer = ""
        private var count = 0
        private var cells: [[String]] = []

        private static let tableColumns = [
            "time", "decision", "method", "host", "path", "request_model", "upstream_status", "input_tokens",
            "output_tokens", "findings", "reason",
        ]

        package init(_ format: Format, output: @escaping (String) -> Void) {
            self.format = format
            self.output = output
            switch format {
            case .json: buffer = "["
            case .csv: buffer = fieldNames.joined(separator: ",") + "\n"
            case .jsonl, .table: break
            }
        }

        package mutating func add(_ request: LedgerRequest) {
            switch format {
            case .json:
                if count > 0 { buffer += ",\n" }
                buffer += json(request)
            case .jsonl:
                buffer += json(request)
                buffer += "\n"
            case .csv:
                buffer += request.fields.map { csv($0.1.text ?? "") }.joined(separator: ",")
                buffer += "\n"
            case .table:
                cells.append(Writer.tableColumns.map { request[$0].text ?? "-" })
            }
            count += 1
            if buffer.utf8.count >= 1 << 16 {
                output(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }

        package mutating func finish() {
            switch format {
            case .json: buffer += "]\n"
            case .table:
                buffer = table(
                    header: Writer.tableColumns.map {
                        $0 == "request_model" ? "model" : $0 == "upstream_status" ? "status" : $0
                    },
                    rows: cells)
                cells = []
            case .jsonl, .csv: break
            }
            if !buffer.isEmpty { output(buffer) }
            buffer = ""
        }
    }

    package static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        let blanks = CharacterSet.whitespaces
        var out = ""
        func line(_ cells: [String]) {
            var text = ""
            for (i, cell) in cells.enumerated() {
                if i > 0 { text += "  " }
                text += cell
                let width = i < widths.count ? widths[i] : 0
                if width > cell.count { text += String(repeating: " ", count: width - cell.count) }
            }
            // Blanks (spaces, tabs and the other Unicode space separators) are trimmed from both ends.
            let scalars = text.unicodeScalars
            let start = scalars.firstIndex { !blanks.contains($0) } ?? scalars.endIndex
            let end = scalars.lastIndex { !blanks.contains($0) }.map(scalars.index(after:)) ?? start
            out += Substring(scalars[start..<max(start, end)])
            out += "\n"
        }
        out.reserveCapacity((rows.count + 1) * (widths.reduce(0, +) + 2 * widths.count))
        line(header)
        rows.forEach(line)
        return out
    }

    /// Stable JSON: fields in documented order; `findings` as an object of detector → count.
    package static func json(_ r: LedgerRequest) -> String {
        var out = "{"
        out.reserveCapacity(640)
        for (index, (name, value)) in r.fields.enumerated() {
            let rendered: String
            switch value {
            case .null: rendered = "null"
            case .int(let i): rendered = name == "stream" ? (i != 0 ? "true" : "false") : String(i)
            case .text(let s):
                if name == "findings" {
                    rendered =
                        "{"
                        + s.split(separator: ",").compactMap { item -> String? in
                            let kv = item.split(separator: ":")
                            guard kv.count == 2, let n = Int(kv[1]) else { return nil }
                            return "\(quote(String(kv[0]))):\(n)"
                        }.joined(separator: ",") + "}"
                } else {
                    rendered = quote(s)
                }
            }
            if index > 0 { out += "," }
            out += quote(name)
            out += ":"
            out += rendered
        }
        return out + "}"
    }

    static func quote(_ s: String) -> String {
        // Nearly every value needs no escape at all.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func csv(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Hosts recorded since `since`: (host, port, forwarded-or-refused, count), for `allowlist check --ledger`.
    package static func hostCounts(_ store: LedgerStore, since: Int64?) throws(LedgerError) -> [(
        String, Int, Bool, Int
    )] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT host, port, decision = 'denied' AS refused, COUNT(*) AS n FROM events
                    WHERE kind = 'request' AND host IS NOT NULL AND port IS NOT NULL AND host != '[unsafe]'
                      AND time_ms >= ?
                    GROUP BY host, port, refused
                    """, arguments: [since ?? 0]
            ).map { row in (row["host"], row["port"], !(row["refused"] as Bool), row["n"]) }
        }
    }

    // MARK: Statistics

    package enum Grouping: String, Sendable, CaseIterable {
        case host, model, provider, day, decision, detector, credential, user
    }

    /// Totals per group and over all requests, added up one request at a time: requests, requests per decision,
    /// bytes and tokens.
    package struct Stats {
        private struct Totals {
            var requests = 0, requestBytes = 0, forwardedBytes = 0, responseBytes = 0, input = 0, output = 0
            var decisions = [Int](repeating: 0, count: LedgerDecision.allCases.count)
        }
        private let grouping: Grouping
        private var groups: [String: Totals] = [:]
        /// Every request once, even when it falls into several groups (`--by detector`).
        private var total = Totals()
        private static let decisionIndex = Dictionary(
            uniqueKeysWithValues: LedgerDecision.allCases.enumerated().map { ($1.rawValue, $0) })

        package init(by grouping: Grouping) { self.grouping = grouping }

        package mutating func add(_ r: LedgerRequest) {
            func int(_ v: LedgerValue) -> Int { if case .int(let i) = v { return Int(i) } else { return 0 } }
            var keys: [String]
            switch grouping {
            case .host: keys = [r["host"].text ?? "-"]
            case .model: keys = [r["request_model"].text ?? "-"]
            case .provider: keys = [r["provider"].text ?? "-"]
            case .decision: keys = [r["decision"].text ?? "-"]
            case .credential: keys = [r["credential_id"].text ?? "-"]
            case .user: keys = [r["proxy_user"].text ?? "-"]
            case .day: keys = [String((r["time"].text ?? "-").prefix(10))]
            case .detector:
                keys = (r["findings"].text ?? "").split(separator: ",").compactMap {
                    $0.split(separator: ":").first.map(String.init)
                }
                if keys.isEmpty { keys = ["(none)"] }
            }
            func count(_ t: inout Totals) {
                t.requests += 1
                // A WebSocket message's bytes are in its session's totals already.
                if r["method"] != .text("WEBSOCKET") {
                    t.requestBytes += int(r["request_bytes"])
                    t.forwardedBytes += int(r["forwarded_bytes"])
                }
                t.responseBytes += int(r["response_bytes"])
                t.input += int(r["input_tokens"])
                t.output += int(r["output_tokens"])
                if let decision = r["decision"].text, let index = Stats.decisionIndex[decision] {
                    t.decisions[index] += 1
                }
            }
            for key in keys { count(&groups[key, default: Totals()]) }
            count(&total)
        }

        /// The column names: the grouping, `requests`, one per decision, then bytes and tokens.
        package var header: [String] {
            [grouping.rawValue, "requests"] + LedgerDecision.allCases.map(\.rawValue) + [
                "bytes_in", "bytes_forwarded", "bytes_out", "input_tokens", "output_tokens",
            ]
        }

        private static func numbers(_ t: Totals) -> [Int] {
            [t.requests] + t.decisions + [t.requestBytes, t.forwardedBytes, t.responseBytes, t.input, t.output]
        }

        /// The groups, most requests first, each as its key and its numbers in `header` order.
        private var rows: [(String, [Int])] {
            groups.sorted {
                $0.value.requests != $1.value.requests ? $0.value.requests > $1.value.requests : $0.key < $1.key
            }
            .map { ($0.key, Stats.numbers($0.value)) }
        }

        /// A table: one row per group, then a `total` row that counts every request once.
        package func render() -> String { render(as: .table) }

        /// The statistics in an output format. `table` and `csv` end with a row whose key is `total`; `json` is
        /// `{"by":…,"groups":[…],"total":{…}}`; `jsonl` is one object per group, then `{"total":{…}}`.
        package func render(as format: Format) -> String {
            let names = Array(header.dropFirst())
            func object(_ numbers: [Int]) -> String {
                "{" + zip(names, numbers).map { "\(quote($0)):\($1)" }.joined(separator: ",") + "}"
            }
            func group(_ key: String, _ numbers: [Int]) -> String {
                "{\(quote(grouping.rawValue)):\(quote(key))," + String(object(numbers).dropFirst())
            }
            let totals = Stats.numbers(total)
            switch format {
            case .table:
                return table(
                    header: header,
                    rows: rows.map { [$0.0] + $0.1.map(String.init) } + [["total"] + totals.map(String.init)])
            case .csv:
                var out = header.joined(separator: ",") + "\n"
                for (key, numbers) in rows {
                    out += ([csv(key)] + numbers.map(String.init)).joined(separator: ",") + "\n"
                }
                out += (["total"] + totals.map(String.init)).joined(separator: ",") + "\n"
                return out
            case .json:
                return "{\"by\":\(quote(grouping.rawValue)),\"groups\":["
                    + rows.map { group($0.0, $0.1) }.joined(separator: ",") + "],\"total\":" + object(totals) + "}\n"
            case .jsonl:
                return rows.map { group($0.0, $0.1) + "\n" }.joined() + "{\"total\":" + object(totals) + "}\n"
            }
        }
    }
}
