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
        #expect(UploadJoints.finished(host: "api.openai.com", path: "/v1/uploads/upload_1/parts") == nil)
    }

    @Test func aPieceIsReadAfterTheEndOfTheOneItContinues() throws {
        let joints = UploadJoints()
        let first = try #require(Self.geminiPiece(offset: 0))
        #expect(joints.before(first).isEmpty)
        joints.record(first, count: 5, fileEnd: Array("hello".utf8))
        let second = try #require(Self.geminiPiece(offset: 5))
        #expect(joints.before(second) == Array("hello".utf8))
        joints.record(second, count: 6, fileEnd: Array("hello world!".utf8))
        // A retry of the second piece is read after the first again; a piece out of place after nothing.
        #expect(joints.before(second) == Array("hello".utf8))
        #expect(joints.before(try #require(Self.geminiPiece(offset: 11))) == Array("hello world!".utf8))
        #expect(joints.before(try #require(Self.geminiPiece(offset: 3))).isEmpty)
        // The last piece ends the upload.
        joints.record(try #require(Self.geminiPiece(offset: 11, finalize: true)), count: 1, fileEnd: [])
        #expect(joints.count == 0)
    }

    @Test func partsInOrderAndForgetting() {
        let joints = UploadJoints()
        let part = UploadJoints.Piece(upload: "api.openai.com/v1/uploads/u", offset: nil, last: false)
        joints.record(part, count: 3, fileEnd: Array("abc".utf8))
        #expect(joints.before(part) == Array("abc".utf8))
        joints.forget("api.openai.com/v1/uploads/u")
        #expect(joints.before(part).isEmpty)
    }

    @Test func openUploadsAreBoundedAndExpire() {
        let joints = UploadJoints(capacity: 2)
        let pieces = (0..<3).map { UploadJoints.Piece(upload: "u\($0)", offset: nil, last: false) }
        for piece in pieces { joints.record(piece, count: 1, fileEnd: [1]) }
        // The upload unused longest made room.
        #expect(joints.count == 2 && joints.before(pieces[0]).isEmpty && joints.before(pieces[2]) == [1])
        let expired = UploadJoints(lifetime: .zero)
        expired.record(pieces[0], count: 1, fileEnd: [1])
        #expect(expired.before(pieces[0]).isEmpty)
    }
}
