import Foundation
import Testing

@testable import AirlockScrub

/// `multipart/form-data` uploads: every part is read for what it is, redactions keep the body's framing, and a
/// body that another parser could split differently is refused.
@Suite struct MultipartTests {
    static let token = EncodedPartTests.token
    static let boundary = "----airlock-test-7d1f"

    /// A part as a client writes it: its Content-Disposition parameters, an optional type, and its content.
    struct Field {
        var name: String
        var filename: String?
        var type: String?
        var content: [UInt8]

        init(_ name: String, filename: String? = nil, type: String? = nil, _ content: String) {
            self.init(name, filename: filename, type: type, bytes: Array(content.utf8))
        }

        init(_ name: String, filename: String? = nil, type: String? = nil, bytes: [UInt8]) {
            self.name = name
            self.filename = filename
            self.type = type
            self.content = bytes
        }
    }

    static func form(_ fields: [Field], boundary: String = boundary) -> [UInt8] {
        var out: [UInt8] = []
        for field in fields {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field.name)\""
            if let filename = field.filename { head += "; filename=\"\(filename)\"" }
            head += "\r\n"
            if let type = field.type { head += "Content-Type: \(type)\r\n" }
            out += Array((head + "\r\n").utf8) + field.content + Array("\r\n".utf8)
        }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    /// The parts of a body as (name, content), read back the way an upstream would.
    static func read(_ body: [UInt8], boundary: String = boundary) throws -> [(String?, String)] {
        try body.withUnsafeBufferPointer { b in
            try Multipart.parts(b, boundary: Array(boundary.utf8)).map { part in
                (
                    part.name.map { String(decoding: b[$0], as: UTF8.self) },
                    String(decoding: b[part.content], as: UTF8.self)
                )
            }
        }
    }

    static func scrub(
        _ body: [UInt8], policy: ScrubPolicy = ScrubPolicy(), boundary: String = boundary
    ) throws(ScrubError) -> ScrubResult {
        try Scrubber(policy: policy).scrub(
            body, kind: .openai, path: "/v1/files", format: .form(boundary: Array(boundary.utf8)))
    }

    static func error(_ body: [UInt8], boundary: String = boundary) -> ScrubError? {
        do {
            _ = try scrub(body, boundary: boundary)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Content-Type

    @Test func boundaryIsReadFromTheContentType() throws {
        #expect(try Multipart.boundary(ofContentType: "multipart/form-data; boundary=abc123") == Array("abc123".utf8))
        #expect(
            try Multipart.boundary(ofContentType: "Multipart/Form-Data;boundary=\"a b:c\"; charset=utf-8")
                == Array("a b:c".utf8))
        #expect(try Multipart.boundary(ofContentType: "application/json") == nil)
        #expect(try Multipart.boundary(ofContentType: "multipart/related; boundary=x") == nil)
        for bad in [
            "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=a; boundary=b",
            "multipart/form-data; boundary=" + String(repeating: "x", count: 71),
            "multipart/form-data; boundary=\"a\\\"b\"", "multipart/form-data; boundary=\"ends \"",
        ] {
            #expect(throws: ScrubError.self, "\(bad)") { try Multipart.boundary(ofContentType: bad) }
        }
    }

    // MARK: Parsing

    @Test func partsAreReadWithTheirNamesTypesAndContent() throws {
        let body = Self.form([
            Field("purpose", "batch"),
            Field("file", filename: "in.jsonl", type: "application/jsonl", "{}\n"),
            Field("empty", ""),
        ])
        let parts = try body.withUnsafeBufferPointer { try Multipart.parts($0, boundary: Array(Self.boundary.utf8)) }
        #expect(parts.count == 3)
        #expect(parts[1].contentType == "application/jsonl")
        #expect(parts[1].filename.map { String(decoding: body[$0], as: UTF8.self) } == "in.jsonl")
        #expect(try Self.read(body).map(\.1) == ["batch", "{}\n", ""])
        // A closing delimiter without a final line break, and a form without parts, are whole bodies too.
        #expect(try Self.read(Array(body.dropLast(2))).count == 3)
        #expect(try Self.read(Array("--\(Self.boundary)--".utf8)).isEmpty)
    }

    @Test func bodiesThatAnotherParserCouldSplitDifferentlyAreRefused() {
        let b = Self.boundary
        let good = "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--\(b)--\r\n"
        #expect(Self.error(Array(good.utf8)) == nil)
        let bad: [(String, String)] = [
            ("preamble", "preamble\r\n" + good),
            ("epilogue", good + "trailing"),
            ("no closing delimiter", "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello"),
            (
                "LF-only delimiter inside a part",
                "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhi\n--\(b)\nContent-Disposition: "
                    + "form-data; name=\"b\"\n\nhidden\r\n--\(b)--\r\n"
            ),
            (
                "boundary as a prefix",
                "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--\(b)X\r\n\r\n--\(b)--\r\n"
            ),
            ("no Content-Disposition", "--\(b)\r\nContent-Type: text/plain\r\n\r\nhello\r\n--\(b)--\r\n"),
            ("not form-data", "--\(b)\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--\(b)--\r\n"),
            (
                "two Content-Types",
                "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: image/png\r\n"
                    + "Content-Type: text/plain\r\n\r\nx\r\n--\(b)--\r\n"
            ),
            (
                "two names",
                "--\(b)\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--\(b)--\r\n"
            ),
            (
                "base64 transfer encoding",
                "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                    + "aGk=\r\n--\(b)--\r\n"
            ),
            (
                "folded header",
                "--\(b)\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nx\r\n--\(b)--\r\n"
            ),
            (
                "a parameter named twice",
                "--\(b)\r\nContent-Disposition: form-data; name=\"a\"; hunter2canary=1; hunter2canary=2\r\n\r\nx\r\n"
                    + "--\(b)--\r\n"
            ),
            ("unclosed quote", "--\(b)\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--\(b)--\r\n"),
            ("headers never end", "--\(b)\r\nContent-Disposition: form-data; name=\"a\"\r\n--\(b)--\r\n"),
            ("no delimiter at all", "just text"),
        ]
        for (what, body) in bad {
            let error = Self.error(Array(body.utf8))
            #expect(error?.code == .invalidMultipart, "\(what)")
            for text in ["hidden", "hello", "hunter2canary"] {
                #expect(error?.message.contains(text) == false, "\(what)")
            }
        }
    }

    /// Bodies assembled at random from the pieces a form is made of: each is refused or read, never a crash, and
    /// what is read has parts inside the body.
    @Test func randomFormsAreReadOrRefusedWithoutTrapping() {
        let b = "bd"
        let pieces = [
            "--\(b)", "\r\n", "--", "\r", "\n", "x", ":", "\"", ";", " ", "Content-Disposition: form-data; name=\"a\"",
            "Content-Type: text/plain", "filename=\"f.py\"", "\r\n\r\n", "--\(b)--", "\\",
        ].map { Array($0.utf8) }
        var state: UInt64 = 99
        var read = 0
        for _ in 0..<20_000 {
            var body: [UInt8] = []
            let count = Int(state >> 60) + 1
            for _ in 0..<count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                body += pieces[Int(state >> 33) % pieces.count]
            }
            if let result = try? Self.scrub(body, boundary: b) {
                read += 1
                #expect(result.output == body || result.changed)
            }
        }
        #expect(read > 0)
    }

    @Test func delimiterSearchFindsOverlappingOccurrences() {
        let body = Array("x------ab----ab".utf8)
        let found = body.withUnsafeBufferPointer { Multipart.occurrences(of: Array("---ab".utf8), in: $0) }
        #expect(found == [4, 10])
        let all = body.withUnsafeBufferPointer { Multipart.occurrences(of: Array("--".utf8), in: $0) }
        #expect(all == [1, 2, 3, 4, 5, 9, 10, 11])
    }

    // MARK: Scrubbing

    @Test func fieldsAndTextFilesAreScannedAndRedactedInPlace() throws {
        let env = EncodedPartTests.envFile
        let body = Self.form([
            Field("model", "whisper-1"),
            Field("prompt", "Transcribe; my token is \(Self.token)."),
            Field("file", filename: "settings.env", type: "text/plain", env),
        ])
        let result = try Self.scrub(body)
        #expect(result.decision == .redacted)
        #expect(result.requestModel == "whisper-1")
        #expect(result.findings.map(\.path) == ["$.prompt", "$.file"])
        let out = try Self.read(result.output)
        #expect(out.map(\.0) == ["model", "prompt", "file"])
        #expect(out[0].1 == "whisper-1")
        #expect(out[1].1 == "Transcribe; my token is [REDACTED:secret:github-pat:1].")
        #expect(out[2].1.contains("GITHUB_TOKEN=[REDACTED:secret:github-pat:1]\nREGION=eu-west-1"))
        #expect(!String(decoding: result.output, as: UTF8.self).contains(Self.token))
        // The rest of the body is byte for byte what the client sent, and scrubbing again changes nothing.
        #expect(result.output.count == body.count - 2 * Self.token.count + 2 * "[REDACTED:secret:github-pat:1]".count)
        #expect(try Self.scrub(result.output).output == result.output)
    }

    /// A field is read with its name, as a JSON member is with its key; a file's name is not an assignment.
    @Test func aFieldIsReadWithItsName() throws {
        let password = "Tr0ub4dor&3x-Q"
        let result = try Self.scrub(
            Self.form([
                Field("model", "whisper-1"), Field("db_password", password),
                Field("password", filename: "notes.txt", type: "text/plain", "password"),
            ]))
        #expect(result.findings.map(\.detector) == ["password-assignment"])
        #expect(result.findings.map(\.path) == ["$.db_password"])
        let out = try Self.read(result.output)
        #expect(out[1].1 == "[REDACTED:secret:password-assignment:1]")
        #expect(out[2].1 == "password")
    }

    @Test func jsonLinesFilesAreWalkedLineByLine() throws {
        // An OpenAI batch input file: each line a request whose body holds the prompt, with a JSON escape inside
        // the token that a text scan of the raw line would not see through.
        let escaped = Self.token.replacingOccurrences(of: "ghp_", with: "gh\\u0070_")
        let lines = [
            #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"key \#(escaped)"}]}}"#,
            "",
            #"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}}"#,
        ]
        let file = lines.joined(separator: "\n") + "\n"
        let body = Self.form([
            Field("purpose", "batch"), Field("file", filename: "batch.jsonl", type: "application/octet-stream", file),
        ])
        let result = try Self.scrub(body)
        #expect(result.findings.map(\.path) == ["$.file[0].body.messages[0].content"])
        let out = try Self.read(result.output)[1].1
        let outLines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(outLines.count == 4)
        #expect(outLines[0].contains("key [REDACTED:secret:github-pat:1]"))
        #expect(String(outLines[2]) == lines[2])
        for line in outLines where !line.isEmpty {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }

    @Test func sourceFilesAreCodeByTypeOrName() throws {
        let python = EncodedPartTests.pythonFile
        for (filename, type) in [("discount.py", "application/octet-stream"), ("notes", "text/x-python")] {
            let result = try Self.scrub(Self.form([Field("file", filename: filename, type: type, python)]))
            #expect(result.findings.map(\.detector) == ["code-python"], "\(filename)")
            #expect(try Self.read(result.output)[0].1 == "[REDACTED:code:python:6-lines:1]")
        }
        // A plain note is text, with nothing to find in this one.
        let prose = try Self.scrub(Self.form([Field("file", filename: "notes.txt", type: "text/plain", "Hello")]))
        #expect(prose.findings.isEmpty && !prose.changed)
    }

    @Test func binaryFilesAreCountedOrBlocked() throws {
        let png = EncodedPartTests.pngBytes
        let wav: [UInt8] = Array("RIFF".utf8) + [0x24, 0x08, 0, 0] + Array("WAVEfmt ".utf8) + [16, 0, 0, 0, 1, 0]
        let body = Self.form([
            Field("image", filename: "a.png", type: "image/png", bytes: png),
            Field("file", filename: "speech.wav", type: "application/octet-stream", bytes: wav),
            Field("prompt", "make it blue"),
        ])
        let monitored = try Self.scrub(body)
        #expect(monitored.decision == .allowed && !monitored.changed)
        #expect(monitored.unreadParts == ["binary-image", "binary-file"])
        var policy = ScrubPolicy()
        policy.binary = .block
        let blocked = try Self.scrub(body, policy: policy)
        #expect(blocked.decision == .blocked)
        #expect(
            blocked.findings.map { "\($0.detector) at \($0.path)" } == [
                "binary-image at $.image", "binary-file at $.file",
            ])
    }

    @Test func partsOfAnUploadKeepTheirLength() throws {
        // OpenAI's Uploads API: the file's length was declared when the upload was created, and a part may end
        // inside a character.
        let text = Array("notes: token \(Self.token) and café".utf8).dropLast()
        let body = Self.form([Field("data", filename: "blob", type: "application/octet-stream", bytes: Array(text))])
        let result = try Scrubber(policy: ScrubPolicy()).scrub(
            body, kind: .openai, path: "/v1/uploads/upload_abc123/parts",
            format: .form(boundary: Array(Self.boundary.utf8)))
        #expect(result.decision == .redacted && result.output.count == body.count)
        let part = try #require(try Self.read(result.output).first).1
        #expect(
            part.hasPrefix(
                "notes: token [REDACTED:secret:github-pat:1]" + String(repeating: " ", count: 10) + " and caf"))
        // The same form anywhere else is a whole file: the cut character makes it binary.
        #expect(try Self.scrub(body).unreadParts == ["binary-file"])
    }

    @Test func declaredTextThatIsNotUTF8IsRefused() {
        let body = Self.form([Field("file", filename: "a.txt", type: "text/plain", bytes: [0x68, 0xFF, 0x69])])
        #expect(Self.error(body)?.code == .invalidUTF8)
    }

    @Test func parameterValuesAreScannedForSecrets() throws {
        let b = Self.boundary
        let body = Array(
            ("--\(b)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(Self.token).txt\"\r\n\r\nhi\r\n"
                + "--\(b)\r\nContent-Disposition: form-data; name=note; x=\(Self.token)\r\n\r\nhi\r\n--\(b)--\r\n").utf8
        )
        let result = try Self.scrub(body)
        let text = String(decoding: result.output, as: UTF8.self)
        #expect(!text.contains(Self.token))
        #expect(text.contains("filename=\"[REDACTED:secret:github-pat:1].txt\""))
        // An unquoted value is quoted, since a placeholder is not a token.
        #expect(text.contains("x=\"[REDACTED:secret:github-pat:1]\""))
        #expect(try Self.read(result.output).map(\.1) == ["hi", "hi"])
    }

    @Test func jsonNestedTooDeeplyIsRefusedNotReadAsText() {
        var policy = ScrubPolicy()
        policy.maxDepth = 4
        let body = Self.form([Field("file", filename: "a.json", type: "application/json", "[[[[[[1]]]]]]")])
        #expect(throws: ScrubError(code: .nestingTooDeep, message: "the JSON at $.file is nested too deeply")) {
            try Self.scrub(body, policy: policy)
        }
    }
}
