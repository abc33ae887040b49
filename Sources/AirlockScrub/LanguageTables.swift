/// Keyword tables for the 25 languages the code detector names, and the start-of-statement words
/// that make a line look like code in any of them.
enum LanguageTables {
    static let languages: [(name: String, tokens: [String], markers: [String])] = [
        (
            "python",
            [
                "def", "elif", "self", "None", "True", "False", "lambda", "__init__", "__name__", "nonlocal", "except",
                "kwargs", "isinstance", "print", "import", "from", "pass", "raise",
            ], ["def ", "):", "self.", "elif ", " is None", " in range("]
        ),
        (
            "javascript",
            [
                "function", "const", "let", "var", "console", "document", "window", "require", "module", "exports",
                "undefined", "prototype", "async", "await",
            ], ["=>", "===", "!==", "console.", "});"]
        ),
        (
            "typescript",
            [
                "interface", "readonly", "keyof", "unknown", "boolean", "number", "string", "implements", "type",
                "const", "let", "export",
            ], [": string", ": number", ": boolean", "=>"]
        ),
        (
            "java",
            [
                "public", "private", "protected", "static", "void", "class", "extends", "final", "String", "System",
                "println", "throws", "Override", "ArrayList", "HashMap", "Integer", "new",
            ], ["System.out", "@Override", "public static void", "import java.", "import javax."]
        ),
        (
            "c",
            [
                "include", "define", "printf", "malloc", "free", "sizeof", "struct", "typedef", "int", "char",
                "unsigned", "NULL",
                "void", "stdio", "stdlib", "uint8_t", "size_t",
            ], ["#include", "->", "printf("]
        ),
        (
            "cpp",
            [
                "std", "cout", "cin", "endl", "namespace", "template", "typename", "vector", "nullptr", "auto",
                "unique_ptr", "shared_ptr", "include",
            ], ["std::", "#include", "::", " << "]
        ),
        (
            "csharp",
            [
                "using", "namespace", "public", "static", "void", "var", "string", "Console", "WriteLine", "Task",
                "get", "set", "readonly", "List", "IEnumerable",
            ], ["Console.", "{ get;", "using System"]
        ),
        (
            "go",
            [
                "func", "package", "fmt", "Println", "err", "nil", "defer", "chan", "struct", "interface", "make",
                "range", "Errorf", "Sprintf",
            ], [":=", "fmt.", "if err != nil", "func ("]
        ),
        (
            "rust",
            [
                "fn", "let", "mut", "impl", "pub", "use", "mod", "struct", "enum", "match", "Some", "None", "Ok", "Err",
                "Result", "Option", "Vec", "unwrap", "crate",
            ], ["println!", "&self", "->", "::", "let mut"]
        ),
        (
            "swift",
            [
                "func", "let", "var", "guard", "import", "struct", "extension", "protocol", "self", "nil", "print",
                "Foundation", "UIKit", "SwiftUI", "some", "init",
            ], ["guard let", "func ", "@State", "-> "]
        ),
        (
            "kotlin",
            [
                "fun", "val", "var", "println", "data", "object", "companion", "when", "override", "suspend",
                "lateinit", "listOf", "mapOf",
            ], ["fun ", "val "]
        ),
        (
            "ruby",
            [
                "def", "end", "puts", "require", "attr_accessor", "module", "do", "elsif", "unless", "nil", "yield",
                "each",
            ], ["do |", "end", "puts "]
        ),
        (
            "php", ["echo", "function", "public", "private", "namespace", "array", "foreach", "require_once", "isset"],
            ["<?php", "$this->", "->", "public function ", "private function ", "protected function ", "::class"]
        ),
        (
            "shell",
            [
                "echo", "export", "fi", "then", "elif", "done", "esac", "sudo", "apt", "grep", "awk", "sed", "cd",
                "chmod", "curl", "bash",
            ], ["#!/bin/", "$(", "&&", "| grep"]
        ),
        (
            "powershell",
            ["param", "foreach", "function", "Write", "Host", "Object", "Import", "Module", "Get", "Set"],
            ["Get-", "Write-Host", "$_", "-eq "]
        ),
        (
            "sql",
            [
                "SELECT", "FROM", "WHERE", "INSERT", "INTO", "VALUES", "UPDATE", "DELETE", "CREATE", "TABLE", "ALTER",
                "DROP", "JOIN", "GROUP", "ORDER", "HAVING", "PRIMARY", "INDEX", "DECLARE", "BEGIN", "RETURNS",
            ], ["SELECT ", " FROM ", " WHERE "]
        ),
        (
            "html", ["html", "div", "span", "head", "body", "script", "href", "class", "meta", "link"],
            ["</", "<div", "<!DOCTYPE", "/>"]
        ),
        (
            "css",
            [
                "color", "margin", "padding", "display", "font", "background", "border", "width", "height", "media",
                "hover",
            ], ["px;", ": #", "@media"]
        ),
        (
            "scala",
            [
                "def", "val", "var", "object", "case", "trait", "extends", "with", "implicit", "match", "sealed",
                "println",
            ], ["case class", "=>", "object "]
        ),
        (
            "lua", ["local", "function", "end", "then", "elseif", "nil", "require", "pairs", "ipairs"],
            ["local ", "then", "end"]
        ),
        (
            "haskell",
            [
                "where", "instance", "deriving", "newtype", "qualified", "otherwise", "Maybe", "Just", "Nothing",
                "mapM_", "forM_", "fmap", "Either", "data", "module", "of", "in",
            ], [" :: ", "<$>", "<*>", " >>= ", "deriving (", "deriving stock", " $ ", " <- ", "import qualified"]
        ),
        (
            "elixir",
            [
                "defmodule", "defp", "defstruct", "defmacro", "def", "do", "end", "fn", "when", "alias", "cond",
                "with", "Enum", "GenServer", "quote", "unquote", "nil",
            ], ["|> ", "defmodule ", "defp ", ", do: ", "{:ok, ", "{:error, ", "@spec ", "@moduledoc", "%{"]
        ),
        (
            "make",
            [
                "ifeq", "ifneq", "ifdef", "ifndef", "endif", "PHONY", "endef", "wildcard", "patsubst", "CFLAGS",
                "LDFLAGS", "MAKE",
            ], [".PHONY", "$(MAKE)", "$(shell ", "$(info ", "$(GO", "$(CC)", "$@", "$^"]
        ),
        (
            "terraform",
            [
                "resource", "variable", "provider", "output", "locals", "terraform", "for_each", "depends_on",
                "count", "module", "data", "default", "description",
            ], ["resource \"", "variable \"", "provider \"", "module \"", "output \"", "${var.", " = var."]
        ),
        (
            "dockerfile",
            [
                "FROM", "RUN", "COPY", "WORKDIR", "ENTRYPOINT", "EXPOSE", "CMD", "ENV", "ARG", "LABEL", "HEALTHCHECK",
                "VOLUME", "USER",
            ], ["WORKDIR ", "ENTRYPOINT [", "COPY --from", "apt-get install", "apk add"]
        ),
    ]

    /// Identifier → bit set of languages that use it.
    static let tokenLanguages: [String: UInt32] = {
        var table: [String: UInt32] = [:]
        for (index, language) in languages.enumerated() {
            for token in language.tokens { table[token, default: 0] |= 1 << UInt32(index) }
        }
        return table
    }()

    static let markers: [(bytes: [UInt8], language: Int)] = languages.enumerated().flatMap { index, language in
        language.markers.map { (Array($0.utf8), index) }
    }

    /// Words that start a statement in common languages (case-sensitive).
    static let statementStarts: Set<String> = [
        "def", "class", "import", "from", "return", "elif", "else", "for", "while", "switch", "case", "try", "except",
        "catch", "finally", "with", "const", "let", "var", "function", "func", "fn", "pub", "public", "private",
        "protected", "static", "package", "using", "namespace", "struct", "enum", "interface", "impl", "use", "mod",
        "val", "fun", "async", "await", "yield", "throw", "raise", "echo", "export", "module", "require", "local",
        "end", "fi", "done", "esac", "then", "unless", "elsif", "lambda", "guard", "defer", "trait", "object",
        "override", "void", "int", "char", "double", "float", "bool", "auto", "template", "typedef", "if", "do",
        "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "WHERE", "FROM", "JOIN", "ORDER", "GROUP",
        "print", "printf", "console", "self", "this", "new", "delete", "begin", "assert", "foreach", "sudo", "cd",
        "let", "go", "goto", "break", "continue", "extern", "unsafe", "abstract", "final", "sealed", "data",
        // Commands that start a line of shell, and a Dockerfile's instructions.
        "apt", "mkdir", "rm", "cp", "mv", "git", "npm", "pip", "docker", "kubectl", "wget", "chmod", "chown", "tar",
        "source", "useradd", "groupadd", "usermod", "systemctl", "yarn", "brew", "cargo", "ln", "ls", "set", "unset",
        "shopt",
        "RUN", "COPY", "WORKDIR", "ENV", "ARG", "EXPOSE", "CMD", "LABEL", "VOLUME", "ONBUILD",
    ]

    /// Small words that mark a line as prose.
    static let stopwords: Set<String> = [
        "the", "a", "an", "is", "are", "was", "to", "of", "and", "that", "this", "it", "you", "we", "i", "my", "your",
        "be", "but", "how", "what", "why", "can", "do", "does", "should", "would", "could", "please", "when", "there",
        "have", "has", "me", "our", "they", "so", "just", "about", "like", "some", "also", "into", "its",
    ]

    /// Fence info strings that name data or plain text rather than code.
    static let dataFormats: Set<String> = [
        "json", "jsonc", "json5", "yaml", "yml", "csv", "tsv", "toml", "ini", "xml", "ndjson", "jsonl",
    ]
    static let textFormats: Set<String> = [
        "text", "txt", "plain", "plaintext", "log", "output", "markdown", "md", "none", "prose",
    ]

    /// Fence info strings and file extensions → language names.
    static let aliases: [String: String] = [
        "py": "python", "python3": "python", "js": "javascript", "jsx": "javascript", "mjs": "javascript",
        "node": "javascript", "ts": "typescript", "tsx": "typescript", "c++": "cpp", "cc": "cpp", "hpp": "cpp",
        "cxx": "cpp", "h": "c", "cs": "csharp", "c#": "csharp", "golang": "go", "rs": "rust", "kt": "kotlin",
        "kts": "kotlin", "rb": "ruby", "sh": "shell", "bash": "shell", "zsh": "shell", "console": "shell",
        "shell-session": "shell", "ps1": "powershell", "pwsh": "powershell", "psql": "sql", "postgresql": "sql",
        "mysql": "sql", "htm": "html", "scss": "css", "less": "css", "sc": "scala", "java": "java", "go": "go",
        "swift": "swift", "php": "php", "sql": "sql", "html": "html", "css": "css", "scala": "scala", "lua": "lua",
        "python": "python", "javascript": "javascript", "typescript": "typescript", "c": "c", "cpp": "cpp",
        "csharp": "csharp", "rust": "rust", "kotlin": "kotlin", "ruby": "ruby", "shell": "shell",
        "powershell": "powershell", "diff": "diff", "patch": "diff", "dockerfile": "dockerfile", "makefile": "make",
        "m": "objective-c", "objc": "objective-c", "dart": "dart", "r": "r", "pl": "perl", "perl": "perl",
        "hs": "haskell", "haskell": "haskell", "ex": "elixir", "exs": "elixir", "elixir": "elixir", "clj": "clojure",
        "vue": "javascript", "svelte": "javascript", "hcl": "terraform", "tf": "terraform", "terraform": "terraform",
        "make": "make", "mk": "make", "ipython": "python", "ipython3": "python", "pycon": "python",
        "jupyter": "python", "docker": "dockerfile", "lhs": "haskell", "lua5": "lua",
    ]
}

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
