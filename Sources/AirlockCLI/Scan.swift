import AirlockScrub
import ArgumentParser
import Foundation

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan a payload for secrets and source code offline, with the proxy's engine.",
        discussion: """
            Reads FILE (or standard input) as one request body, or one payload per line with --jsonl, and prints \
            the decision, the rewritten payload and the findings. Matched text is never printed, except inside \
            `output` when the action is monitor.
            Exit status: 0 nothing found, 1 findings, 2 error.
            """
    )

    enum Provider: String, ExpressibleByArgument, CaseIterable { case auto, openai, anthropic, gemini, text }
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "Payload shape: auto, openai, anthropic, gemini or text.")
    var provider: Provider = .auto

    @Option(help: "text or json.")
    var format: Format = .text

    @Flag(help: "One payload per input line (with --provider text, each line is a JSON string).")
    var jsonl = false

    @Option(help: "Action for secrets: redact, block or monitor.")
    var secrets: ScrubAction = .redact

    @Option(help: "Action for source code: redact, block or monitor.")
    var code: ScrubAction = .redact

    @Option(help: "Binary parts (base64 images, audio, PDFs): monitor (count them) or block.")
    var binary: ScrubAction = .monitor

    @Option(help: "Request path the payload is sent to, e.g. /v1/responses (selects the operation's rules).")
    var endpoint: String = ""

    @Option(
        help: ArgumentHelp(
            "The body's Content-Type, as the client sent it.",
            discussion: "multipart/form-data with its boundary reads FILE as a form upload, part by part."))
    var contentType: String?

    @Flag(help: "Treat JSON, YAML and CSV blocks as code.")
    var includeDataFormats = false

    @Flag(help: "Print the secret rule catalogue (id and description) as a Markdown table and exit.")
    var listRules = false

    @Argument(help: "Input file; - or nothing reads standard input.")
    var file: String?

    func run() throws {
        if listRules {
            FileHandle.standardOutput.write(Data(SecretCatalogue.markdownTable().utf8))
            return
        }
        let input: Data
        do {
            input =
                try (file == nil || file == "-")
                ? FileHandle.standardInput.readToEnd() ?? Data()
                : Data(contentsOf: URL(fileURLWithPath: file!))
        } catch {
            FileHandle.standardError.write(Data("airlock scan: cannot read \(file ?? "standard input")\n".utf8))
            throw ExitCode(2)
        }
        var policy = ScrubPolicy()
        policy.secrets = secrets
        policy.code = code
        guard binary != .redact else {
            FileHandle.standardError.write(Data("airlock scan: --binary must be monitor or block\n".utf8))
            throw ExitCode(2)
        }
        policy.binary = binary
        policy.codeIncludesDataFormats = includeDataFormats
        let scrubber = Scrubber(policy: policy)
        let kind: PayloadKind =
            switch provider {
            case .auto: .auto
            case .openai: .openai
            case .anthropic: .anthropic
            case .gemini: .gemini
            case .text: .text
            }

        var bodyFormat = BodyFormat.json
        if let contentType {
            let boundary: [UInt8]?
            do throws(ScrubError) {
                boundary = try Multipart.boundary(ofContentType: contentType)
            } catch {
                FileHandle.standardError.write(Data("airlock scan: --content-type: \(error.message)\n".utf8))
                throw ExitCode(2)
            }
            guard let boundary, !jsonl, kind != .text else {
                FileHandle.standardError.write(
                    Data(
                        "airlock scan: --content-type takes a multipart/form-data type (JSON is the default), without --jsonl or --provider text\n"
                            .utf8))
                throw ExitCode(2)
            }
            bodyFormat = .form(boundary: boundary)
        }
        let payloads: [[UInt8]] =
            jsonl
            ? input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
            : [Array(input)]
        var sawFindings = false
        var sawError = false
        var out = ""
        for (index, raw) in payloads.enumerated() {
            if jsonl, raw.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                if index == payloads.count - 1 { continue }
            }
            let label = jsonl ? "line \(index + 1)" : nil
            do {
                let payload = jsonl && kind == .text ? try ScanReport.decodeTextLine(raw) : raw
                let result = try scrubber.scrub(payload, kind: kind, path: endpoint, format: bodyFormat)
                if !result.findings.isEmpty { sawFindings = true }
                out +=
                    format == .json
                    ? ScanReport.json(result, kind: kind, format: bodyFormat) + "\n"
                    : ScanReport.text(result, label: label)
            } catch {
                sawError = true
                out +=
                    format == .json
                    ? ScanReport.json(error) + "\n" : "\(label.map { "\($0): " } ?? "")error: \(error.message)\n"
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        if sawError { throw ExitCode(2) }
        if sawFindings { throw ExitCode(1) }
    }
}

extension ScrubAction: ExpressibleByArgument {}
