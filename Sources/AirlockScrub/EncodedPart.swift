/// Base64 payloads inside request bodies: images, audio and files. Binary ones are left alone; a text file sent
/// as base64 (a `.env`, a source file, a CSV) is text that the provider reads, so it is decoded and scanned.
enum EncodedPart {
    /// What a part's declared media type says about its bytes.
    enum Content: Equatable {
        /// Images, audio, video, fonts, PDF, archives: never decoded.
        case binary
        /// Text; a programming language's media type names the language of a file that is code as a whole.
        case text(language: String?)
        /// No type, or one that says nothing (`application/octet-stream`): the decoded bytes decide.
        case unknown
    }

    /// Classifies a media type such as `text/plain; charset=utf-8` or `image/png` (case-insensitive).
    static func content(ofMediaType raw: String) -> Content {
        let essence = raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let lower = essence.trimmingASCIISpaces().lowercased()
        guard let slash = lower.firstIndex(of: "/") else { return .unknown }
        let type = lower[..<slash]
        let subtype = String(lower[lower.index(after: slash)...])
        if let language = codeSubtypes[subtype] { return .text(language: language) }
        if subtype.hasSuffix("+json") || subtype.hasSuffix("+xml") || subtype.hasSuffix("+yaml") {
            return .text(language: nil)
        }
        switch type {
        case "text": return .text(language: nil)
        case "image", "audio", "video", "font", "model": return .binary
        case "application":
            if textSubtypes.contains(subtype) { return .text(language: nil) }
            if binarySubtypes.contains(subtype) || subtype.hasPrefix("vnd.") || subtype.hasPrefix("x-iwork") {
                return .binary
            }
            return .unknown
        default: return .unknown
        }
    }

    /// Subtypes (under `text/` or `application/`) of source files; the values are the code detector's names.
    private static let codeSubtypes: [String: String] = [
        "x-python": "python", "python": "python", "x-script.python": "python", "x-python-code": "python",
        "javascript": "javascript", "x-javascript": "javascript", "ecmascript": "javascript", "jsx": "javascript",
        "typescript": "typescript", "x-typescript": "typescript", "x-java": "java", "x-java-source": "java",
        "x-c": "c", "x-csrc": "c", "x-chdr": "c", "x-c++": "cpp", "x-c++src": "cpp", "x-c++hdr": "cpp",
        "x-cpp": "cpp", "x-csharp": "csharp", "x-go": "go", "x-rust": "rust", "rust": "rust", "x-ruby": "ruby",
        "x-php": "php", "x-httpd-php": "php", "php": "php", "x-sh": "shell", "x-shellscript": "shell",
        "x-swift": "swift", "x-kotlin": "kotlin", "x-scala": "scala", "x-perl": "perl", "x-lua": "lua",
        "sql": "sql", "x-sql": "sql", "x-powershell": "powershell", "x-dart": "dart", "x-haskell": "haskell",
        "x-elixir": "elixir", "x-clojure": "clojure", "x-objective-c": "objective-c",
    ]

    private static let textSubtypes: Set<String> = [
        "json", "x-ndjson", "ndjson", "jsonl", "x-jsonlines", "jsonlines", "xml", "yaml", "x-yaml", "toml", "x-toml",
        "csv", "x-www-form-urlencoded", "graphql", "x-tex", "x-latex", "rtf", "x-subrip",
    ]

    private static let binarySubtypes: Set<String> = [
        "pdf", "zip", "gzip", "x-gzip", "x-tar", "x-7z-compressed", "x-bzip2", "x-xz", "zstd", "x-rar-compressed",
        "msword", "wasm", "x-protobuf", "protobuf", "ogg", "x-msdownload", "java-archive", "x-sqlite3", "epub+zip",
    ]

    /// What the declared media types together say. A part may declare its type more than once (a duplicated
    /// key); it is binary only if every declaration says so, and text if any does.
    static func content(declaredAs mediaTypes: [String]) -> Content {
        guard !mediaTypes.isEmpty else { return .unknown }
        var result = Content.binary
        for type in mediaTypes {
            switch content(ofMediaType: type) {
            case .text(let language): return .text(language: language)
            case .unknown: result = .unknown
            case .binary: break
            }
        }
        return result
    }

    /// Whether decoded bytes read as text: valid UTF-8 without NUL or other control bytes except tab, line
    /// breaks and form feed. Images, audio, PDFs and archives fail within their first bytes.
    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        for b in bytes where b < 0x20 || b == 0x7F {
            if b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { return false }
        }
        return bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
    }

    /// A `data:` URL with base64 payload: `data:[<media type>][;<parameter>...];base64,<payload>`. The media type
    /// is `text/plain` when the URL names none (RFC 2397). Nil when `text` is not one.
    static func dataURL(_ text: [UInt8]) -> (mediaType: String, payloadStart: Int)? {
        guard text.count > 5, text.starts(with: "data:".utf8) else { return nil }
        // The header is short; a comma further in belongs to something else.
        guard let comma = text.prefix(512).firstIndex(of: UInt8(ascii: ",")) else { return nil }
        let header = text[5..<comma]
        guard header.count >= 7, header.suffix(7).elementsEqual(";base64".utf8) else { return nil }
        let parameters = header.dropLast(7)
        let type = parameters.prefix { $0 != UInt8(ascii: ";") }
        let mediaType = String(decoding: type, as: UTF8.self)
        return (mediaType.isEmpty ? "text/plain" : mediaType, comma + 1)
    }
}

/// RFC 4648 base64, both alphabets: base64 parts of request bodies, and `Authorization: Basic` values.
enum Base64 {
    /// The decoded bytes, and whether the text used the URL-safe alphabet and padding. Accepts either alphabet
    /// (not mixed), padding or none, and ASCII whitespace between characters; nil for anything else.
    static func decode(_ text: some Collection<UInt8>) -> (bytes: [UInt8], urlSafe: Bool, padded: Bool)? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var count = 0
        var padding = 0
        var standard = false
        var urlSafe = false
        for c in text {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"), UInt8(ascii: "/"):
                standard = true
                value = c == UInt8(ascii: "+") ? 62 : 63
            case UInt8(ascii: "-"), UInt8(ascii: "_"):
                urlSafe = true
                value = c == UInt8(ascii: "-") ? 62 : 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            default:
                return nil
            }
            // Nothing may follow padding.
            guard padding == 0 else { return nil }
            accumulator = accumulator << 6 | value
            count += 1
            if count == 4 {
                out.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                out.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                count = 0
            }
        }
        guard !(standard && urlSafe) else { return nil }
        switch count {
        case 0:
            guard padding == 0 else { return nil }
        case 2:
            guard padding == 0 || padding == 2 else { return nil }
            out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            guard padding == 0 || padding == 1 else { return nil }
            out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            return nil
        }
        return (out, urlSafe, padding > 0 || count == 0)
    }

    static func encode(_ bytes: [UInt8], urlSafe: Bool = false, padded: Bool = true) -> [UInt8] {
        let alphabet = Array(
            (urlSafe
                ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let left = bytes.count - i
        if left > 0 {
            let v = UInt32(bytes[i]) << 16 | (left == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int(v >> 12 & 63)])
            if left == 2 { out.append(alphabet[Int(v >> 6 & 63)]) }
            if padded { out += Array(repeating: UInt8(ascii: "="), count: 3 - left) }
        }
        return out
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
