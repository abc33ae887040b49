/// `airlock scan` output: the documented JSON shape and a terminal summary. Neither holds matched text,
/// except `output` when the action is `monitor` (the payload is then unchanged by definition).
package enum ScanReport {
    /// `{"decision": …, "output": …, "findings": [...]}` on one line. `output` is the rewritten JSON, or a string
    /// for text and for a form (its bytes read as UTF-8; bytes of binary parts that are not show as U+FFFD).
    package static func json(_ result: ScrubResult, kind: PayloadKind, format: BodyFormat = .json) -> String {
        var out: [UInt8] = Array("{\"decision\":".utf8)
        JSONStrings.encode(Array(result.decision.rawValue.utf8), into: &out)
        out += Array(",\"output\":".utf8)
        if result.decision == .blocked {
            out += Array("null".utf8)
        } else if kind == .text || format != .json {
            JSONStrings.encode(Array(String(decoding: result.output, as: UTF8.self).utf8), into: &out)
        } else {
            out += result.output
        }
        out += Array(",\"findings\":[".utf8)
        for (i, f) in result.findings.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("{\"category\":".utf8)
            JSONStrings.encode(Array(f.category.rawValue.utf8), into: &out)
            out += Array(",\"detector\":".utf8)
            JSONStrings.encode(Array(f.detector.utf8), into: &out)
            out += Array(",\"path\":".utf8)
            JSONStrings.encode(Array(f.path.utf8), into: &out)
            out += Array(",\"start\":\(f.start),\"end\":\(f.end),\"action\":".utf8)
            JSONStrings.encode(Array(f.action.rawValue.utf8), into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    package static func json(_ error: ScrubError) -> String {
        var out: [UInt8] = Array("{\"decision\":\"error\",\"error\":{\"code\":".utf8)
        JSONStrings.encode(Array(error.code.rawValue.utf8), into: &out)
        out += Array(",\"message\":".utf8)
        JSONStrings.encode(Array(error.message.utf8), into: &out)
        out += Array("}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// One line per finding, then the decision.
    package static func text(_ result: ScrubResult, label: String? = nil) -> String {
        var lines: [String] = []
        let where_ = label.map { "\($0): " } ?? ""
        for f in result.findings {
            let span = f.category == .minimisation || f.category == .binary ? "" : " bytes \(f.start)-\(f.end)"
            lines.append("\(where_)\(f.category.rawValue) \(f.detector) at \(f.path)\(span) (\(f.action.rawValue))")
        }
        var summary = "\(where_)\(result.decision.rawValue): \(result.findings.count) finding"
        if result.findings.count != 1 { summary += "s" }
        if result.binaryParts > 0 { summary += ", \(result.binaryParts) binary part(s) left alone" }
        lines.append(summary)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Decodes one `--jsonl` line of a text payload: a JSON string.
    package static func decodeTextLine(_ line: [UInt8]) throws(ScrubError) -> [UInt8] {
        try line.withUnsafeBufferPointer { b throws(ScrubError) in
            guard let node = try? JSONParser.parse(b, maxDepth: 1), case .string(let r, let e) = node else {
                throw ScrubError(code: .invalidJSON, message: "with --provider text each line must be a JSON string")
            }
            return JSONStrings.decode(b, r, escaped: e)
        }
    }
}
