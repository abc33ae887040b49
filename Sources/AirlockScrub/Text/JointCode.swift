/// Code whose lines a run of neighbouring text parts shares, as it falls in one of the parts.
struct JointCode {
    /// The block's lines in this part.
    var range: Range<Int>
    var language: String
    /// The block's lines, in all the parts.
    var lines: Int
    /// The block's bytes, all of it (placeholders are numbered by them).
    var text: [UInt8]
    /// Whether an earlier part reports it: a block is reported once, with the part it starts in.
    var reportedBefore: Bool
}
