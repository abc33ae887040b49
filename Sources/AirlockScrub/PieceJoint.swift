/// Secrets that straddle two pieces of one upload (Gemini's resumable uploads, OpenAI's upload parts).
///
/// Each piece is scanned on its own, so a token, key or assignment cut in two by a piece boundary would be seen as
/// two halves that no rule recognises. The proxy keeps the end of the file as the client sent it, up to `reach`
/// bytes, and the next piece of the same upload is read once more with that end in front of its own start. A
/// secret found there that reaches into the piece has its part in the piece redacted (or the piece blocked, as the
/// policy says). The part in the earlier piece has already left; on its own it matched no rule, and the rest of it
/// never leaves.
package enum PieceJoint {
    /// How many bytes of the file's end are kept, and how many of the next piece's start are read with them: more
    /// than the longest secret a rule matches whole (an 8192-bit RSA key in PEM is about 6.3 KB).
    package static let reach = 8192

    /// The last `reach` bytes of `before` followed by `piece`: what the next piece is read with.
    package static func end(of before: [UInt8], then piece: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard piece.count < reach else { return Array(piece.suffix(reach)) }
        return Array(before.suffix(reach - piece.count)) + Array(piece)
    }
}

extension Scrubber {
    /// Spans of `piece` (relative to it) that belong to a secret found only when the piece is read after `before`:
    /// one that begins in `before` and runs into the piece, or one in the piece that only `before` gives away (an
    /// assignment whose name ended the earlier piece). The piece is read as it will leave, with `redacted` (merged)
    /// fitted in, and again with what this finds, until nothing new turns up, as a second pass would read it. Where
    /// the piece's own scan found a secret (`own`, its matches' ranges), nothing is reported again, though a secret
    /// that began in `before` still widens the span, as a longer one in the piece does; a match that touches the end
    /// of what was read, when that end cuts the piece, is left to the piece's own scan.
    func jointSpans(
        _ piece: UnsafeBufferPointer<UInt8>, before: [UInt8], redacted: [Span], own: [Range<Int>],
        path: () -> String, session: Session
    ) -> [Span] {
        guard !before.isEmpty, !piece.isEmpty else { return [] }
        let tail = Array(before.suffix(PieceJoint.reach))
        let reach = min(piece.count, PieceJoint.reach)
        let cut = reach < piece.count
        var covered = redacted
        var added: [Span] = []
        for _ in 0..<4 {
            let inReach = covered.compactMap { span -> Span? in
                span.range.lowerBound < reach
                    ? Span(
                        range: span.range.lowerBound..<min(span.range.upperBound, reach), placeholder: span.placeholder)
                    : nil
            }
            let joint = tail + Span.fitted(inReach, to: Array(piece.prefix(reach)))
            var newlyFound = false
            joint.withUnsafeBufferPointer { b in
                for match in secretsScanner.scan(b) {
                    guard match.range.upperBound > tail.count, !(cut && match.range.upperBound == b.count) else {
                        continue
                    }
                    let inPiece = max(0, match.range.lowerBound - tail.count)..<(match.range.upperBound - tail.count)
                    if covered.contains(where: {
                        $0.range.lowerBound <= inPiece.lowerBound && inPiece.upperBound <= $0.range.upperBound
                    }) {
                        continue
                    }
                    // Found by the piece's own scan already: the same range, or, for a secret that began before
                    // the piece, whatever the scan saw of its rest.
                    let straddles = match.range.lowerBound < tail.count
                    let known = own.contains {
                        straddles
                            ? $0.overlaps(inPiece)
                            : $0.lowerBound <= inPiece.lowerBound && inPiece.upperBound <= $0.upperBound
                    }
                    newlyFound = true
                    if let span = found(
                        match, b[match.range], at: inPiece, path: path(), report: !known, session: session)
                    {
                        added.append(span)
                        covered.append(span)
                    }
                }
            }
            guard newlyFound, policy.secrets == .redact else { break }
            covered = Span.merged(covered)
        }
        return added
    }
}
