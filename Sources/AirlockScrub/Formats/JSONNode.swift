/// A parsed JSON value that remembers where each part sits in the original bytes,
/// so that a rewrite can replace single strings and leave every other byte as it was.
package indirect enum JSONNode: Sendable {
    case object([JSONMember], range: Range<Int>)
    case array([JSONNode], range: Range<Int>)
    /// `range` covers the quotes; `escaped` says whether the raw text differs from the decoded text.
    case string(range: Range<Int>, escaped: Bool)
    /// Numbers, `true`, `false` and `null`.
    case scalar(range: Range<Int>)

    package var range: Range<Int> {
        switch self {
        case .object(_, let r), .array(_, let r), .string(let r, _), .scalar(let r): r
        }
    }

    package subscript(key: String) -> JSONNode? {
        guard case .object(let members, _) = self else { return nil }
        return members.last { $0.key == key }?.value
    }
}

/// One `"key": value` pair of an object.
package struct JSONMember: Sendable {
    package var key: String
    /// Where the key's opening quote is.
    package var keyStart: Int
    package var value: JSONNode
}
