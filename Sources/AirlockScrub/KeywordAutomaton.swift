/// Aho-Corasick over ASCII-case-folded bytes, compiled to a dense DFA over byte classes:
/// one table lookup per input byte finds every keyword occurrence in a single pass.
package struct KeywordAutomaton: Sendable {
    /// Byte → class; bytes that occur in no keyword share class 0.
    private let classOf: [UInt8]
    private let classCount: Int
    /// `offset + class` → the next state's offset (`state * classCount`); the top bit marks states that end a keyword.
    /// States are numbered breadth first, so the shallow states that prose keeps returning to share cache lines.
    private let transitions: [UInt32]
    private let outputStart: [Int32]
    private let outputs: [Int32]
    package let keywordLengths: [Int]
    /// One less than the longest keyword: two scans that overlap by this much miss nothing at their seam.
    private let overlap: Int

    private static let outputFlag: UInt32 = 0x8000_0000

    /// One keyword occurrence: which keyword, and the index just past its last byte.
    package struct Hit: Sendable, Equatable {
        package var keyword: Int32
        package var end: Int32
    }

    package init(keywords: [String]) {
        let folded = keywords.map { Array($0.utf8).map(\.lowercasedASCII) }
        keywordLengths = folded.map(\.count)
        overlap = (keywordLengths.max() ?? 1) - 1

        var classOf = [UInt8](repeating: 0, count: 256)
        var next: UInt8 = 1
        for keyword in folded {
            for byte in keyword where classOf[Int(byte)] == 0 {
                classOf[Int(byte)] = next
                if byte &- 0x61 < 26 { classOf[Int(byte - 0x20)] = next }
                next += 1
            }
        }
        let classCount = Int(next)

        // Trie.
        var children: [[Int]] = [[Int](repeating: -1, count: classCount)]
        var terminal: [[Int32]] = [[]]
        for (k, keyword) in folded.enumerated() {
            var state = 0
            for byte in keyword {
                let c = Int(classOf[Int(byte)])
                if children[state][c] < 0 {
                    children[state][c] = children.count
                    children.append([Int](repeating: -1, count: classCount))
                    terminal.append([])
                }
                state = children[state][c]
            }
            terminal[state].append(Int32(k))
        }

        // Failure links in breadth-first order, folded into a complete transition table.
        var fail = [Int](repeating: 0, count: children.count)
        var delta = [Int](repeating: 0, count: children.count * classCount)
        var queue: [Int] = []
        for c in 0..<classCount {
            let child = children[0][c]
            if child >= 0 {
                delta[c] = child
                queue.append(child)
            }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            terminal[state] += terminal[fail[state]].filter { !terminal[state].contains($0) }
            for c in 0..<classCount {
                let child = children[state][c]
                if child >= 0 {
                    fail[child] = delta[fail[state] * classCount + c]
                    delta[state * classCount + c] = child
                    queue.append(child)
                } else {
                    delta[state * classCount + c] = delta[fail[state] * classCount + c]
                }
            }
        }
        // Renumber breadth first (root first); outputs already include those of the failure chain,
        // because BFS order merged fail[state] before state.
        let order = [0] + queue
        var newID = [Int](repeating: 0, count: children.count)
        for (id, state) in order.enumerated() { newID[state] = id }
        var outputStart: [Int32] = []
        var outputs: [Int32] = []
        var table = [UInt32](repeating: 0, count: order.count * classCount)
        for (id, state) in order.enumerated() {
            outputStart.append(Int32(outputs.count))
            outputs += terminal[state]
            for c in 0..<classCount {
                let target = delta[state * classCount + c]
                table[id * classCount + c] =
                    UInt32(newID[target] * classCount) | (terminal[target].isEmpty ? 0 : KeywordAutomaton.outputFlag)
            }
        }
        outputStart.append(Int32(outputs.count))
        self.transitions = table
        self.classOf = classOf
        self.classCount = classCount
        self.outputStart = outputStart
        self.outputs = outputs
    }

    /// Every occurrence of every keyword in `bytes`, in order of their end positions.
    /// Long inputs are scanned as four quarters in one interleaved loop: the four chains of table lookups are
    /// independent, so the CPU overlaps their memory latency. Each quarter after the first starts `overlap`
    /// bytes early, so a keyword across a seam is found, and records only hits that end inside its quarter.
    package func scan(_ bytes: UnsafeBufferPointer<UInt8>, into hits: inout [Hit]) {
        let overlap = overlap
        let quarter = bytes.count / 4
        guard quarter > 4 * overlap + 64 else {
            _ = scanRange(bytes, 0..<bytes.count, from: 0, recordingFrom: 0, into: &hits)
            return
        }
        var lane1: [Hit] = []
        var lane2: [Hit] = []
        var lane3: [Hit] = []
        let width = classCount
        let (s1, s2, s3): (Int, Int, Int) = classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { delta in
                var s0 = 0
                var s1 = 0
                var s2 = 0
                var s3 = 0
                let b1 = quarter - overlap
                let b2 = 2 * quarter - overlap
                let b3 = 3 * quarter - overlap
                for k in 0..<quarter {
                    let n0 = delta[s0 &+ Int(classOf[Int(bytes[k])])]
                    let n1 = delta[s1 &+ Int(classOf[Int(bytes[b1 &+ k])])]
                    let n2 = delta[s2 &+ Int(classOf[Int(bytes[b2 &+ k])])]
                    let n3 = delta[s3 &+ Int(classOf[Int(bytes[b3 &+ k])])]
                    s0 = Int(n0 & ~KeywordAutomaton.outputFlag)
                    s1 = Int(n1 & ~KeywordAutomaton.outputFlag)
                    s2 = Int(n2 & ~KeywordAutomaton.outputFlag)
                    s3 = Int(n3 & ~KeywordAutomaton.outputFlag)
                    if (n0 | n1 | n2 | n3) & KeywordAutomaton.outputFlag != 0 {
                        if n0 & KeywordAutomaton.outputFlag != 0 { record(s0 / width, end: k + 1, into: &hits) }
                        if n1 & KeywordAutomaton.outputFlag != 0, b1 + k + 1 > quarter {
                            record(s1 / width, end: b1 + k + 1, into: &lane1)
                        }
                        if n2 & KeywordAutomaton.outputFlag != 0, b2 + k + 1 > 2 * quarter {
                            record(s2 / width, end: b2 + k + 1, into: &lane2)
                        }
                        if n3 & KeywordAutomaton.outputFlag != 0, b3 + k + 1 > 3 * quarter {
                            record(s3 / width, end: b3 + k + 1, into: &lane3)
                        }
                    }
                }
                return (s1, s2, s3)
            }
        }
        // Lanes 1 to 3 started `overlap` bytes early; each finishes its own quarter (the last, the rest).
        _ = scanRange(bytes, 2 * quarter - overlap..<2 * quarter, from: s1, recordingFrom: quarter, into: &lane1)
        _ = scanRange(bytes, 3 * quarter - overlap..<3 * quarter, from: s2, recordingFrom: 2 * quarter, into: &lane2)
        _ = scanRange(bytes, 4 * quarter - overlap..<bytes.count, from: s3, recordingFrom: 3 * quarter, into: &lane3)
        hits += lane1
        hits += lane2
        hits += lane3
    }

    @inline(__always)
    private func record(_ state: Int, end: Int, into hits: inout [Hit]) {
        for o in Int(outputStart[state])..<Int(outputStart[state + 1]) {
            hits.append(Hit(keyword: outputs[o], end: Int32(end)))
        }
    }

    /// Scans `range` starting in state `offset`; returns the state it ends in.
    private func scanRange(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, from offset: Int, recordingFrom: Int,
        into hits: inout [Hit]
    ) -> Int {
        classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { delta in
                let width = classCount
                var offset = offset
                for i in range {
                    let next = delta[offset &+ Int(classOf[Int(bytes[i])])]
                    offset = Int(next & ~KeywordAutomaton.outputFlag)
                    if next & KeywordAutomaton.outputFlag != 0, i + 1 > recordingFrom {
                        record(offset / width, end: i + 1, into: &hits)
                    }
                }
                return offset
            }
        }
    }
}
