import AirlockPolicy
import Foundation
import Logging
import Testing

@testable import AirlockProxy

@Suite("Log lines as text and as JSON")
struct LogFormatTests {
    let date = Date(timeIntervalSince1970: 1_764_800_000.25)

    func record(_ message: String, _ metadata: Logger.Metadata = [:]) -> BackgroundLogWriter.Record {
        .init(date: date, level: .info, label: "airlock", message: message, metadata: metadata)
    }

    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("Text: time, level, label, sorted fields, then the message")
    func text() {
        let line = BackgroundLogWriter.format(record("listening", ["b": "2", "a": "1"]))
        #expect(line == "2025-12-03T22:13:20.250Z info airlock: a=1 b=2 listening\n")
    }

    @Test("JSON: the four fixed fields first, numbers as numbers, strings escaped")
    func json() throws {
        let line = BackgroundLogWriter.format(
            record(
                "request \"quoted\"\n\u{1}",
                [
                    "status": .stringConvertible(UInt(403)), "duration_ms": .stringConvertible(0.37),
                    "host": .string("evil.example.com"), "reason": .string("back\\slash\ttab"),
                    "findings": .dictionary(["github-pat": .stringConvertible(2), "code-python": .stringConvertible(1)]
                    ),
                    "list": .array([.string("x"), .stringConvertible(3)]),
                    "nan": .stringConvertible(Double.nan),
                ]),
            as: .json)
        #expect(line.hasPrefix(#"{"time":"2025-12-03T22:13:20.250Z","level":"info","label":"airlock","message":"#))
        let fields = try object(line)
        #expect(fields["message"] as? String == "request \"quoted\"\n\u{1}")
        #expect(fields["status"] as? Int == 403)
        #expect(fields["duration_ms"] as? Double == 0.37)
        #expect(fields["reason"] as? String == "back\\slash\ttab")
        #expect(fields["findings"] as? [String: Int] == ["github-pat": 2, "code-python": 1])
        #expect(fields["list"] as? [AnyHashable] == ["x", 3])
        // A number JSON cannot hold is written as text, so the line stays valid.
        #expect(fields["nan"] as? String == "nan")
    }

    @Test("JSON: metadata cannot replace the fixed fields")
    func fixedFieldsWin() throws {
        let fields = try object(
            BackgroundLogWriter.format(
                record("listening", ["time": "forged", "level": "critical", "message": "forged", "label": "x"]),
                as: .json))
        #expect(fields["time"] as? String == "2025-12-03T22:13:20.250Z")
        #expect(fields["level"] as? String == "info")
        #expect(fields["message"] as? String == "listening")
        #expect(fields["label"] as? String == "airlock")
    }

    @Test("The scan summary: one text suffix, or fields with findings as an object")
    func scrubSummary() throws {
        let summary = ScrubLogSummary(
            decision: .redacted, counts: [("github-pat", 1), ("binary-image", 1)], binaryParts: 1)
        #expect(summary.text == "scrub=redacted findings=github-pat:1,binary-image:1 binary_parts=1")
        var fields: Logger.Metadata = [:]
        summary.add(to: &fields)
        let parsed = try object(BackgroundLogWriter.format(record("request", fields), as: .json))
        #expect(parsed["scrub"] as? String == "redacted")
        #expect(parsed["findings"] as? [String: Int] == ["github-pat": 1, "binary-image": 1])
        #expect(parsed["binary_parts"] as? Int == 1)
    }
}
