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

/// RFC 3986 percent-encoding, for the payloads of `data:` URLs.
enum PercentEncoding {
    /// `text` with each `%XX` replaced by its byte; a `%` not followed by two hex digits stays as it is.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(text)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hexValue(bytes[i + 1]),
                let low = hexValue(bytes[i + 2])
            {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// `bytes` with everything but RFC 3986's unreserved characters percent-encoded.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if ByteClass.unreserved.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return out
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        if c.isDigit { return c - 0x30 }
        let folded = c | 0x20
        return folded &- 0x61 < 6 ? folded - 0x61 + 10 : nil
    }
}

extension ByteClass {
    /// The bytes of a `data:` URL's header: a media type and its parameters.
    static let mediaTypeHeader = ByteClass.alnum.union("/;=-+._")
    /// RFC 3986 unreserved characters.
    static let unreserved = ByteClass.alnum.union("-._~")
}

/// RFC 4648 base64, both alphabets: base64 parts of request bodies, and `Authorization: Basic` values.
enum Base64 {
    /// Per byte: its six-bit value; `pad` for `=`, `space` for ASCII whitespace, `invalid` for anything else.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        table[Int(UInt8(ascii: "+"))] = 62
        table[Int(UInt8(ascii: "/"))] = 63
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        table[Int(UInt8(ascii: "="))] = pad
        for c in [0x20, 0x09, 0x0A, 0x0D] { table[c] = space }
        return table
    }()
    private static let invalid: UInt8 = 0x80
    private static let pad: UInt8 = 0x81
    private static let space: UInt8 = 0x82
    /// Per byte: 1 for the standard alphabet's `+` and `/`, 2 for the URL-safe `-` and `_`.
    private static let alphabets: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        table[Int(UInt8(ascii: "+"))] = 1
        table[Int(UInt8(ascii: "/"))] = 1
        table[Int(UInt8(ascii: "-"))] = 2
        table[Int(UInt8(ascii: "_"))] = 2
        return table
    }()
    private static let standardAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The decoded bytes, whether the text used the URL-safe alphabet, and whether text written back in its style
    /// pads. Accepts either alphabet (not mixed), padding or none, and ASCII whitespace between characters; nil for
    /// anything else.
    static func decode(_ text: some Collection<UInt8>) -> (bytes: [UInt8], urlSafe: Bool, padded: Bool)? {
        let contiguous = text.withContiguousStorageIfAvailable { decode($0) }
        return contiguous ?? Array(text).withUnsafeBufferPointer { decode($0) }
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], urlSafe: Bool, padded: Bool)? {
        var accumulator: UInt32 = 0
        var count = 0
        var padding = 0
        var seen: UInt8 = 0
        var failed = false
        let bytes = values.withUnsafeBufferPointer { values in
            alphabets.withUnsafeBufferPointer { alphabets in
                [UInt8](unsafeUninitializedCapacity: text.count / 4 * 3 + 3) { out, written in
                    var o = 0
                    var i = 0
                    let n = text.count
                    while i < n {
                        // Four plain characters at a time: the common case, one test for all four.
                        if count == 0, i + 4 <= n {
                            let a = values[Int(text[i])]
                            let b = values[Int(text[i + 1])]
                            let c = values[Int(text[i + 2])]
                            let d = values[Int(text[i + 3])]
                            if (a | b | c | d) & 0x80 == 0 {
                                guard padding == 0 else {
                                    failed = true
                                    break
                                }
                                seen |=
                                    alphabets[Int(text[i])] | alphabets[Int(text[i + 1])]
                                    | alphabets[Int(text[i + 2])] | alphabets[Int(text[i + 3])]
                                let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                                out[o] = UInt8(truncatingIfNeeded: v >> 16)
                                out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                                out[o + 2] = UInt8(truncatingIfNeeded: v)
                                o += 3
                                i += 4
                                continue
                            }
                        }
                        let value = values[Int(text[i])]
                        i += 1
                        if value == space { continue }
                        if value == pad {
                            padding += 1
                            continue
                        }
                        // Nothing but whitespace and padding may follow padding.
                        guard value != invalid, padding == 0 else {
                            failed = true
                            break
                        }
                        seen |= alphabets[Int(text[i - 1])]
                        accumulator = accumulator << 6 | UInt32(value)
                        count += 1
                        if count == 4 {
                            out[o] = UInt8(truncatingIfNeeded: accumulator >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: accumulator)
                            o += 3
                            accumulator = 0
                            count = 0
                        }
                    }
                    if !failed {
                        switch count {
                        case 0: failed = padding != 0
                        case 2:
                            failed = padding != 0 && padding != 2
                            out[o] = UInt8(truncatingIfNeeded: accumulator >> 4)
                            o += 1
                        case 3:
                            failed = padding != 0 && padding != 1
                            out[o] = UInt8(truncatingIfNeeded: accumulator >> 10)
                            out[o + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
                            o += 2
                        default: failed = true
                        }
                    }
                    written = o
                }
            }
        }
        guard !failed, seen != 3 else { return nil }
        // Text that needed no padding does not say whether its writer pads: the standard alphabet usually does,
        // the URL-safe one usually does not.
        return (bytes, seen == 2, padding > 0 || (count == 0 && seen != 2))
    }

    static func encode(_ bytes: [UInt8], urlSafe: Bool = false, padded: Bool = true) -> [UInt8] {
        let left = bytes.count % 3
        let length = bytes.count / 3 * 4 + (left == 0 ? 0 : (padded ? 4 : left + 1))
        return (urlSafe ? urlSafeAlphabet : standardAlphabet).withUnsafeBufferPointer { alphabet in
            bytes.withUnsafeBufferPointer { input in
                [UInt8](unsafeUninitializedCapacity: length) { out, written in
                    var o = 0
                    var i = 0
                    while i + 3 <= input.count {
                        let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        out[o] = alphabet[Int(v >> 18)]
                        out[o + 1] = alphabet[Int(v >> 12 & 63)]
                        out[o + 2] = alphabet[Int(v >> 6 & 63)]
                        out[o + 3] = alphabet[Int(v & 63)]
                        o += 4
                        i += 3
                    }
                    if left > 0 {
                        let v = UInt32(input[i]) << 16 | (left == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        out[o] = alphabet[Int(v >> 18)]
                        out[o + 1] = alphabet[Int(v >> 12 & 63)]
                        o += 2
                        if left == 2 {
                            out[o] = alphabet[Int(v >> 6 & 63)]
                            o += 1
                        }
                        while padded, o < length {
                            out[o] = UInt8(ascii: "=")
                            o += 1
                        }
                    }
                    written = o
                }
            }
        }
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
