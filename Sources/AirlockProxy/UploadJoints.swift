import AirlockPolicy
import AirlockScrub
import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1

/// The ends of files being uploaded in pieces, so that each piece is read with the end of the one before it and a
/// secret cut by the boundary is still found (`PieceJoint`).
///
/// Two APIs upload in pieces: Gemini's resumable uploads (each piece a POST to the upload URL, its place in the file
/// given by `X-Goog-Upload-Offset`, the last one marked `finalize`) and OpenAI's Uploads API (`/v1/uploads/{id}/parts`,
/// which its SDK sends one after another; the parts' order is only fixed when the upload is completed, so they are
/// joined in the order they arrive). An upload is known by its host and upload path, held in memory only.
///
/// Each upload keeps the end of the file before and after its latest piece, at most `PieceJoint.reach` bytes each:
/// a piece that continues the file is read after the second, one sent again at the same offset (a retry) after
/// the first. An upload is forgotten when it is finalised or completed, or when no piece has come for `lifetime`
/// (65 minutes: OpenAI expires an upload an hour after it was created, so a part that comes later is refused
/// there).
///
/// A piece is never read without the end of the file before it. A Gemini piece at an offset other than 0 whose
/// predecessor Airlock does not hold (forgotten, not the piece before it, or sent before Airlock started) is
/// refused (`Joint.unknownPredecessor`), and an open upload is never forgotten to make room: with `capacity`
/// uploads open, the first piece of another is refused (`Joint.full`) until one ends.
///
/// An OpenAI part says nothing of its place until the upload is completed with the parts' ids in order. So each
/// part is noted with the part it was read after (none for the first), and its id once the provider accepted it
/// (`settle`); a part the provider did not accept is taken back, so that a retry is read after the same end. A
/// completion is forwarded only when each part it lists was read after the one listed before it (`completes`):
/// parts sent out of order, in parallel, before Airlock started or leaving one out are never joined unread.
package final class UploadJoints: Sendable {
    /// Which upload a request continues, and where in its file.
    package struct Piece: Equatable, Sendable {
        package var upload: String
        /// The piece's offset in the file (Gemini); nil for parts that come in order (OpenAI).
        package var offset: Int?
        /// The upload's last piece (Gemini's `finalize`).
        package var last: Bool
        /// For a part that comes in order, a number that tells it from the upload's other parts (`newPart()`).
        package var part: Int? = nil
    }

    /// An OpenAI part: the part it was read after (nil: read as the file's start), and its id once accepted.
    private struct Part {
        var readAfter: Int?
        var id: String?
    }

    private struct Entry {
        var start: Int?
        var end: Int?
        var before: [UInt8]
        var after: [UInt8]
        var used: ContinuousClock.Instant
        /// OpenAI: the latest part read, the end of the file before it (nil once that part was taken back), and every
        /// part read, by number.
        var last: Int? = nil
        var beforeLast: [UInt8]? = nil
        var parts: [Int: Part] = [:]
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let partNumbers = NIOLockedValueBox(0)
    private let capacity: Int
    private let lifetime: Duration
    /// Parts of one upload that are noted: 1,000 parts of OpenAI's 64 MB parts hold its largest file many times.
    package static let partLimit = 1000

    /// How a piece is read.
    package enum Joint: Equatable, Sendable {
        /// After the end of the file before it (empty at the start of the file).
        case after([UInt8])
        /// Not at all: it continues a file whose end before it is not held.
        case unknownPredecessor
        /// Not at all: it starts an upload, and `capacity` uploads are open.
        case full
        /// Not at all: `partLimit` parts of its upload are noted.
        case tooManyParts
    }

    package init(capacity: Int = 256, lifetime: Duration = .seconds(65 * 60)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// The piece a request to `host` carries, if it carries one of an upload's file.
    package static func piece(host: String, path: String, headers: HTTPHeaders, format: BodyFormat) -> Piece? {
        switch format {
        case .uploadPiece:
            let command = headers[canonicalForm: "x-goog-upload-command"].map { $0.lowercased() }
            let offset = headers.first(name: "x-goog-upload-offset").flatMap { Int($0) }
            return Piece(upload: host + path, offset: offset, last: command.contains("finalize"))
        case .form:
            guard let (upload, _) = uploadPath(path, ending: ["/parts"]) else { return nil }
            return Piece(upload: host + upload, offset: nil, last: false)
        case .json:
            return nil
        }
    }

    /// How a request to `host` ends an upload, if it ends one: OpenAI's `/v1/uploads/{id}/complete` or `/cancel`.
    package enum Ending: Equatable, Sendable {
        case complete(String)
        case cancel(String)
    }

    package static func ending(host: String, path: String) -> Ending? {
        guard let (upload, which) = uploadPath(path, ending: ["/complete", "/cancel"]) else { return nil }
        return which == 0 ? .complete(host + upload) : .cancel(host + upload)
    }

    /// The `part_ids` of a completion's JSON body; empty when it has none, nil when it is not a JSON object.
    package static func partIDs(ofCompletion body: [UInt8]) -> [String]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return (object["part_ids"] as? [Any])?.map { ($0 as? String) ?? "" } ?? []
    }

    /// A number for a part that comes in order, unique in this process.
    package func newPart() -> Int {
        partNumbers.withLockedValue {
            $0 += 1
            return $0
        }
    }

    /// `/…/uploads/{id}` of `/…/uploads/{id}/{last}`, when `/{last}` is one of `endings`, and which one. Asked of
    /// every request, so the ending is checked before anything is split.
    private static func uploadPath(_ path: String, ending endings: [String]) -> (String, Int)? {
        let bytes = path.utf8.prefix { $0 != UInt8(ascii: "?") }
        guard
            let which = endings.firstIndex(where: {
                bytes.count > $0.utf8.count && bytes.suffix($0.utf8.count).elementsEqual($0.utf8)
            })
        else { return nil }
        let segments = Substring(bytes).split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count >= 4, segments[segments.count - 3] == "uploads" else { return nil }
        return (segments.dropLast().joined(separator: "/"), which)
    }

    /// How `piece` is read: after the end of the file it continues, or not at all. A numbered part is noted with
    /// the part it is read after.
    package func joint(for piece: Piece) -> Joint {
        entries.withLockedValue { entries in
            let now = ContinuousClock.now
            if var entry = entries[piece.upload], now - entry.used < lifetime {
                guard let offset = piece.offset else {
                    if let number = piece.part {
                        guard entry.parts.count < UploadJoints.partLimit else { return .tooManyParts }
                        entry.parts[number] = Part(readAfter: entry.last)
                        entry.used = now
                        entries[piece.upload] = entry
                    }
                    return .after(entry.after)
                }
                if offset == entry.end { return .after(entry.after) }
                if offset == entry.start { return .after(entry.before) }
                return offset == 0 ? .after([]) : .unknownPredecessor
            }
            if let offset = piece.offset, offset != 0 { return .unknownPredecessor }
            let open = entries.values.reduce(0) { $0 + (now - $1.used < lifetime ? 1 : 0) }
            guard open < capacity else { return .full }
            if let number = piece.part {
                entries[piece.upload] = Entry(
                    start: nil, end: nil, before: [], after: [], used: now, parts: [number: Part(readAfter: nil)])
            }
            return .after([])
        }
    }

    /// Notes that `piece`, `count` bytes long, was scanned and leaves, and that the file now ends with `fileEnd`.
    /// `readAfter`: the end of the file the piece was read after (`joint(for:)`), to go back to should the provider
    /// not accept a numbered part.
    package func record(_ piece: Piece, count: Int, fileEnd: [UInt8], readAfter: [UInt8] = []) {
        entries.withLockedValue { entries in
            if piece.last {
                entries[piece.upload] = nil
                return
            }
            let now = ContinuousClock.now
            let previous = entries[piece.upload]
            let before: [UInt8]
            if let previous, piece.offset == nil || piece.offset == previous.end {
                before = previous.after
            } else if let previous, piece.offset == previous.start {
                before = previous.before
            } else {
                before = []
            }
            var entry = Entry(
                start: piece.offset, end: piece.offset.map { $0 + count }, before: before, after: fileEnd, used: now)
            if let previous {
                entry.last = previous.last
                entry.beforeLast = previous.beforeLast
                entry.parts = previous.parts
            }
            if let number = piece.part {
                entry.last = number
                entry.beforeLast = readAfter
            }
            if previous == nil, entries.count >= capacity {
                entries = entries.filter { now - $0.value.used < lifetime }
            }
            entries[piece.upload] = entry
        }
    }

    /// Notes the provider's answer to a numbered part: its id when it accepted the part, else nil. A part it did not
    /// accept is taken back, and when it was the latest one read, the file ends where it ended before it.
    package func settle(_ piece: Piece, id: String?) {
        guard let number = piece.part else { return }
        entries.withLockedValue { entries in
            guard var entry = entries[piece.upload], let part = entry.parts[number] else { return }
            entry.used = ContinuousClock.now
            if let id {
                entry.parts[number]?.id = id
            } else {
                entry.parts[number] = nil
                if entry.last == number {
                    // Without the end before it, the next part is read as the file's start, and noted so.
                    entry.after = entry.beforeLast ?? []
                    entry.last = entry.beforeLast == nil ? nil : part.readAfter
                    entry.beforeLast = nil
                }
            }
            entries[piece.upload] = entry
        }
    }

    /// Whether a completion of `upload` that lists `partIDs` in this order joins only parts read one after the
    /// other: the first read as the file's start, each next one after the one listed before it.
    package func completes(_ upload: String, partIDs: [String]) -> Bool {
        guard !partIDs.isEmpty else { return true }
        return entries.withLockedValue { entries in
            guard let entry = entries[upload], ContinuousClock.now - entry.used < lifetime else { return false }
            var numbers: [String: Int] = [:]
            for (number, part) in entry.parts {
                if let id = part.id { numbers[id] = number }
            }
            var previous: Int? = nil
            for id in partIDs {
                guard let number = numbers[id], entry.parts[number]?.readAfter == previous else { return false }
                previous = number
            }
            return true
        }
    }

    /// What a request's scan must know of the uploads in pieces.
    struct Plan {
        /// The piece of an upload the body is, numbered when it comes in order, so the provider's answer to it
        /// can be noted (`settle`).
        var piece: Piece?
        /// The end of the file before the piece, read ahead of it.
        var before: [UInt8] = []
        /// The upload this request completes: forgotten once the provider accepts the completion.
        var completing: String?
    }

    /// Plans the scan of a request to `host`: a piece of an upload is read after the end of the file before it,
    /// or refused when that end is not held or a limit is reached. A cancellation forgets its upload here.
    func plan(
        host: String, path: String, headers: HTTPHeaders, format: BodyFormat, provider: Provider?
    ) -> Result<Plan, ErrorResponse> {
        var plan = Plan()
        switch Self.ending(host: host, path: path) {
        case .cancel(let upload)?: forget(upload)
        case .complete(let upload)?: plan.completing = upload
        case nil: break
        }
        guard var piece = Self.piece(host: host, path: path, headers: headers, format: format) else {
            return .success(plan)
        }
        if piece.offset == nil { piece.part = newPart() }
        plan.piece = piece
        let (status, reason, message): (HTTPResponseStatus, FailureReason, String)
        switch joint(for: piece) {
        case .after(let end):
            plan.before = end
            return .success(plan)
        case .unknownPredecessor:
            (status, reason, message) = (
                .conflict, .uploadPredecessorUnknown,
                "Airlock does not hold the end of the file before this piece, so a secret cut by its start "
                    + "could not be found; start the upload again"
            )
        case .full:
            (status, reason, message) = (
                .tooManyRequests, .uploadCapacity,
                "Airlock holds the ends of as many open uploads as it can; send this one when another has ended"
            )
        case .tooManyParts:
            (status, reason, message) = (
                .conflict, .uploadPartLimit,
                "Airlock reads at most \(Self.partLimit) parts of one upload; upload the file again in larger parts"
            )
        }
        return .failure(.failure(status, reason: reason, message: message, host: host, provider: provider))
    }

    /// Forgets an upload that was completed or cancelled.
    package func forget(_ upload: String) {
        _ = entries.withLockedValue { $0.removeValue(forKey: upload) }
    }

    /// How many uploads are open (for tests).
    package var count: Int { entries.withLockedValue { $0.count } }
}
