extension TextScanner {
    private static let secretPlaceholder = Array("[REDACTED:secret:".utf8)

    private static let cutPlaceholder = Array("[REDACTED]".utf8)

    /// Whether the code detector reads the placeholder at `range` as a plain word: a secret's, or one cut to fit
    /// (`[REDACTED]`, in upload pieces) inside a line. A cut one that starts a line may stand for a removed block,
    /// which parts the lines around it (`CodeDetector`), so it is left as it is.
    static func readsAsWord(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if Bytes.equal(text, range.lowerBound, secretPlaceholder) { return true }
        guard range.count == cutPlaceholder.count, Bytes.equal(text, range.lowerBound, cutPlaceholder) else {
            return false
        }
        return !startsLine(text, range.lowerBound)
    }

    /// Whether only blanks come before `offset` on its line.
    static func startsLine(_ text: UnsafeBufferPointer<UInt8>, _ offset: Int) -> Bool {
        var i = offset
        while i > 0, text[i - 1] == 0x20 || text[i - 1] == 0x09 { i -= 1 }
        return i == 0 || text[i - 1] == 0x0A
    }

    /// The secrets a second pass would find in `text` with `secrets` (merged, in order) replaced as `Span.apply` (or,
    /// `fitted`, `Span.fitted`) writes them, mapped back to `text`; one that takes in part of a placeholder takes in
    /// the whole secret it replaced.
    static func foundAsItLeaves(
        _ text: UnsafeBufferPointer<UInt8>, secrets: [Span], fitted: Bool, _ scanner: SecretScanner
    ) -> [SecretMatch] {
        let out = fitted ? Span.fitted(secrets, to: Array(text)) : Span.apply(secrets, to: Array(text))
        let found = out.withUnsafeBufferPointer { scanner.scan($0) }
        guard !fitted else { return found }
        // Where each placeholder sits in `out`, and how far the text after it moved.
        var moved: [(from: Range<Int>, to: Range<Int>)] = []
        var shift = 0
        for span in secrets {
            let start = span.range.lowerBound + shift
            let length = span.placeholder.utf8.count
            moved.append((span.range, start..<start + length))
            shift += length - span.range.count
        }
        func original(_ offset: Int, upper: Bool) -> Int {
            var shift = 0
            for (from, to) in moved {
                if offset <= to.lowerBound { break }
                if offset < to.upperBound { return upper ? from.upperBound : from.lowerBound }
                shift = from.upperBound - to.upperBound
            }
            return offset + shift
        }
        return found.map {
            let lower = original($0.range.lowerBound, upper: false)
            return SecretMatch(rule: $0.rule, range: lower..<original($0.range.upperBound, upper: true))
        }
    }

    /// Runs `detect` on `text` as a second pass would read the output: each of `secrets` (merged, in order) replaced
    /// by its placeholder as `Span.apply` (or, `fitted`, `Span.fitted`) writes it, and every placeholder, new or
    /// from an earlier pass, that `readsAsWord` written as one plain word of the same length, as the detector saw
    /// the secret it replaced (a placeholder's brackets and colons would make a line look more like code). The
    /// regions found are mapped back to `text`; one that starts or ends at a placeholder takes in the whole secret.
    /// Text with nothing to replace is not copied. `offsets` in `text` are passed on to `detect` where they land in
    /// the text it reads (one inside a secret, where its placeholder starts).
    static func asItLeaves(
        _ text: UnsafeBufferPointer<UInt8>, secrets: [Span], earlier: [Range<Int>],
        markers: [KeywordAutomaton.Hit]?, fitted: Bool, offsets: [Int] = [],
        _ detect: (UnsafeBufferPointer<UInt8>, [KeywordAutomaton.Hit]?, [Int]) -> [CodeRegion]
    ) -> [CodeRegion] {
        if secrets.isEmpty, !earlier.contains(where: { readsAsWord(text, $0) }) {
            return detect(text, markers, offsets)
        }
        let x = UInt8(ascii: "x")
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        /// Writes `replacement` at the end of `out`, or a plain word in its place where `readsAsWord` says so.
        func write(_ replacement: some Collection<UInt8>, maskable: Int) {
            let start = out.count
            out += replacement
            let masked = out.withUnsafeBufferPointer { readsAsWord($0, start..<start + maskable) }
            if masked { out.replaceSubrange(start..<start + maskable, with: repeatElement(x, count: maskable)) }
        }
        // Placeholders already in `text`, and for each secret, where its replacement sits in `out`.
        let earlier = earlier.sorted { $0.lowerBound < $1.lowerBound }
        var nextEarlier = 0
        var moved: [(from: Range<Int>, to: Range<Int>)] = []
        var cursor = 0
        func copy(upTo end: Int) {
            while nextEarlier < earlier.count, earlier[nextEarlier].upperBound <= end {
                let range = earlier[nextEarlier]
                nextEarlier += 1
                guard range.lowerBound >= cursor else { continue }
                out += text[cursor..<range.lowerBound]
                write(text[range], maskable: range.count)
                cursor = range.upperBound
            }
            out += text[cursor..<end]
            cursor = end
        }
        for span in secrets {
            copy(upTo: span.range.lowerBound)
            let start = out.count
            let placeholder = span.placeholder.utf8
            if fitted {
                let replacement = Span.fitted(
                    [Span(range: 0..<span.range.count, placeholder: span.placeholder)], to: Array(text[span.range]))
                write(
                    replacement,
                    maskable: min(
                        placeholder.count <= span.range.count ? placeholder.count : cutPlaceholder.count,
                        replacement.count))
            } else {
                write(placeholder, maskable: placeholder.count)
            }
            moved.append((span.range, start..<out.count))
            cursor = span.range.upperBound
        }
        copy(upTo: text.count)

        /// `offset` in `out`, back in `text`, for offsets that never decrease from one call to the next (regions
        /// come in order and do not overlap). Regions are whole lines, so they start and end outside a replacement
        /// or at its edges, except inside the padding of a fitted one, which has the secret's length.
        var passed = 0
        var shiftBack = 0
        func original(_ offset: Int) -> Int {
            while passed < moved.count, moved[passed].to.upperBound <= offset {
                shiftBack = moved[passed].from.upperBound - moved[passed].to.upperBound
                passed += 1
            }
            if passed < moved.count, offset > moved[passed].to.lowerBound {
                let (from, to) = moved[passed]
                return from.lowerBound + min(offset - to.lowerBound, from.count)
            }
            return offset + shiftBack
        }
        // The language markers found in `text`, moved with the text around them; those that end inside a secret
        // are gone with it. (The detector checks each marker's bytes where it lands.)
        let shifted = markers.map { markers in
            var kept: [KeywordAutomaton.Hit] = []
            kept.reserveCapacity(markers.count)
            var next = 0
            var shift = 0
            for hit in markers {
                let end = Int(hit.end)
                while next < moved.count, moved[next].from.upperBound < end {
                    shift = moved[next].to.upperBound - moved[next].from.upperBound
                    next += 1
                }
                if next < moved.count, end > moved[next].from.lowerBound { continue }
                kept.append(KeywordAutomaton.Hit(keyword: hit.keyword, end: Int32(end + shift)))
            }
            return kept
        }
        let landed = offsets.map { offset in
            var shift = 0
            for (from, to) in moved {
                if offset < from.upperBound { return offset > from.lowerBound ? to.lowerBound : offset + shift }
                shift = to.upperBound - from.upperBound
            }
            return offset + shift
        }
        let regions = out.withUnsafeBufferPointer { detect($0, shifted, landed) }.sorted {
            $0.range.lowerBound < $1.range.lowerBound
        }
        return regions.map { region in
            var region = region
            let lower = original(region.range.lowerBound)
            region.range = lower..<max(lower, original(region.range.upperBound))
            return region
        }
    }
}
