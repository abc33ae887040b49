/// A span of text to replace with a placeholder. Overlapping spans merge; the longest names the placeholder.
struct Span {
    var range: Range<Int>
    var placeholder: String

    /// In order, overlaps merged.
    static func merged(_ spans: [Span]) -> [Span] {
        guard spans.count > 1 else { return spans }
        let sorted = spans.sorted {
            $0.range.lowerBound != $1.range.lowerBound
                ? $0.range.lowerBound < $1.range.lowerBound : $0.range.count > $1.range.count
        }
        var merged: [Span] = []
        var longest: [Int] = []
        for span in sorted {
            if let last = merged.last, span.range.lowerBound < last.range.upperBound {
                let union = last.range.lowerBound..<max(last.range.upperBound, span.range.upperBound)
                var m = last
                if span.range.count > longest[longest.count - 1] {
                    m.placeholder = span.placeholder
                    longest[longest.count - 1] = span.range.count
                }
                m.range = union
                merged[merged.count - 1] = m
            } else {
                merged.append(span)
                longest.append(span.range.count)
            }
        }
        return merged
    }

    /// `text` with each of `spans` replaced by its placeholder fitted to the span's length: followed by spaces
    /// (line breaks kept) when the span is longer, or cut to `[REDACTED]` (or asterisks) when it is shorter.
    static func fitted(_ spans: [Span], to text: [UInt8]) -> [UInt8] {
        var out = text
        for span in spans {
            let length = span.range.count
            var placeholder = Array(span.placeholder.utf8)
            if placeholder.count > length {
                placeholder = length >= 10 ? Array("[REDACTED]".utf8) : [UInt8](repeating: 0x2A, count: length)
            }
            for (k, i) in span.range.enumerated() {
                out[i] = k < placeholder.count ? placeholder[k] : (text[i] == 0x0A || text[i] == 0x0D ? text[i] : 0x20)
            }
        }
        return out
    }

    /// `text` with each of `spans` (as `merged` returns them) replaced by its placeholder.
    static func apply(_ spans: [Span], to text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var cursor = 0
        for span in spans {
            out += text[cursor..<span.range.lowerBound]
            out += Array(span.placeholder.utf8)
            cursor = span.range.upperBound
        }
        out += text[cursor...]
        return out
    }
}
