/// A set of words of up to eight bytes, packed big-endian into integers; open addressing, no hashing of strings.
struct PackedWordSet: @unchecked Sendable {
    /// Allocated once per table for the life of the process (the tables are singletons); never mutated after init.
    private let slots: UnsafeMutableBufferPointer<UInt64>
    private let mask: Int

    static func pack(_ word: String) -> UInt64 { word.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }

    /// A key for a word too long to pack: its fingerprint, never 0. Two words that share a key are told apart by
    /// nothing, which for a language guess is harmless.
    static func hash(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        Word.fingerprint(UnsafeBufferPointer(rebasing: b[range])) | 1
    }

    /// Values stored beside the keys (a map); all ones for a plain set.
    private let values: UnsafeMutableBufferPointer<UInt32>

    init(_ words: some Sequence<String>) {
        self.init(
            values: Dictionary(words.map { (PackedWordSet.pack($0), UInt32.max) }, uniquingKeysWith: { a, _ in a }))
    }

    /// A small set gets a table of eight or more slots per word and a hash multiplier, picked from a fixed
    /// sequence, under which every word has a slot of its own: a lookup is then one load and one comparison, with
    /// no branch on what it finds. A set for which none is found is probed.
    init(values map: [UInt64: UInt32]) {
        var size = 64
        while size < map.count * 4 { size *= 2 }
        var multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var direct = false
        if map.count <= 256 {
            var wide = size
            while wide < map.count * 8 { wide *= 2 }
            var candidate = multiplier
            search: for _ in 0..<1024 {
                if Set(map.keys.map { PackedWordSet.slot($0, wide - 1, candidate) }).count == map.count {
                    (size, multiplier, direct) = (wide, candidate, true)
                    break search
                }
                candidate = candidate &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 | 1
            }
        }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0)
        values = .allocate(capacity: size)
        values.initialize(repeating: 0)
        mask = size - 1
        self.multiplier = multiplier
        self.direct = direct
        for (p, v) in map {
            var i = PackedWordSet.slot(p, mask, multiplier)
            while slots[i] != 0 && slots[i] != p { i = (i + 1) & mask }
            slots[i] = p
            values[i] = v
        }
    }

    private let multiplier: UInt64
    /// Whether every word sits in the slot its hash names.
    let direct: Bool

    /// The value for a packed word, or 0.
    @inline(__always)
    func value(_ p: UInt64) -> UInt32 {
        var i = PackedWordSet.slot(p, mask, multiplier)
        if direct { return slots[i] == p && p != 0 ? values[i] : 0 }
        guard p != 0 else { return 0 }
        while true {
            let v = slots[i]
            if v == p { return values[i] }
            if v == 0 { return 0 }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private static func slot(_ p: UInt64, _ mask: Int, _ multiplier: UInt64) -> Int {
        Int(truncatingIfNeeded: (p &* multiplier) >> 40) & mask
    }

    @inline(__always)
    func contains(_ p: UInt64) -> Bool {
        var i = PackedWordSet.slot(p, mask, multiplier)
        if direct { return slots[i] == p && p != 0 }
        guard p != 0 else { return false }
        while true {
            let v = slots[i]
            if v == p { return true }
            if v == 0 { return false }
            i = (i + 1) & mask
        }
    }
}
