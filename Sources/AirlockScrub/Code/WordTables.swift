/// The code detector's lookup tables, built once: byte flags, and word sets keyed by words packed into integers.
/// Immutable after `init`; the flag table is a raw buffer so the per-byte loop carries no bounds checks.
final class WordTables: @unchecked Sendable {
    static let shared = WordTables()

    static let word: UInt8 = 1
    static let letter: UInt8 = 2
    static let symbol: UInt8 = 4
    static let space: UInt8 = 8
    static let operatorStart: UInt8 = 16
    static let capital: UInt8 = 32
    static let small: UInt8 = 64
    /// `_`, which joins words into a name.
    static let joiner: UInt8 = 128

    let flagTable: UnsafeBufferPointer<UInt8>
    /// Per byte, for the tail of a long line: 1 for a symbol (low 32 bits), 1 << 32 for a space or tab, and
    /// `tailRare` for `(` and the first bytes of operators.
    let tailCounts: UnsafeBufferPointer<UInt64>
    static let tailRare: UInt64 = 1 << 63
    static let tailCountMask: UInt64 = ~tailRare
    /// Per byte, for the words of a line: 1 for a small letter (low 32 bits), 1 << 32 for a capital.
    let caseCounts: UnsafeBufferPointer<UInt64>
    /// Per byte, for telling data from code: 1 for a comma, 1 << 32 for `;` and `(`.
    let dataCounts: UnsafeBufferPointer<UInt64>
    let stopwords: PackedWordSet
    let statementStarts: PackedWordSet
    let tokenLanguages: PackedWordSet
    /// Tokens longer than eight bytes, keyed by `PackedWordSet.hash` of their bytes.
    let longTokenLanguages: PackedWordSet
    /// The languages' markers except SQL's, found case-insensitively; `markerBytes` and `markerLanguages` are
    /// indexed by the automaton's keyword number.
    let markers: KeywordAutomaton
    let markerBytes: [[UInt8]]
    let markerLanguages: [Int]
    let sql: Int
    /// The index of Makefiles, which are also named by their rules' shape.
    let make: Int
    /// The index of Haskell and of Elixir, which the shapes of their lines name (`CodeDetector.vote`).
    let haskell: Int
    let elixir: Int
    /// `LanguageTables.languages`' names, by index.
    let languageNames: [String]
    var languageCount: Int { languageNames.count }

    private init() {
        var flags = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 {
            let c = UInt8(b)
            if c.isASCIIAlphanumeric || c == UInt8(ascii: "_") { flags[b] |= WordTables.word }
            if c.isASCIILetter { flags[b] |= WordTables.letter }
            if c &- 0x41 < 26 { flags[b] |= WordTables.capital }
            if c &- 0x61 < 26 { flags[b] |= WordTables.small }
            if c == UInt8(ascii: "_") { flags[b] |= WordTables.joiner }
            if c == 0x20 || c == 0x09 { flags[b] |= WordTables.space }
        }
        for c in "{}[]();=<>&|!+*/%^~$@#\\".utf8 { flags[Int(c)] |= WordTables.symbol }
        let pairs = ["==", "!=", "&&", "||", "=>", "->", "::", ":=", "+=", "++", "</", "/>", "<=", ">="]
        for p in pairs { flags[Int(p.utf8.first!)] |= WordTables.operatorStart }
        let table = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
        _ = table.initialize(from: flags)
        self.flagTable = UnsafeBufferPointer(table)
        let tail = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 256)
        tail.initialize(repeating: 0)
        for b in 0..<256 {
            var v: UInt64 = 0
            if flags[b] & WordTables.symbol != 0 { v += 1 }
            if flags[b] & WordTables.space != 0 { v += 1 << 32 }
            if flags[b] & WordTables.operatorStart != 0 || b == Int(UInt8(ascii: "(")) { v |= WordTables.tailRare }
            tail[b] = v
        }
        self.tailCounts = UnsafeBufferPointer(tail)
        let cases = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 256)
        for b in 0..<256 {
            cases[b] =
                flags[b] & WordTables.capital != 0 ? 1 << 32 : flags[b] & WordTables.small != 0 ? 1 : 0
        }
        self.caseCounts = UnsafeBufferPointer(cases)
        let data = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 256)
        data.initialize(repeating: 0)
        data[Int(UInt8(ascii: ","))] = 1
        data[Int(UInt8(ascii: ";"))] = 1 << 32
        data[Int(UInt8(ascii: "("))] = 1 << 32
        self.dataCounts = UnsafeBufferPointer(data)
        self.stopwords = PackedWordSet(LanguageTables.stopwords)
        self.statementStarts = PackedWordSet(LanguageTables.statementStarts.filter { $0.utf8.count <= 8 })
        var short: [UInt64: UInt32] = [:]
        var long: [UInt64: UInt32] = [:]
        for (word, mask) in LanguageTables.tokenLanguages {
            if word.utf8.count <= 8 {
                short[PackedWordSet.pack(word), default: 0] |= mask
            } else {
                let bytes = Array(word.utf8)
                long[bytes.withUnsafeBufferPointer { PackedWordSet.hash($0, 0..<$0.count) }, default: 0] |= mask
            }
        }
        self.tokenLanguages = PackedWordSet(values: short)
        self.longTokenLanguages = PackedWordSet(values: long)
        let sql = LanguageTables.languages.firstIndex { $0.name == "sql" } ?? -1
        self.sql = sql
        self.make = LanguageTables.languages.firstIndex { $0.name == "make" } ?? -1
        self.haskell = LanguageTables.languages.firstIndex { $0.name == "haskell" } ?? -1
        self.elixir = LanguageTables.languages.firstIndex { $0.name == "elixir" } ?? -1
        self.languageNames = LanguageTables.languages.map(\.name)
        // SQL's markers would fire inside strings of every other language, so SQL is named by its keywords alone.
        let markers = LanguageTables.markers.filter { $0.language != sql }
        self.markers = KeywordAutomaton(keywords: markers.map { String(decoding: $0.bytes, as: UTF8.self) })
        self.markerBytes = markers.map(\.bytes)
        self.markerLanguages = markers.map(\.language)
    }

    /// `==`, `!=`, `&&`, `||`, `=>`, `->`, `::`, `:=`, `+=`, `++`, `</`, `/>`, `<=`, `>=`.
    @inline(__always)
    func isOperator(_ a: UInt8, _ b: UInt8) -> Bool {
        switch (a, b) {
        case (UInt8(ascii: "="), UInt8(ascii: "=")), (UInt8(ascii: "!"), UInt8(ascii: "=")),
            (UInt8(ascii: "&"), UInt8(ascii: "&")), (UInt8(ascii: "|"), UInt8(ascii: "|")),
            (UInt8(ascii: "="), UInt8(ascii: ">")), (UInt8(ascii: "-"), UInt8(ascii: ">")),
            (UInt8(ascii: ":"), UInt8(ascii: ":")), (UInt8(ascii: ":"), UInt8(ascii: "=")),
            (UInt8(ascii: "+"), UInt8(ascii: "=")), (UInt8(ascii: "+"), UInt8(ascii: "+")),
            (UInt8(ascii: "<"), UInt8(ascii: "/")), (UInt8(ascii: "/"), UInt8(ascii: ">")),
            (UInt8(ascii: "<"), UInt8(ascii: "=")), (UInt8(ascii: ">"), UInt8(ascii: "=")):
            true
        default: false
        }
    }
}
