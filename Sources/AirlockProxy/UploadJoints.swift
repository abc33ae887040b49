import AirlockScrub
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
/// uploads open, the first piece of another is refused (`Joint.full`) until one ends. An OpenAI part says nothing
/// of its place, so the first part Airlock sees of an upload is read as the file's start: only a part sent before
/// Airlock started is read without its predecessor.
package final class UploadJoints: Sendable {
    /// Which upload a request continues, and where in its file.
    package struct Piece: Equatable, Sendable {
        package var upload: String
        /// The piece's offset in the file (Gemini); nil for parts that come in order (OpenAI).
        package var offset: Int?
        /// The upload's last piece (Gemini's `finalize`).
        package var last: Bool
    }

    private struct Entry {
        var start: Int?
        var end: Int?
        var before: [UInt8]
        var after: [UInt8]
        var used: ContinuousClock.Instant
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let capacity: Int
    private let lifetime: Duration

    /// How a piece is read.
    package enum Joint: Equatable, Sendable {
        /// After the end of the file before it (empty at the start of the file).
        case after([UInt8])
        /// Not at all: it continues a file whose end before it is not held.
        case unknownPredecessor
        /// Not at all: it starts an upload, and `capacity` uploads are open.
        case full
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
            guard let upload = uploadPath(path, ending: ["/parts"]) else { return nil }
            return Piece(upload: host + upload, offset: nil, last: false)
        case .json:
            return nil
        }
    }

    /// The upload a request to `host` ends (OpenAI's `/v1/uploads/{id}/complete` or `/cancel`), if it ends one.
    package static func finished(host: String, path: String) -> String? {
        uploadPath(path, ending: ["/complete", "/cancel"]).map { host + $0 }
    }

    /// `/…/uploads/{id}` of `/…/uploads/{id}/{last}`, when `/{last}` is one of `endings`. Asked of every request, so
    /// the ending is checked before anything is split.
    private static func uploadPath(_ path: String, ending endings: [String]) -> String? {
        let bytes = path.utf8.prefix { $0 != UInt8(ascii: "?") }
        guard
            endings.contains(where: {
                bytes.count > $0.utf8.count && bytes.suffix($0.utf8.count).elementsEqual($0.utf8)
            })
        else { return nil }
        let segments = Substring(bytes).split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count >= 4, segments[segments.count - 3] == "uploads" else { return nil }
        return segments.dropLast().joined(separator: "/")
    }

    /// How `piece` is read: after the end of the file it continues, or not at all.
    package func joint(for piece: Piece) -> Joint {
        entries.withLockedValue { entries in
            let now = ContinuousClock.now
            if let entry = entries[piece.upload], now - entry.used < lifetime {
                guard let offset = piece.offset else { return .after(entry.after) }
                if offset == entry.end { return .after(entry.after) }
                if offset == entry.start { return .after(entry.before) }
                return offset == 0 ? .after([]) : .unknownPredecessor
            }
            if let offset = piece.offset, offset != 0 { return .unknownPredecessor }
            let open = entries.values.reduce(0) { $0 + (now - $1.used < lifetime ? 1 : 0) }
            return open >= capacity ? .full : .after([])
        }
    }

    /// Notes that `piece`, `count` bytes long, was scanned and leaves, and that the file now ends with `fileEnd`.
    package func record(_ piece: Piece, count: Int, fileEnd: [UInt8]) {
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
            let entry = Entry(
                start: piece.offset, end: piece.offset.map { $0 + count }, before: before, after: fileEnd, used: now)
            if previous == nil, entries.count >= capacity {
                entries = entries.filter { now - $0.value.used < lifetime }
            }
            entries[piece.upload] = entry
        }
    }

    /// Forgets an upload that was completed or cancelled.
    package func forget(_ upload: String) {
        _ = entries.withLockedValue { $0.removeValue(forKey: upload) }
    }

    /// How many uploads are open (for tests).
    package var count: Int { entries.withLockedValue { $0.count } }
}
