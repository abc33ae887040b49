import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("Which request bodies can be scanned")
struct ScrubGateTests {
    func problem(_ headers: [(String, String)]) -> String? {
        ScrubGate.contentProblem(HTTPHeaders(headers))?.1
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
        for type in ["text/plain", "multipart/form-data; boundary=x", "application/jsonp", "json", "+json", ""] {
            #expect(problem([("content-type", type)]) == "unsupported_media_type", "\(type)")
        }
        #expect(problem([("content-encoding", "gzip")]) == nil)
        #expect(problem([("content-encoding", "br")]) == "unsupported_content_encoding")
        #expect(
            problem([("content-type", "application/json"), ("content-encoding", "identity, br")])
                == "unsupported_content_encoding")
    }
}
