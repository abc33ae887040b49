/// A secret found where neighbouring text parts are read as one text, as it falls in one of the parts.
struct JointFinding {
    var match: SecretMatch
    /// The secret's bytes, all of it (placeholders are numbered by them).
    var text: [UInt8]
    /// The secret's bytes in this part.
    var range: Range<Int>
    /// Whether an earlier part reports it: a secret is reported once, with the part it starts in.
    var reportedBefore: Bool
}
