extension TextScanner {
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
                for match in secretScanner.scan(b) {
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

    /// The blocks of code whose lines fall in more than one of a run of neighbouring text parts, `joined` one after
    /// another (each starting at its offset in `starts`), listed for each part they fall in: a snippet sent one line
    /// per part holds no code in any part on its own. Each part is read on lines of its own, as a part that does not
    /// end a line is shown, with its secrets as they will leave. A block inside one part is left to that part's own
    /// scan, which reads it the same way. A run whose boundaries no block can cross (`CodeDetector.mayCross`: prose
    /// on one side or the other of each) is not read again, and only the lines around each boundary are scored
    /// (`CodeDetector.detect(_:markers:around:)`).
    func jointCode(_ joined: [UInt8], starts: [Int]) -> [[JointCode]] {
        var found = [[JointCode]](repeating: [], count: starts.count)
        let ends = Array(starts.dropFirst()) + [joined.count]
        var text: [UInt8] = []
        text.reserveCapacity(joined.count + starts.count)
        var at: [Range<Int>] = []  // where each part is in `text`
        for k in starts.indices {
            let start = text.count
            text += joined[starts[k]..<ends[k]]
            at.append(start..<text.count)
            if k + 1 < starts.count, text.last != 0x0A { text.append(0x0A) }
        }
        let detector = codeDetector
        text.withUnsafeBufferPointer { b in
            guard detector.mayCross(b, boundaries: at.dropFirst().map(\.lowerBound)) else { return }
            var markers: [KeywordAutomaton.Hit] = []
            var placeholders: [Range<Int>] = []
            var commandLines = false
            let matches = secretScanner.scan(
                b, markers: &markers, placeholders: &placeholders, commandLines: &commandLines)
            let secrets =
                policy.secrets == .redact
                ? Span.merged(
                    matches.map {
                        Span(range: $0.range, placeholder: "[REDACTED:secret:\(secretScanner.rules[$0.rule].id):1]")
                    }) : []
            let regions = TextScanner.asItLeaves(
                b, secrets: secrets, earlier: placeholders, markers: secretScanner.findsMarkers ? markers : nil,
                fitted: false, offsets: at.dropFirst().map(\.lowerBound)
            ) { detector.detect($0, markers: $1, around: $2) }
            for region in regions {
                var shares: [(part: Int, range: Range<Int>)] = []
                // The first part that ends after the block starts.
                var low = 0
                var high = at.count
                while low < high {
                    let mid = (low + high) / 2
                    if at[mid].upperBound <= region.range.lowerBound { low = mid + 1 } else { high = mid }
                }
                for k in low..<at.count {
                    guard at[k].lowerBound < region.range.upperBound else { break }
                    guard at[k].overlaps(region.range) else { continue }
                    let share =
                        max(region.range.lowerBound, at[k].lowerBound)..<min(region.range.upperBound, at[k].upperBound)
                    if b[share].contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A }) {
                        shares.append((k, share.lowerBound - at[k].lowerBound..<share.upperBound - at[k].lowerBound))
                    }
                }
                guard shares.count > 1 else { continue }
                let bytes = Array(b[region.range])
                for (n, share) in shares.enumerated() {
                    found[share.part].append(
                        JointCode(
                            range: share.range, language: region.language, lines: region.lines, text: bytes,
                            reportedBefore: n > 0))
                }
            }
        }
        return found
    }

    /// The secrets found when a run of neighbouring text parts, `joined` one after another (each starting at its
    /// offset in `starts`), is read as the one text the provider reads, listed for each part they fall in. Only the
    /// text within `PieceJoint.reach` bytes of a boundary is read again, each stretch once, so a run costs at most
    /// one more scan of its text however many parts it has; a match that touches an end of a stretch where that end
    /// cuts the text is left to the parts' own scans. Each part's scrub keeps what its own scan did not find
    /// (`scrubText(_:joint:)`): a secret across a boundary, and one inside the part that only the text before it
    /// gives away (an assignment whose name ended the previous part).
    func jointFindings(_ joined: [UInt8], starts: [Int]) -> [[JointFinding]] {
        let ends = Array(starts.dropFirst()) + [joined.count]
        var stretches: [Range<Int>] = []
        for boundary in starts.dropFirst() {
            let stretch = max(0, boundary - PieceJoint.reach)..<min(joined.count, boundary + PieceJoint.reach)
            if let last = stretches.last, last.upperBound >= stretch.lowerBound {
                stretches[stretches.count - 1] = last.lowerBound..<max(last.upperBound, stretch.upperBound)
            } else {
                stretches.append(stretch)
            }
        }
        var found = [[JointFinding]](repeating: [], count: starts.count)
        joined.withUnsafeBufferPointer { all in
            for stretch in stretches {
                for match in secretScanner.scan(UnsafeBufferPointer(rebasing: all[stretch])) {
                    let range =
                        match.range.lowerBound + stretch.lowerBound..<match.range.upperBound + stretch.lowerBound
                    if (stretch.lowerBound > 0 && range.lowerBound == stretch.lowerBound)
                        || (stretch.upperBound < all.count && range.upperBound == stretch.upperBound)
                    {
                        continue
                    }
                    // The part the secret starts in: the last one that starts at or before it.
                    var low = 0
                    var high = starts.count
                    while high - low > 1 {
                        let mid = (low + high) / 2
                        if starts[mid] <= range.lowerBound { low = mid } else { high = mid }
                    }
                    let text = Array(all[range])
                    var k = low
                    while k < starts.count, starts[k] < range.upperBound {
                        let inPart = max(range.lowerBound, starts[k])..<min(range.upperBound, ends[k])
                        if !inPart.isEmpty {
                            found[k].append(
                                JointFinding(
                                    match: match, text: text,
                                    range: inPart.lowerBound - starts[k]..<inPart.upperBound - starts[k],
                                    reportedBefore: k != low))
                        }
                        k += 1
                    }
                }
            }
        }
        return found
    }

    /// The spans of `joint` (a part's `jointFindings`, the secrets it shares with its neighbours) that the part's
    /// own scan did not cover, reported unless the scan found one where they are or an earlier part reports them.
    func sharedSpans(
        _ joint: [JointFinding], redacted: [Span], own: [Range<Int>], path: () -> String, session: Session
    ) -> [Span] {
        var added: [Span] = []
        for finding in joint {
            let range = finding.range
            if (redacted + added).contains(where: {
                $0.range.lowerBound <= range.lowerBound && range.upperBound <= $0.range.upperBound
            }) {
                continue
            }
            let known = finding.reportedBefore || own.contains { $0.overlaps(range) }
            let span = finding.text.withUnsafeBufferPointer {
                found(finding.match, $0[...], at: range, path: path(), report: !known, session: session)
            }
            if let span { added.append(span) }
        }
        return added
    }
}
