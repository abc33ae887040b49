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
        #expect(
            UploadJoints.finished(host: "api.openai.com", path: "/v1/uploads/upload_1/complete")
                == "api.openai.com/v1/uploads/upload_1")
        #expect(UploadJoints.finished(host: "api.openai.com", path: "/v1/uploads/upload_1/cancel") != nil)
        #expect(
            UploadJoints.finished(host: "api.openai.com", path: "/v1/uploads/upload_1/complete?beta=1")
                == "api.openai.com/v1/uploads/upload_1")
        #expect(UploadJoints.finished(host: "api.openai.com", path: "/v1/uploads/complete") == nil)
        #expect(UploadJoints.finished(host: "api.openai.com", path: "/v1/uploads/upload_1/parts") == nil)
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
