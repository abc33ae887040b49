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

    private static let outputFlag: UInt32 = 0x8000_0000

    /// One keyword occurrence: which keyword, and the index just past its last byte.
    package struct Hit: Sendable, Equatable {
        package var keyword: Int32
        package var end: Int32
    }

    package init(keywords: [String]) {
        let folded = keywords.map { Array($0.utf8).map(\.lowercasedASCII) }
        keywordLengths = folded.map(\.count)

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

    /// The longest keyword; two scans that overlap by this much miss nothing at their seam.
    private var overlap: Int { (keywordLengths.max() ?? 1) - 1 }

    /// Every occurrence of every keyword in `bytes`, in order of their end positions.
    /// Long inputs are scanned as two halves in one interleaved loop: the two chains of table lookups are
    /// independent, so the CPU overlaps their memory latency.
    package func scan(_ bytes: UnsafeBufferPointer<UInt8>, into hits: inout [Hit]) {
        let half = bytes.count / 2
        guard half > 4 * overlap + 64 else {
            scanRange(bytes, 0..<bytes.count, recordingFrom: 0, into: &hits)
            return
        }
        var second: [Hit] = []
        classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { delta in
                let width = classCount
                var a = 0
                var b = 0
                let secondStart = half - overlap
                let count = bytes.count - secondStart
                for k in 0..<count {
                    if k < half {
                        let next = delta[a &+ Int(classOf[Int(bytes[k])])]
                        a = Int(next & ~KeywordAutomaton.outputFlag)
                        if next & KeywordAutomaton.outputFlag != 0 { record(a / width, end: k + 1, into: &hits) }
                    }
                    let j = secondStart + k
                    let next = delta[b &+ Int(classOf[Int(bytes[j])])]
                    b = Int(next & ~KeywordAutomaton.outputFlag)
                    if next & KeywordAutomaton.outputFlag != 0, j + 1 > half {
                        record(b / width, end: j + 1, into: &second)
                    }
                }
            }
        }
        hits += second
    }

    @inline(__always)
    private func record(_ state: Int, end: Int, into hits: inout [Hit]) {
        for o in Int(outputStart[state])..<Int(outputStart[state + 1]) {
            hits.append(Hit(keyword: outputs[o], end: Int32(end)))
        }
    }

    private func scanRange(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, recordingFrom: Int, into hits: inout [Hit]
    ) {
        classOf.withUnsafeBufferPointer { classOf in
            transitions.withUnsafeBufferPointer { delta in
                let width = classCount
                var offset = 0
                for i in range {
                    let next = delta[offset &+ Int(classOf[Int(bytes[i])])]
                    offset = Int(next & ~KeywordAutomaton.outputFlag)
                    if next & KeywordAutomaton.outputFlag != 0, i + 1 > recordingFrom {
                        record(offset / width, end: i + 1, into: &hits)
                    }
                }
            }
        }
    }
}
