import Foundation
import GRDB

/// One request as the inspection commands show it: its request event merged with its outcome.
package struct LedgerRequest: Sendable {
    package var fields: [(String, LedgerValue)]

    package subscript(_ name: String) -> LedgerValue {
        fields.first { $0.0 == name }?.1 ?? .null
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

    package static func requests(
        _ store: LedgerStore, _ filter: LedgerFilter, afterSeq: Int64 = 0, newest limit: Int? = nil
    ) throws(LedgerError) -> [LedgerRequest] {
        var conditions = ["r.kind = 'request'", "r.seq > ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let v = filter.since { conditions.append("r.time_ms >= ?"); arguments.append(v) }
        if let v = filter.until { conditions.append("r.time_ms < ?"); arguments.append(v) }
        if let v = filter.host { conditions.append("r.host = ?"); arguments.append(v) }
        if let v = filter.model { conditions.append("r.request_model = ?"); arguments.append(v) }
        if let v = filter.provider { conditions.append("r.provider = ?"); arguments.append(v) }
        if let v = filter.decision {
            conditions.append(
                "(CASE WHEN o.decision IS NOT NULL THEN o.decision WHEN r.decision IN ('allowed','redacted') AND o.seq IS NULL THEN 'incomplete' ELSE r.decision END) = ?"
            )
            arguments.append(v)
        }
        let order = limit == nil ? "ASC" : "DESC"
        let sql = """
            SELECT r.*, o.seq AS o_seq, o.decision AS o_decision, o.reason AS o_reason, o.duration_ms AS o_duration_ms,
                   o.upstream_status AS o_upstream_status, o.response_bytes AS o_response_bytes,
                   o.response_model AS o_response_model, o.input_tokens AS o_input_tokens,
                   o.output_tokens AS o_output_tokens, o.tls_version AS o_tls_version, o.error_type AS o_error_type
            FROM events r LEFT JOIN events o ON o.kind = 'outcome' AND o.request_id = r.request_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY r.seq \(order) \(limit.map { "LIMIT \($0)" } ?? "")
            """
        let rows = try store.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) }
        let merged = rows.map(merge)
        return limit == nil ? merged : merged.reversed()
    }

    private static func value(_ row: Row, _ name: String) -> LedgerValue {
        let v: DatabaseValue = row[name]
        switch v.storage {
        case .int64(let i): return .int(i)
        case .string(let s): return .text(s)
        default: return .null
        }
    }

    private static func merge(_ row: Row) -> LedgerRequest {
        func pick(_ name: String) -> LedgerValue {
            let outcome = value(row, "o_" + name)
            return outcome == .null ? value(row, name) : outcome
        }
        var decision = value(row, "decision")
        if value(row, "o_seq") == .null, decision == .text("allowed") || decision == .text("redacted") {
            decision = .text("incomplete")
        }
        if case .text = value(row, "o_decision") { decision = value(row, "o_decision") }
        let time = value(row, "time_ms")
        var fields: [(String, LedgerValue)] = []
        for name in fieldNames {
            switch name {
            case "id": fields.append((name, value(row, "request_id")))
            case "time":
                if case .int(let ms) = time {
                    fields.append((name, .text(iso(ms))))
                } else {
                    fields.append((name, .null))
                }
            case "decision": fields.append((name, decision))
            case "reason", "duration_ms", "upstream_status", "response_bytes", "response_model", "input_tokens",
                "output_tokens", "tls_version", "error_type":
                fields.append((name, pick(name)))
            default: fields.append((name, value(row, name)))
            }
        }
        return LedgerRequest(fields: fields)
    }

    package static func iso(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
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
        switch format {
        case .json: return "[" + requests.map(json).joined(separator: ",\n") + "]\n"
        case .jsonl: return requests.map { json($0) + "\n" }.joined()
        case .csv:
            var out = fieldNames.joined(separator: ",") + "\n"
            for r in requests {
                out += r.fields.map { csv($0.1.text ?? "") }.joined(separator: ",") + "\n"
            }
            return out
        case .table:
            let columns = [
                "time", "decision", "method", "host", "path", "request_model", "upstream_status",
                "input_tokens", "output_tokens", "findings", "reason",
            ]
            let rows = requests.map { r in columns.map { r[$0].text ?? "-" } }
            return table(
                header: columns.map { $0 == "request_model" ? "model" : $0 == "upstream_status" ? "status" : $0 },
                rows: rows)
        }
    }

    package static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// Stable JSON: fields in documented order; `findings` as an object of detector → count.
    package static func json(_ r: LedgerRequest) -> String {
        var parts: [String] = []
        for (name, value) in r.fields {
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
            parts.append("\(quote(name)):\(rendered)")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func quote(_ s: String) -> String {
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

    package enum Grouping: String, Sendable, CaseIterable { case host, model, provider, day, decision, detector }

    package static func stats(_ requests: [LedgerRequest], by grouping: Grouping) -> String {
        struct Totals {
            var requests = 0, requestBytes = 0, forwardedBytes = 0, responseBytes = 0, input = 0, output = 0,
                redacted = 0
        }
        var groups: [String: Totals] = [:]
        func int(_ v: LedgerValue) -> Int { if case .int(let i) = v { return Int(i) } else { return 0 } }
        for r in requests {
            var keys: [String]
            switch grouping {
            case .host: keys = [r["host"].text ?? "-"]
            case .model: keys = [r["request_model"].text ?? "-"]
            case .provider: keys = [r["provider"].text ?? "-"]
            case .decision: keys = [r["decision"].text ?? "-"]
            case .day: keys = [String((r["time"].text ?? "-").prefix(10))]
            case .detector:
                keys = (r["findings"].text ?? "").split(separator: ",").compactMap {
                    $0.split(separator: ":").first.map(String.init)
                }
                if keys.isEmpty { keys = ["(none)"] }
            }
            for key in keys {
                var t = groups[key, default: Totals()]
                t.requests += 1
                t.requestBytes += int(r["request_bytes"])
                t.forwardedBytes += int(r["forwarded_bytes"])
                t.responseBytes += int(r["response_bytes"])
                t.input += int(r["input_tokens"])
                t.output += int(r["output_tokens"])
                if r["decision"] == .text("redacted") { t.redacted += 1 }
                groups[key] = t
            }
        }
        let header = [
            grouping.rawValue, "requests", "redacted", "bytes_in", "bytes_forwarded", "bytes_out", "input_tokens",
            "output_tokens",
        ]
        let rows = groups.sorted {
            $0.value.requests != $1.value.requests ? $0.value.requests > $1.value.requests : $0.key < $1.key
        }
        .map { key, t in
            [
                key, String(t.requests), String(t.redacted), String(t.requestBytes), String(t.forwardedBytes),
                String(t.responseBytes), String(t.input), String(t.output),
            ]
        }
        return table(header: header, rows: rows)
    }
}
