import AirlockScrub
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("Which request bodies can be scanned")
struct PayloadGateTests {
    func problem(_ headers: [(String, String)]) -> String? {
        guard case .failure(let problem) = PayloadGate.reading(HTTPHeaders(headers), path: "/v1/x") else { return nil }
        return problem.reason.rawValue
    }

    func format(_ headers: HTTPHeaders, path: String) -> BodyFormat? {
        try? PayloadGate.reading(headers, path: path).get().format
    }

    @Test func jsonMediaTypesAreScanned() {
        for type in [
            "application/json", "Application/JSON; charset=utf-8", " application/json ;charset=utf-8",
            "text/json", "application/vnd.api+json", "application/problem+JSON",
        ] {
            #expect(problem([("content-type", type)]) == nil, "\(type)")
        }
        #expect(problem([]) == nil)
        #expect(problem([("content-encoding", "Identity")]) == nil)
    }

    @Test func otherMediaTypesAndOtherCompressionsAreRefused() {
        for type in ["text/plain", "multipart/related; boundary=x", "application/jsonp", "json", "+json", ""] {
            #expect(problem([("content-type", type)]) == "unsupported_media_type", "\(type)")
        }
        #expect(problem([("content-encoding", "gzip")]) == nil)
        #expect(problem([("content-encoding", "br")]) == "unsupported_content_encoding")
        #expect(
            problem([("content-type", "application/json"), ("content-encoding", "identity, br")])
                == "unsupported_content_encoding")
    }

    @Test func formsAreScannedWithTheirBoundary() {
        let headers = HTTPHeaders([
            ("Content-Type", "multipart/form-data; boundary=\"ab:c\""), ("Content-Encoding", "gzip"),
        ])
        // The compression to undo comes with the framing, read from the same headers once.
        let reading = try? PayloadGate.reading(headers, path: "/v1/files").get()
        #expect(reading == PayloadGate.Reading(coding: .gzip, format: .form(boundary: Array("ab:c".utf8))))
        for type in ["multipart/form-data", "multipart/form-data; boundary=a; boundary=b"] {
            #expect(problem([("content-type", type)]) == "invalid_multipart", "\(type)")
        }
    }

    @Test func aSecondContentTypeIsRefused() {
        let headers = [("content-type", "application/json"), ("Content-Type", "multipart/form-data; boundary=x")]
        #expect(problem(headers) == "conflicting_content_type")
    }

    @Test func piecesOfResumableUploadsAreReadAsBytes() {
        let piece = [("X-Goog-Upload-Command", "upload, finalize"), ("X-Goog-Upload-Offset", "0")]
        #expect(
            format(HTTPHeaders(piece), path: "/upload/v1beta/files?upload_id=1") == .uploadPiece
        )
        // The header alone does not make a request an upload: elsewhere the body is read as its type says.
        #expect(format(HTTPHeaders(piece), path: "/v1beta/models/m:generateContent") == .json)
        let start = [("X-Goog-Upload-Command", "start"), ("Content-Type", "application/json")]
        #expect(format(HTTPHeaders(start), path: "/upload/v1beta/files") == .json)
    }
}
