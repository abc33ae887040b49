import Foundation
import Testing

@testable import AirlockScrub

/// Helpers shared by the scrubber tests.
enum Scan {
    static func text(_ text: String, policy: ScrubPolicy = ScrubPolicy()) throws -> ScrubResult {
        try Scrubber(policy: policy).scrub(Array(text.utf8), kind: .text)
    }

    static func json(_ body: String, kind: PayloadKind, path: String = "", policy: ScrubPolicy = ScrubPolicy())
        throws -> ScrubResult
    {
        try Scrubber(policy: policy).scrub(Array(body.utf8), kind: kind, path: path)
    }

    static func output(_ result: ScrubResult) -> String { String(decoding: result.output, as: UTF8.self) }

    static func secrets(_ text: String) -> [(id: String, value: String)] {
        let bytes = Array(text.utf8)
        return SecretScanner.standard.scan(bytes).map {
            (SecretScanner.standard.rules[$0.rule].id, String(decoding: bytes[$0.range], as: UTF8.self))
        }
    }

    static func code(_ text: String, includeData: Bool = false) -> [CodeRegion] {
        CodeDetector(includeDataFormats: includeData).detect(Array(text.utf8))
    }

    /// The decoded JSON, for comparing structure.
    static func parse(_ bytes: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// The shape of a JSON value: same keys, same array lengths, same types; string contents ignored.
    static func shape(_ value: Any) -> String {
        switch value {
        case let d as [String: Any]:
            return "{" + d.keys.sorted().map { "\($0):\(shape(d[$0]!))" }.joined(separator: ",") + "}"
        case let a as [Any]: return "[" + a.map(shape).joined(separator: ",") + "]"
        case is String: return "s"
        case is NSNull: return "null"
        default: return "v"
        }
    }
}
