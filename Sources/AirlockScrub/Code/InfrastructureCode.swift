import Foundation

/// Infrastructure as code among lines of text: Kubernetes manifests, docker-compose files, GitHub Actions and
/// GitLab CI workflows, Ansible playbooks, Helm templates and Dockerfiles. Their YAML or instructions score like data
/// line by line, but they are code whose lines a deployment runs, so they are found by their documents' shapes: the
/// top-level keys each tool requires, or Dockerfile instructions from a `FROM`.
enum InfrastructureCode {
    /// The blocks of infrastructure code among `lines`, in order; each names its tool.
    static func blocks(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>) -> [CodeRegion] {
        guard let first = lines.first, let last = lines.last, mayHold(b, first.lowerBound..<last.upperBound) else {
            return []
        }
        var regions: [CodeRegion] = []
        var index = lines.startIndex
        while index < lines.endIndex {
            if let (region, next) = yamlDocument(b, lines, at: index) ?? dockerfile(b, lines, at: index) {
                if let region { regions.append(region) }
                index = next
            } else {
                index += 1
            }
        }
        return regions
    }

    /// Words one of which every document this finds has, looked for before any line is read.
    private static let markers: [[UInt8]] = ["apiVersion", "services:", "jobs:", "stages:", "hosts:", "FROM "].map {
        Array($0.utf8)
    }

    /// The first bytes of `markers`.
    private static let markerStarts = ByteClass([], "asjhF")

    /// Whether a line in `range` starts with one of `markers` (after indentation, or a list's `- `): one pass over
    /// the line starts.
    static func mayHold(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let (markers, markerStarts) = (Self.markers, Self.markerStarts)
        var i = range.lowerBound
        while i < range.upperBound {
            while i < range.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            if i + 1 < range.upperBound, b[i] == UInt8(ascii: "-"), b[i + 1] == 0x20 { i += 2 }
            if i < range.upperBound, markerStarts.contains(b[i]),
                markers.contains(where: { $0[0] == b[i] && Bytes.equal(b, i, $0) })
            {
                return true
            }
            guard let base = b.baseAddress, i < range.upperBound,
                let newline = memchr(base + i, 0x0A, range.upperBound - i)
            else { return false }
            i = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return false
    }

    // MARK: YAML documents

    /// A run of YAML lines from `lines[index]` (`key: value`, `- item`, comments, and lines indented under them,
    /// blank lines inside), and the index after it; the region when its top-level keys name a tool.
    private static func yamlDocument(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>, at index: Int)
        -> (CodeRegion?, Int)?
    {
        guard let first = yamlLine(b, lines[index]), !first.comment else { return nil }
        let base = first.indent
        var last = index
        var keys: [Range<Int>] = []
        var nested: [Range<Int>] = []
        var templated = false
        var i = index
        while i < lines.endIndex {
            let line = lines[i]
            if Bytes.isBlank(b, line) {
                i += 1
                continue
            }
            let indent = Bytes.indentation(b, line)
            if let shape = yamlLine(b, line), indent >= base {
                if !shape.comment, let key = shape.key {
                    if indent == base { keys.append(key) } else { nested.append(key) }
                }
            } else if indent <= base {
                break
            }
            if Bytes.find(b, "{{", from: line.lowerBound, limit: line.upperBound) != nil { templated = true }
            last = i
            i += 1
        }
        let next = last + 1
        let written = lines[index...last].filter { !Bytes.isBlank(b, $0) }.count
        guard written >= 3 else { return (nil, next) }
        func has(_ name: StaticString, in list: [Range<Int>]) -> Bool {
            list.contains { $0.count == name.utf8CodeUnitCount && Bytes.equal(b, $0.lowerBound, name) }
        }
        let tool: String?
        if has("apiVersion", in: keys), has("kind", in: keys) {
            tool = templated ? "helm" : "kubernetes"
        } else if has("jobs", in: keys), has("on", in: keys) || has("\"on\"", in: keys) || has("runs-on", in: nested) {
            tool = "github-actions"
        } else if has("services", in: keys), has("image", in: nested) || has("build", in: nested) {
            tool = "docker-compose"
        } else if has("stages", in: keys) || (has("script", in: nested) && has("stage", in: nested)) {
            tool = "gitlab-ci"
        } else if has("hosts", in: keys) && (has("tasks", in: keys + nested) || has("roles", in: keys + nested)) {
            tool = "ansible"
        } else {
            tool = nil
        }
        guard let tool else { return (nil, next) }
        let range = lines[index].lowerBound..<lines[last].upperBound
        return (CodeRegion(range: range, language: tool, lines: last - index + 1, kind: .unfenced), next)
    }

    private struct YAMLLine {
        var indent: Int
        /// The key of a `key:` line (also after a list's `- `), if it has one.
        var key: Range<Int>?
        var comment: Bool
    }

    /// The bytes a YAML key may have: letters, digits and `_-./`, or a quoted key.
    private static let keyBytes = ByteClass.alnum.union("_-./\"'")

    private static func yamlLine(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> YAMLLine? {
        var i = line.lowerBound
        while i < line.upperBound, b[i] == 0x20 { i += 1 }
        guard i < line.upperBound else { return nil }
        let indent = i - line.lowerBound
        if b[i] == UInt8(ascii: "#") { return YAMLLine(indent: indent, key: nil, comment: true) }
        var listItem = false
        if b[i] == UInt8(ascii: "-"), i + 1 == line.upperBound || b[i + 1] == 0x20 {
            listItem = true
            i += 1
            while i < line.upperBound, b[i] == 0x20 { i += 1 }
            if i == line.upperBound { return YAMLLine(indent: indent, key: nil, comment: false) }
        }
        let start = i
        while i < line.upperBound, keyBytes.contains(b[i]) { i += 1 }
        let isKey =
            i > start && i < line.upperBound && b[i] == UInt8(ascii: ":")
            && (i + 1 == line.upperBound || b[i + 1] == 0x20 || b[i + 1] == 0x0D)
        if isKey { return YAMLLine(indent: indent, key: start..<i, comment: false) }
        return listItem ? YAMLLine(indent: indent, key: nil, comment: false) : nil
    }

    // MARK: Dockerfiles

    private static let instructions: [[UInt8]] = [
        "FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "EXPOSE", "CMD", "ENTRYPOINT", "USER", "LABEL",
        "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD",
    ].map { Array($0.utf8) }

    /// A Dockerfile from a `FROM` line at `lines[index]`: instructions, comments, lines continued with `\`, and
    /// heredocs (`RUN <<EOF` … `EOF`), with two instructions or more.
    private static func dockerfile(_ b: UnsafeBufferPointer<UInt8>, _ lines: ArraySlice<Range<Int>>, at index: Int)
        -> (CodeRegion?, Int)?
    {
        guard instruction(b, lines[index]) == 0 else { return nil }
        var last = index
        var count = 0
        var continued = false
        var heredoc: [UInt8]?
        var i = index
        while i < lines.endIndex {
            let line = lines[i]
            var end = line.upperBound
            while end > line.lowerBound, b[end - 1] == 0x20 || b[end - 1] == 0x0D { end -= 1 }
            if let marker = heredoc {
                if end - line.lowerBound == marker.count, Bytes.equal(b, line.lowerBound, marker) { heredoc = nil }
            } else if continued || Bytes.isBlank(b, line) || Bytes.equal(b, line.lowerBound, "#") {
                // a continuation, a blank line or a comment
            } else if instruction(b, line) != nil {
                count += 1
                heredoc = heredocMarker(b, line.lowerBound..<end)
            } else {
                break
            }
            if !Bytes.isBlank(b, line) { last = i }
            continued = heredoc == nil && end > line.lowerBound && b[end - 1] == UInt8(ascii: "\\")
            i += 1
        }
        let next = last + 1
        guard count >= 2 else { return (nil, next) }
        let range = lines[index].lowerBound..<lines[last].upperBound
        return (CodeRegion(range: range, language: "dockerfile", lines: last - index + 1, kind: .unfenced), next)
    }

    /// The index in `instructions` of the instruction that starts `line` (in capitals, then a blank).
    private static func instruction(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int? {
        guard line.count > 3, b[line.lowerBound] &- 0x41 < 26, b[line.lowerBound + 1] &- 0x41 < 26 else { return nil }
        return instructions.firstIndex { word in
            line.count > word.count && Bytes.equal(b, line.lowerBound, word) && b[line.lowerBound + word.count] == 0x20
        }
    }

    /// The word that ends the heredoc a line opens (`RUN <<EOF`, `RUN <<-'EOT' bash`), if it opens one.
    private static func heredocMarker(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> [UInt8]? {
        guard let open = Bytes.find(b, "<<", from: line.lowerBound, limit: line.upperBound) else { return nil }
        var i = open + 2
        if i < line.upperBound, b[i] == UInt8(ascii: "-") { i += 1 }
        if i < line.upperBound, b[i] == UInt8(ascii: "'") || b[i] == UInt8(ascii: "\"") { i += 1 }
        let start = i
        while i < line.upperBound, ByteClass.identifier.contains(b[i]) { i += 1 }
        return i > start ? Array(b[start..<i]) : nil
    }

    // MARK: Lines

}
