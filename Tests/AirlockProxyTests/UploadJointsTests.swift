import AirlockScrub
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("The ends of files uploaded in pieces")
struct UploadJointsTests {
    static let gemini = "generativelanguage.googleapis.com"
    static let uploadPath = "/upload/v1beta/files?upload_id=abc&upload_protocol=resumable"

    static func geminiPiece(offset: Int, finalize: Bool = false) -> UploadJoints.Piece? {
        let headers = HTTPHeaders([
            ("X-Goog-Upload-Command", finalize ? "upload, finalize" : "upload"),
            ("X-Goog-Upload-Offset", String(offset)),
        ])
        return UploadJoints.piece(host: gemini, path: uploadPath, headers: headers, format: .uploadPiece)
    }

    @Test func piecesAreKnownByTheirUploadAndPlace() throws {
        let piece = try #require(Self.geminiPiece(offset: 8))
        #expect(piece == UploadJoints.Piece(upload: Self.gemini + Self.uploadPath, offset: 8, last: false))
        #expect(Self.geminiPiece(offset: 8, finalize: true)?.last == true)
        let form = BodyFormat.form(boundary: Array("b".utf8))
        let part = UploadJoints.piece(
            host: "api.openai.com", path: "/v1/uploads/upload_1/parts", headers: [:], format: form)
        #expect(part == UploadJoints.Piece(upload: "api.openai.com/v1/uploads/upload_1", offset: nil, last: false))
        #expect(UploadJoints.piece(host: "api.openai.com", path: "/v1/files", headers: [:], format: form) == nil)
        #expect(UploadJoints.piece(host: "api.openai.com", path: "/v1/uploads", headers: [:], format: .json) == nil)
        let upload = "api.openai.com/v1/uploads/upload_1"
        #expect(UploadJoints.ending(host: "api.openai.com", path: "/v1/uploads/upload_1/complete") == .complete(upload))
        #expect(
            UploadJoints.ending(host: "api.openai.com", path: "/v1/uploads/upload_1/complete?beta=1")
                == .complete(upload))
        #expect(UploadJoints.ending(host: "api.openai.com", path: "/v1/uploads/upload_1/cancel") == .cancel(upload))
        #expect(UploadJoints.ending(host: "api.openai.com", path: "/v1/uploads/upload_1/parts") == nil)
        #expect(UploadJoints.ending(host: "api.openai.com", path: "/v1/uploads/complete") == nil)
        #expect(UploadJoints.partIDs(ofCompletion: Array(#"{"md5":"x"}"#.utf8)) == [])
        #expect(UploadJoints.partIDs(ofCompletion: Array("not json".utf8)) == nil)
    }

    @Test func aPieceIsReadAfterTheEndOfTheOneItContinues() throws {
        let joints = UploadJoints()
        let first = try #require(Self.geminiPiece(offset: 0))
        #expect(joints.joint(for: first) == .after([]))
        joints.record(first, count: 5, fileEnd: Array("hello".utf8))
        let second = try #require(Self.geminiPiece(offset: 5))
        #expect(joints.joint(for: second) == .after(Array("hello".utf8)))
        joints.record(second, count: 6, fileEnd: Array("hello world!".utf8))
        // A retry of the second piece is read after the first again, the next piece after both.
        #expect(joints.joint(for: second) == .after(Array("hello".utf8)))
        #expect(joints.joint(for: try #require(Self.geminiPiece(offset: 11))) == .after(Array("hello world!".utf8)))
        // The last piece ends the upload.
        joints.record(try #require(Self.geminiPiece(offset: 11, finalize: true)), count: 1, fileEnd: [])
        #expect(joints.count == 0)
    }

    @Test func aPieceWhosePredecessorIsNotHeldIsNotRead() throws {
        let joints = UploadJoints()
        // Sent before Airlock started, or after the upload was finalised.
        #expect(joints.joint(for: try #require(Self.geminiPiece(offset: 5))) == .unknownPredecessor)
        let first = try #require(Self.geminiPiece(offset: 0))
        joints.record(first, count: 5, fileEnd: Array("hello".utf8))
        // Out of place: neither a retry of the latest piece nor the one after it.
        #expect(joints.joint(for: try #require(Self.geminiPiece(offset: 3))) == .unknownPredecessor)
        #expect(joints.joint(for: try #require(Self.geminiPiece(offset: 9))) == .unknownPredecessor)
        // The file's start needs nothing before it.
        joints.record(try #require(Self.geminiPiece(offset: 5)), count: 5, fileEnd: Array("helloworld".utf8))
        #expect(joints.joint(for: first) == .after([]))
        // Forgotten after its lifetime.
        let expiring = UploadJoints(lifetime: .zero)
        expiring.record(first, count: 5, fileEnd: Array("hello".utf8))
        #expect(expiring.joint(for: try #require(Self.geminiPiece(offset: 5))) == .unknownPredecessor)
    }

    static let upload = "api.openai.com/v1/uploads/u"

    /// A numbered OpenAI part of `upload`: read, scanned (the file then ends with `text`), and answered.
    static func send(_ joints: UploadJoints, _ text: String, id: String?) -> UploadJoints.Joint {
        let part = UploadJoints.Piece(upload: upload, offset: nil, last: false, part: joints.newPart())
        let joint = joints.joint(for: part)
        guard case .after(let before) = joint else { return joint }
        joints.record(part, count: text.utf8.count, fileEnd: Array(text.utf8), readAfter: before)
        joints.settle(part, id: id)
        return joint
    }

    @Test func aCompletionJoinsOnlyPartsReadOneAfterTheOther() {
        let joints = UploadJoints()
        #expect(Self.send(joints, "a", id: "p1") == .after([]))
        #expect(Self.send(joints, "ab", id: "p2") == .after(Array("a".utf8)))
        #expect(Self.send(joints, "abc", id: "p3") == .after(Array("ab".utf8)))
        #expect(joints.completes(Self.upload, partIDs: ["p1", "p2", "p3"]))
        // Out of order, one left out, one twice, or one Airlock never read: each joins two parts never read together.
        for ids in [
            ["p2", "p1", "p3"], ["p1", "p3"], ["p2", "p3"], ["p1", "p1", "p2", "p3"], ["p1", "p2", "p3", "p4"],
        ] {
            #expect(!joints.completes(Self.upload, partIDs: ids), "\(ids)")
        }
        // An upload Airlock never saw (created before it started) completes only with no parts.
        #expect(!joints.completes("api.openai.com/v1/uploads/other", partIDs: ["p1"]))
        #expect(joints.completes("api.openai.com/v1/uploads/other", partIDs: []))
    }

    @Test func aPartTheProviderRefusedIsTakenBackSoItsRetryJoinsTheSameEnd() {
        let joints = UploadJoints()
        #expect(Self.send(joints, "a", id: "p1") == .after([]))
        #expect(Self.send(joints, "ab", id: nil) == .after(Array("a".utf8)))
        // The retry is read after the first part again, and completes after it.
        #expect(Self.send(joints, "ab", id: "p2") == .after(Array("a".utf8)))
        #expect(joints.completes(Self.upload, partIDs: ["p1", "p2"]))
        // Parts sent side by side are both read after the same end: only one of them can follow it.
        let parallel = UploadJoints()
        #expect(Self.send(parallel, "a", id: "p1") == .after([]))
        let second = UploadJoints.Piece(upload: Self.upload, offset: nil, last: false, part: parallel.newPart())
        let third = UploadJoints.Piece(upload: Self.upload, offset: nil, last: false, part: parallel.newPart())
        #expect(parallel.joint(for: second) == .after(Array("a".utf8)))
        #expect(parallel.joint(for: third) == .after(Array("a".utf8)))
        parallel.record(second, count: 1, fileEnd: Array("ab".utf8), readAfter: Array("a".utf8))
        parallel.record(third, count: 1, fileEnd: Array("ac".utf8), readAfter: Array("a".utf8))
        parallel.settle(second, id: "p2")
        #expect(!parallel.completes(Self.upload, partIDs: ["p1", "p2", "p3"]))
        // The latest refused: the next part is read after the end the refused one was read after, not the other's.
        parallel.settle(third, id: nil)
        #expect(Self.send(parallel, "ad", id: "p4") == .after(Array("a".utf8)))
        #expect(!parallel.completes(Self.upload, partIDs: ["p1", "p2", "p4"]))
        #expect(parallel.completes(Self.upload, partIDs: ["p1", "p4"]))
        #expect(parallel.completes(Self.upload, partIDs: ["p1", "p2"]))
    }

    @Test func anUploadNotesABoundedNumberOfParts() {
        let joints = UploadJoints()
        for n in 0..<UploadJoints.partLimit { _ = Self.send(joints, "x", id: "p\(n)") }
        #expect(Self.send(joints, "x", id: "over") == .tooManyParts)
    }

    @Test func partsInOrderAndForgetting() {
        let joints = UploadJoints()
        let part = UploadJoints.Piece(upload: "api.openai.com/v1/uploads/u", offset: nil, last: false)
        #expect(joints.joint(for: part) == .after([]))
        joints.record(part, count: 3, fileEnd: Array("abc".utf8))
        #expect(joints.joint(for: part) == .after(Array("abc".utf8)))
        joints.forget("api.openai.com/v1/uploads/u")
        #expect(joints.joint(for: part) == .after([]))
    }

    @Test func anOpenUploadIsNeverForgottenToMakeRoom() {
        let joints = UploadJoints(capacity: 2)
        let pieces = (0..<3).map { UploadJoints.Piece(upload: "u\($0)", offset: nil, last: false) }
        for piece in pieces.prefix(2) {
            #expect(joints.joint(for: piece) == .after([]))
            joints.record(piece, count: 1, fileEnd: [1])
        }
        // A third upload waits; the two open ones go on.
        #expect(joints.joint(for: pieces[2]) == .full)
        #expect(joints.joint(for: pieces[0]) == .after([1]) && joints.joint(for: pieces[1]) == .after([1]))
        joints.forget("u0")
        #expect(joints.joint(for: pieces[2]) == .after([]))
        // Expired uploads make room.
        let expiring = UploadJoints(capacity: 1, lifetime: .zero)
        expiring.record(pieces[0], count: 1, fileEnd: [1])
        #expect(expiring.joint(for: pieces[1]) == .after([]))
    }
}
