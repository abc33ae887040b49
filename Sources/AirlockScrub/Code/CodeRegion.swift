/// A block of source code found in text.
package struct CodeRegion: Sendable, Equatable {
    package enum Kind: String, Sendable { case fenced, diff, unfenced, whole }
    /// Bytes of the block in the scanned text (whole lines, without the final line break).
    package var range: Range<Int>
    package var language: String
    package var lines: Int
    package var kind: Kind
}
