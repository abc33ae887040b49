/// A replacement of a byte range of the original body.
struct Edit {
    var range: Range<Int>
    var replacement: [UInt8]

    static func apply(_ edits: [Edit], to body: [UInt8]) -> [UInt8] {
        let sorted = edits.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var cursor = 0
        for edit in sorted {
            out += body[cursor..<edit.range.lowerBound]
            out += edit.replacement
            cursor = edit.range.upperBound
        }
        out += body[cursor...]
        return out
    }
}
