import AirlockLedger
import AirlockPolicy
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler whose records are formatted and written to stderr by one background thread, so that a
/// request's log line never blocks an event loop on a slow terminal, pipe or disk. The queue is bounded;
/// records beyond it are dropped and counted, and the count is reported once writing catches up.
public struct BackgroundLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let writer: BackgroundLogWriter

    public init(label: String, level: Logger.Level, writer: BackgroundLogWriter) {
        self.label = label
        self.logLevel = level
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata, !extra.isEmpty { merged.merge(extra) { $1 } }
        writer.enqueue(
            .init(date: Date(), level: event.level, label: label, message: event.message.description, metadata: merged))
    }
}

/// The queue and thread behind `BackgroundLogHandler`.
public final class BackgroundLogWriter: Sendable {
    /// `text`: `time level label: key=value… message`, for a terminal. `json`: one JSON object per line with
    /// `time`, `level`, `label`, `message` and the metadata as fields, for a log collector.
    public typealias Format = AirlockConfiguration.LogFormat

    struct Record: Sendable {
        var date: Date
        var level: Logger.Level
        var label: String
        var message: String
        var metadata: Logger.Metadata
    }

    private struct Queue {
        var records: [Record] = []
        var dropped = 0
    }

    private static let capacity = 16_384
    /// How often the writer wakes; producers never signal it, so logging costs no wake-up per record.
    private static let interval: UInt32 = 20_000
    private let storage = NIOLockedValueBox(Queue())
    private let format: Format

    public init(format: Format = .text) {
        self.format = format
        let thread = Thread { [self] in
            nameCurrentThread("airlock-log")
            self.drainForever()
        }
        thread.start()
    }

    func enqueue(_ record: Record) {
        storage.withLockedValue { queue in
            if queue.records.count >= Self.capacity {
                queue.dropped += 1
            } else {
                queue.records.append(record)
            }
        }
    }

    /// Writes one announcement at once, ahead of the queue and whatever the log level: the bare line in text
    /// mode, where scripts wait for it, and an `info` record in JSON mode, so that every line stays JSON.
    public func announce(_ line: String) {
        let text =
            format == .json
            ? Self.format(.init(date: Date(), level: .info, label: "airlock", message: line, metadata: [:]), as: .json)
            : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes everything queued so far; for shutdown.
    public func flush() {
        write(take())
    }

    private func take() -> ([Record], Int) {
        storage.withLockedValue { queue in
            defer { queue = Queue() }
            return (queue.records, queue.dropped)
        }
    }

    private func drainForever() {
        while true {
            usleep(Self.interval)
            write(take())
        }
    }

    private func write(_ batch: ([Record], Int)) {
        let (records, dropped) = batch
        guard !records.isEmpty || dropped > 0 else { return }
        var text = ""
        for record in records { text += Self.format(record, as: format) }
        if dropped > 0 {
            let warning = Record(
                date: Date(), level: .warning, label: "airlock",
                message: "log records dropped: the log writer fell behind",
                metadata: ["dropped": .stringConvertible(dropped)])
            text += Self.format(warning, as: format)
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `2026-11-22T22:18:13.517Z`, built without a date formatter.
    private static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let millis = Int32((interval - Double(seconds)) * 1000)
        return
            "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }

    static func format(_ record: Record, as format: Format = .text) -> String {
        let metadata = record.metadata.sorted(by: { $0.key < $1.key })
        switch format {
        case .text:
            var line = "\(timestamp(record.date)) \(record.level) \(record.label):"
            for (key, value) in metadata { line += " \(key)=\(value)" }
            return line + " \(record.message)\n"
        case .json:
            var line =
                "{\"time\":\"\(timestamp(record.date))\",\"level\":\"\(record.level)\",\"label\":\(JSON.string(record.label)),"
                + "\"message\":\(JSON.string(record.message))"
            // The four fields above come first and win: metadata never overwrites them.
            for (key, value) in metadata where !fixedFields.contains(key) {
                line += ",\(JSON.string(key)):\(json(value))"
            }
            return line + "}\n"
        }
    }

    private static let fixedFields: Set<String> = ["time", "level", "label", "message"]

    /// A metadata value as JSON: integers and floating-point numbers given as numbers stay numbers (a status,
    /// a duration, a count); everything else is a string, a list or an object.
    private static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return JSON.string(text)
        case .stringConvertible(let number as any BinaryInteger): return "\(number)"
        case .stringConvertible(let number as Double) where number.isFinite: return "\(number)"
        case .stringConvertible(let other): return JSON.string(other.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let fields):
            let members = fields.sorted(by: { $0.key < $1.key }).map { "\(JSON.string($0.key)):\(json($0.value))" }
            return "{" + members.joined(separator: ",") + "}"
        }
    }
}
