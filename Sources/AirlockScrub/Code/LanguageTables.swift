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
