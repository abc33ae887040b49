/// Base64 payloads inside request bodies: images, audio and files. Binary ones are left alone; a text file sent
/// as base64 (a `.env`, a source file, a CSV) is text that the provider reads, so it is decoded and scanned.
enum EncodedPart {
    /// What a part's declared media type says about its bytes.
    enum Content: Equatable {
        /// Images, audio, video, fonts, PDF, archives: not text, if the bytes agree.
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

    /// What a binary part is, for its finding's name: `image`, `audio`, `video`, `pdf`, or `file`.
    static func binaryKind(declaredAs mediaTypes: [String]) -> String {
        for type in mediaTypes {
            let lower = type.lowercased()
            for kind in ["image", "audio", "video"] where lower.hasPrefix(kind + "/") { return kind }
            if lower.hasPrefix("application/pdf") { return "pdf" }
        }
        return "file"
    }

    /// The language of a source file, by its name: `deploy.sh`, `main.py`, `Dockerfile`. Nil for documents and
    /// data (`.txt`, `.json`, `.html`) and for names the code detector has no language for.
    static func language(ofFilename name: String) -> String? {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? name
        let lower = base.lowercased()
        guard let dot = lower.lastIndex(of: ".") else {
            return ["dockerfile", "makefile"].contains(lower) ? LanguageTables.aliases[lower] : nil
        }
        let ext = String(lower[lower.index(after: dot)...])
        return ["html", "htm"].contains(ext) ? nil : LanguageTables.aliases[ext]
    }

    /// Whether decoded bytes read as text: valid UTF-8 without NUL or other control bytes except tab, line
    /// breaks and form feed. Images, audio, PDFs and archives fail within their first bytes.
    static func looksLikeText(_ bytes: [UInt8], piece: Bool = false) -> Bool {
        bytes.withUnsafeBufferPointer { looksLikeText($0, piece: piece) }
    }

    static func looksLikeText(_ bytes: UnsafeBufferPointer<UInt8>, piece: Bool = false) -> Bool {
        for b in bytes where b < 0x20 || b == 0x7F {
            if b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { return false }
        }
        return isUTF8(bytes, piece: piece)
    }

    /// Whether `bytes` are UTF-8. A `piece` of a longer file may begin and end inside a sequence.
    static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>, piece: Bool) -> Bool {
        var start = 0
        var end = bytes.count
        if piece {
            func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
            while start < min(3, end), isContinuation(bytes[start]) { start += 1 }
            // The last sequence, if its lead byte promises more bytes than are left, continues in the next piece.
            var lead = end - 1
            while lead > start, end - lead < 4, isContinuation(bytes[lead]) { lead -= 1 }
            if lead >= start {
                let b = bytes[lead]
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                if length > end - lead { end = lead }
            }
        }
        return UTF8Validation.isValid(UnsafeBufferPointer(rebasing: bytes[start..<end]))
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

extension EncodedPart {
    /// A `data:` URL whose payload is percent-encoded rather than base64 (`data:text/plain,AKIA…%0A…`, RFC 2397):
    /// the media type (`text/plain` when none is named) and where the payload starts. Nil for a base64 one, and for
    /// anything that is not a `data:` URL.
    static func percentDataURL(_ text: [UInt8]) -> (mediaType: String, payloadStart: Int)? {
        guard text.count > 5, text.starts(with: "data:".utf8),
            let comma = text.prefix(512).firstIndex(of: UInt8(ascii: ","))
        else { return nil }
        let header = text[5..<comma]
        guard header.allSatisfy({ ByteClass.mediaTypeHeader.contains($0) }),
            !(header.count >= 7 && header.suffix(7).elementsEqual(";base64".utf8))
        else { return nil }
        let type = header.prefix { $0 != UInt8(ascii: ";") }
        // A media type has its slash: `data:note,…` is a word and a comma, not a URL.
        guard type.isEmpty || type.contains(UInt8(ascii: "/")) else { return nil }
        return (type.isEmpty ? "text/plain" : String(decoding: type, as: UTF8.self), comma + 1)
    }
}

extension ByteClass {
    /// The bytes of a `data:` URL's header: a media type and its parameters.
    static let mediaTypeHeader = ByteClass.alnum.union("/;=-+._")
    /// RFC 3986 unreserved characters.
    static let unreserved = ByteClass.alnum.union("-._~")
}
