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
    /// The inner loops only step the automaton and stop at the first state that ends a keyword; hits are recorded
    /// outside them, so the states stay in registers rather than being saved around each call.
    package func scan(_ bytes: UnsafeBufferPointer<UInt8>, into hits: inout [Hit]) {
        let overlap = overlap
        let quarter = bytes.count / 4
        guard quarter > 4 * overlap + 64, let base = bytes.baseAddress else {
            _ = scanRange(bytes, 0..<bytes.count, from: 0, recordingFrom: 0, into: &hits)
            return
        }
        var lane1: [Hit] = []
        var lane2: [Hit] = []
        var lane3: [Hit] = []
        let width = classCount
        let flag = KeywordAutomaton.outputFlag
        let b1 = quarter - overlap
        let b2 = 2 * quarter - overlap
        let b3 = 3 * quarter - overlap
        let (t1, t2, t3): (UInt32, UInt32, UInt32) = classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { delta in
                let classes = classOf.baseAddress!
                let table = delta.baseAddress!
                let p1 = base + b1
                let p2 = base + b2
                let p3 = base + b3
                var t0: UInt32 = 0
                var t1: UInt32 = 0
                var t2: UInt32 = 0
                var t3: UInt32 = 0
                var k = 0
                while k < quarter {
                    repeat {
                        t0 = table[Int(t0 & ~flag) &+ Int(classes[Int(base[k])])]
                        t1 = table[Int(t1 & ~flag) &+ Int(classes[Int(p1[k])])]
                        t2 = table[Int(t2 & ~flag) &+ Int(classes[Int(p2[k])])]
                        t3 = table[Int(t3 & ~flag) &+ Int(classes[Int(p3[k])])]
                        k &+= 1
                    } while k < quarter && (t0 | t1 | t2 | t3) & flag == 0
                    if t0 & flag != 0 { record(Int(t0 & ~flag) / width, end: k, into: &hits) }
                    if t1 & flag != 0, b1 &+ k > quarter { record(Int(t1 & ~flag) / width, end: b1 &+ k, into: &lane1) }
                    if t2 & flag != 0, b2 &+ k > 2 &* quarter {
                        record(Int(t2 & ~flag) / width, end: b2 &+ k, into: &lane2)
                    }
                    if t3 & flag != 0, b3 &+ k > 3 &* quarter {
                        record(Int(t3 & ~flag) / width, end: b3 &+ k, into: &lane3)
                    }
                }
                return (t1, t2, t3)
            }
        }
        // Lanes 1 to 3 started `overlap` bytes early; each finishes its own quarter (the last, the rest).
        let s1 = Int(t1 & ~flag)
        let s2 = Int(t2 & ~flag)
        let s3 = Int(t3 & ~flag)
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
        guard !range.isEmpty, let base = bytes.baseAddress else { return offset }
        return classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { delta in
                let classes = classOf.baseAddress!
                let table = delta.baseAddress!
                let width = classCount
                let flag = KeywordAutomaton.outputFlag
                let end = range.upperBound
                var t = UInt32(offset)
                var i = range.lowerBound
                while i < end {
                    repeat {
                        t = table[Int(t & ~flag) &+ Int(classes[Int(base[i])])]
                        i &+= 1
                    } while i < end && t & flag == 0
                    if t & flag != 0, i > recordingFrom { record(Int(t & ~flag) / width, end: i, into: &hits) }
                }
                return Int(t & ~flag)
            }
        }
    }
}
