import AirlockPolicy
import Foundation

enum RequestLog {
    /// The path without query or fragment, with opaque tokens replaced, cut to a sane length and to printable ASCII.
    static func safePath(_ uri: String) -> String {
        var path = RequestPath.withoutQuery(uri)
        if path.utf8.first != UInt8(ascii: "/"), let schemeEnd = path.range(of: "://") {
            let afterScheme = path[schemeEnd.upperBound...]
            path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        let limited = path.utf8.prefix(256)
        guard limited.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return "[non-printable path]" }
        return RequestPath.redactedForLog(String(Substring(limited)))
    }
}
