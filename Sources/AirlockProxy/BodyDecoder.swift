import NIOHTTP1

/// Undoes a request body's `Content-Encoding` (gzip or deflate), so the scrubber reads what the upstream would.
/// The output is capped at the request body limit: a small compressed body cannot expand without end. Which
/// codings can be undone is decided here for responses too, which are inflated on the side for their token usage.
enum BodyDecoder {
    enum Coding: Sendable, Equatable {
        case gzip
        /// RFC 9110's `deflate` is the zlib format; raw deflate, which some clients send under that name, is read too.
        case deflate
    }

    /// Why a body could not be decoded. Neither case carries any of the body.
    enum Failure: Error, Equatable {
        /// The decoded body would exceed the limit.
        case tooLarge
        /// Corrupt, truncated, followed by other bytes, or not in the format its header names.
        case invalid
    }

    /// The one compression a `Content-Encoding` header names (nil: none), or a failure for any other coding or more
    /// than one. Requests are decoded by it before the scan, responses for their token usage.
    static func coding(_ headers: HTTPHeaders) -> Result<Coding?, UnsupportedCoding> {
        // Nearly every message has none: no list to split.
        guard headers.contains(name: "content-encoding") else { return .success(nil) }
        var found: Coding?
        for value in headers[canonicalForm: "content-encoding"] {
            let name = value.utf8
            if name.equalsIgnoringASCIICase("identity") { continue }
            guard found == nil else { return .failure(UnsupportedCoding()) }
            if name.equalsIgnoringASCIICase("gzip") || name.equalsIgnoringASCIICase("x-gzip") {
                found = .gzip
            } else if name.equalsIgnoringASCIICase("deflate") {
                found = .deflate
            } else {
                return .failure(UnsupportedCoding())
            }
        }
        return .success(found)
    }

    struct UnsupportedCoding: Error {}

    /// The decoded body, or why there is none: the data must be complete, and may hold several gzip members
    /// (RFC 1952), decoded one after the other as `gunzip` does; anything else after its end is refused.
    static func decode(_ body: [UInt8], coding: Coding, limit: Int) throws(Failure) -> [UInt8] {
        let inflater = Inflater(coding: coding, chunkSize: 64 * 1024)
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, body.count * 4))
        try body.withUnsafeBytes { bytes in
            Result { () throws(Failure) in try inflater.feed(bytes, limit: limit) { output.append(contentsOf: $0) } }
        }.get()
        guard inflater.ended else { throw .invalid }
        return output
    }
}
