import AirlockPolicy
import AirlockScrub

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One fuzz input: its first byte picks the body's framing, provider shape and policy, the rest is the body (or,
/// for two pieces of one upload, the file: its first half is scrubbed as one piece and its second after it).
/// Every input must come back as a result or a `ScrubError`, never a crash; and a body that was redacted must
/// come back unchanged from a second scrub with the same settings (scrubbing twice equals scrubbing once).
enum ScrubFuzz {
    static let boundary = Array("fuzzboundary".utf8)
    static let paths = [
        "/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1beta/models/m:generateContent", "/",
    ]

    /// Set by the replay driver's `-v`: print both outputs when a second scrub changes a body.
    nonisolated(unsafe) static var verbose = false

    /// `AIRLOCK_FUZZ_CRASHES_ONLY=1` looks for crashes and hangs alone.
    static let checkIdempotence = getenv("AIRLOCK_FUZZ_CRASHES_ONLY").map { String(cString: $0) != "1" } ?? true

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        var body = Array(input.dropFirst())
        let kinds: [PayloadKind] = [.openai, .anthropic, .gemini, .json, .auto, .text]
        let kind = kinds[Int(selector & 0x07) % kinds.count]
        var format = BodyFormat.json
        var before: [UInt8] = []
        switch (selector >> 3) & 0x03 {
        case 1: format = .form(boundary: boundary)
        case 2: format = .uploadPiece
        case 3:
            format = .uploadPiece
            let half = Array(body.prefix(body.count / 2))
            body.removeFirst(half.count)
            let scrubber = Scrubber(policy: ScrubPolicy())
            before = (try? scrubber.scrub(half, kind: .gemini, format: format))?.fileEnd ?? []
        default: break
        }
        var policy = ScrubPolicy()
        policy.codeIncludesDataFormats = selector & 0x20 != 0
        policy.binary = selector & 0x40 != 0 ? .block : .monitor
        // A fuzzer's slow input is a finding of its own (`-timeout`); the scrubber's budget must not hide it.
        policy.timeBudget = .seconds(60)
        let path = paths[Int(selector >> 5) % paths.count]
        let scrubber = Scrubber(policy: policy)

        var usage = TokenUsage()
        usage.absorb(json: body)

        guard let first = try? scrubber.scrub(body, kind: kind, path: path, format: format, before: before) else {
            return
        }
        guard checkIdempotence, first.decision == .redacted else { return }
        guard let second = try? scrubber.scrub(first.output, kind: kind, path: path, format: format, before: before)
        else {
            fail("a redacted body could not be scrubbed again")
        }
        if second.output != first.output {
            if verbose {
                print("first:  \(String(decoding: first.output, as: UTF8.self).debugDescription)")
                print("        \(describe(first.findings))")
                print("second: \(String(decoding: second.output, as: UTF8.self).debugDescription)")
                print("        \(describe(second.findings))")
            }
            fail("scrubbing a redacted body again changed it")
        }
    }

    /// Findings as the replay driver's `-v` prints them: detector, path and offsets, never text.
    static func describe(_ findings: [ScrubFinding]) -> [String] {
        findings.map { "\($0.detector) \($0.path) \($0.start)-\($0.end)" }
    }

    static func fail(_ message: String) -> Never {
        fflush(nil)
        let line = Array("airlock-fuzz: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// Destinations as clients name them (CONNECT lines, Host headers, absolute-form URIs, request paths): every
/// input is accepted or refused, never a crash, and whatever is accepted has one canonical form.
enum NamesFuzz {
    static let allowlist: Allowlist = {
        let text = """
            version: 1
            entries:
              - host: api.openai.com
                mode: inspect
                provider: openai
                paths: [/v1/]
                methods: [POST, GET]
                purpose: chat
              - host: "*.example.com"
                ports: [443, 8443]
                mode: tunnel
                purpose: wildcard
              - host: 192.0.2.7
                mode: tunnel
                purpose: literal
              - host: bücher.example
                mode: tunnel
                purpose: idn
            """
        let parsed = AllowlistLoader.parse(text: text, file: "fuzz.yaml")
        precondition(parsed.errors.isEmpty, "the fuzz allowlist must load")
        return Allowlist(entries: parsed.entries)
    }()

    static func run(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        if let name = try? HostName(text) {
            guard (try? HostName(name.value))?.value == name.value else { ScrubFuzz.fail("a host name's form changed") }
        }
        if let address = IPAddress(parsing: text) {
            guard IPAddress(parsing: address.description) == address else {
                ScrubFuzz.fail("an address's form changed")
            }
            _ = AddressClassifier.restriction(for: address)
        }
        if let (host, port) = HostPort.split(Substring(text)) {
            for scheme in AllowlistEntry.Scheme.allCases {
                if case .allowed(let entry, _) = allowlist.match(host: host ?? "", port: port ?? 443, scheme: scheme) {
                    _ = entry.permits(method: "POST", path: text)
                }
            }
        }
        _ = RequestPath.redactedForLog(text)
        _ = RequestPath.isCanonical(text)
        _ = RequestPath.withoutQuery(text)
    }
}

/// Request heads: an optional request target on the first line (when it starts with `/`), then one `name: value`
/// header per line, after a selector byte (the destination's provider shape and whether secrets are redacted or only
/// counted). Every head is read or refused with an error, never a crash; no finding's path holds more than the
/// path's place, a parameter's or a header's name; and a head that was redacted comes back unchanged when read again.
enum HeadersFuzz {
    static func run(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        let kinds: [PayloadKind] = [.openai, .anthropic, .gemini, .json]
        let kind = kinds[Int(selector & 0x03)]
        var policy = ScrubPolicy()
        policy.secrets = selector & 0x04 != 0 ? .monitor : .redact
        var lines = String(decoding: input.dropFirst(), as: UTF8.self).split(separator: "\n")[...]
        let path = lines.first?.hasPrefix("/") == true ? String(lines.removeFirst()) : "/v1/chat/completions"
        let headers = lines.map { line -> (name: String, value: String) in
            guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        let scrubber = Scrubber(policy: policy)
        guard let first = try? scrubber.scrub(headers: headers, kind: kind, path: path) else { return }
        for finding in first.findings
        where !(finding.path == "path" || finding.path.hasPrefix("query.") || finding.path.hasPrefix("header.")) {
            ScrubFuzz.fail("a finding's path is not the request path's, a parameter's or a header's")
        }
        guard ScrubFuzz.checkIdempotence, first.target != nil || !first.headerValues.isEmpty else { return }
        var redacted = headers
        for (index, value) in first.headerValues { redacted[index].value = value }
        let second = try? scrubber.scrub(headers: redacted, kind: kind, path: first.target ?? path)
        if second.map({ $0.target != nil || !$0.headerValues.isEmpty }) ?? true {
            if ScrubFuzz.verbose {
                print("first:  \(ScrubFuzz.describe(first.findings))")
                print("second: \(second.map { ScrubFuzz.describe($0.findings).description } ?? "refused")")
            }
            ScrubFuzz.fail("reading a redacted head again changed it")
        }
    }
}

/// Allowlist files: every text loads or gets diagnostics, never a crash.
enum AllowlistFuzz {
    static func run(_ input: UnsafeRawBufferPointer) {
        _ = AllowlistLoader.parse(text: String(decoding: input, as: UTF8.self), file: "fuzz.yaml")
    }
}

/// The harness to run: `AIRLOCK_FUZZ_TARGET` (`scrub`, `headers`, `names`, `allowlist`), or for the replay driver
/// the name of the directory an input sits in.
enum FuzzTarget: String {
    case scrub, headers, names, allowlist

    static let fromEnvironment = getenv("AIRLOCK_FUZZ_TARGET").flatMap { FuzzTarget(rawValue: String(cString: $0)) }

    func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .scrub: ScrubFuzz.run(input)
        case .headers: HeadersFuzz.run(input)
        case .names: NamesFuzz.run(input)
        case .allowlist: AllowlistFuzz.run(input)
        }
    }
}

#if FUZZING
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// The package's executables start at `<module>_main`; libFuzzer's own `main` is not used, its driver is.
    @_cdecl("airlock_fuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv) { data, count in
            (FuzzTarget.fromEnvironment ?? .scrub).run(UnsafeRawBufferPointer(start: data, count: count))
            return 0
        }
    }
#else
    /// Replays inputs (files named on the command line, or every file in a directory named there) without the
    /// fuzzing engine, to debug a crash it found; each goes to the harness its directory is named after
    /// (`Fuzz/regressions/names/…`), `scrub` otherwise.
    @main
    enum ReplayMain {
        /// `path`, or the files in it (sorted) when it is a directory.
        static func files(_ path: String) -> [String] {
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) else {
                return [path]
            }
            defer { closedir(directory) }
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if !name.hasPrefix(".") { names.append(path + "/" + name) }
            }
            return names.sorted()
        }

        static func main() {
            for path in CommandLine.arguments.dropFirst().flatMap({ $0 == "-v" ? [$0] : files($0) }) {
                if path == "-v" {
                    ScrubFuzz.verbose = true
                    continue
                }
                guard let file = fopen(path, "rb") else { ScrubFuzz.fail("cannot open \(path)") }
                var bytes: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = fread(&chunk, 1, chunk.count, file)
                    if n <= 0 { break }
                    bytes += chunk[..<n]
                }
                fclose(file)
                let directory = path.split(separator: "/").dropLast().last.map(String.init) ?? ""
                let target = FuzzTarget.fromEnvironment ?? FuzzTarget(rawValue: directory) ?? .scrub
                bytes.withUnsafeBytes { target.run($0) }
                print("\(path): ok")
            }
        }
    }
#endif
