import AirlockLedger
import AirlockPolicy
import AirlockTLS
import ArgumentParser
import Foundation

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Read, verify and maintain the egress ledger (works while the proxy runs).",
        subcommands: [
            Tail.self, Query.self, Stats.self, Verify.self, Export.self, Prune.self, Checkpoint.self,
            CredentialID.self,
        ]
    )

    /// Filters shared by query, stats and export.
    struct Filters: ParsableArguments {
        @Option(help: "Only requests at or after: 24h, 30m, 7d, 2026-11-01 or an ISO 8601 time.")
        var since: String?
        @Option(help: "Only requests before this time (same forms as --since).")
        var until: String?
        @Option(help: "Only this host.") var host: String?
        @Option(help: "Only this decision: allowed, redacted, blocked, denied, error, incomplete.") var decision:
            String?
        @Option(help: "Only this request model.") var model: String?
        @Option(help: "Only this provider: openai, anthropic, gcp.gemini.") var provider: String?
        @Option(help: "Only requests made with this credential id (see `airlock ledger credential-id`).")
        var credential: String?
        @Option(help: "Only requests of this proxy user.") var user: String?

        /// The providers the ledger names (OpenTelemetry's `gen_ai.provider.name`).
        static let providers = ["openai", "anthropic", "gcp.gemini"]

        func filter() throws -> LedgerFilter {
            try Suggestion.check(decision, option: "decision", among: LedgerDecision.allCases.map(\.rawValue))
            try Suggestion.check(provider, option: "provider", among: Self.providers)
            if let credential, !Self.isCredentialID(credential) {
                // The value is not repeated: it may be the key itself.
                throw CLIError(
                    "--credential takes a credential id such as cred_3f9a0c17d2e4b865, not a key; `airlock ledger credential-id` turns a key read from standard input into its id",
                    code: 2)
            }
            var f = LedgerFilter()
            f.since = try since.map(Self.time)
            f.until = try until.map(Self.time)
            f.host = host
            f.decision = decision
            f.model = model
            f.provider = provider
            f.credential = credential
            f.user = user
            return f
        }

        /// `cred_` and 16 lowercase hex digits, as `LedgerKeys.credentialID` makes them.
        static func isCredentialID(_ text: String) -> Bool {
            guard text.hasPrefix("cred_") else { return false }
            let digits = text.utf8.dropFirst(5)
            return digits.count == 16
                && digits.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }

        static func time(_ text: String) throws -> Int64 {
            guard let t = LedgerQuery.parseTime(text) else {
                throw CLIError("cannot read the time '\(text)'; use 24h, 7d, 2026-11-01 or an ISO 8601 time", code: 2)
            }
            return t
        }
    }

    struct Tail: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the newest requests; --follow keeps watching.")
        @OptionGroup var common: CommonOptions
        @Option(name: .short, help: "How many requests.") var n = 20
        @Flag(help: "Keep printing new requests as they are recorded.") var follow = false
        @Option(help: "table, json, jsonl or csv.") var format: LedgerQuery.Format = .table

        func run() throws {
            try exitOnCLIError {
                let (store, _, _) = try common.openLedger()
                let rows = try store.requestsOrFail(LedgerFilter(), newest: n)
                printLine(LedgerQuery.render(rows, as: format), terminator: "")
                guard follow else { return }
                var last = rows.last.flatMap { Int64($0["seq"].text ?? "") } ?? 0
                while true {
                    Thread.sleep(forTimeInterval: 0.5)
                    let fresh = try store.requestsOrFail(LedgerFilter(), after: last)
                    if fresh.isEmpty { continue }
                    printLine(LedgerQuery.render(fresh, as: format == .table ? .jsonl : format), terminator: "")
                    last = fresh.last.flatMap { Int64($0["seq"].text ?? "") } ?? last
                }
            }
        }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List requests matching filters.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var filters: Filters
        @Option(help: "table, json, jsonl or csv.") var format: LedgerQuery.Format = .table

        func run() throws {
            try exitOnCLIError {
                let filter = try filters.filter()
                let (store, _, _) = try common.openLedger()
                try store.write(filter, as: format)
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Request counts, bytes, tokens and redactions.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var filters: Filters
        @Option(help: "host, model, provider, day, decision, detector, credential or user.")
        var by: LedgerQuery.Grouping = .host
        @Option(help: "table, json, jsonl or csv.") var format: LedgerQuery.Format = .table

        func run() throws {
            try exitOnCLIError {
                let filter = try filters.filter()
                let (store, _, _) = try common.openLedger()
                var stats = LedgerQuery.Stats(by: by)
                try store.forEachRequestOrFail(filter) { stats.add($0) }
                printLine(stats.render(as: format), terminator: "")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export requests as JSON Lines (the default), CSV, JSON or a table.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var filters: Filters
        @Option(help: "jsonl, csv, json or table.") var format: LedgerQuery.Format = .jsonl

        func run() throws {
            try exitOnCLIError {
                let filter = try filters.filter()
                let (store, _, _) = try common.openLedger()
                try store.write(filter, as: format)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain and check every signed checkpoint.",
            discussion: "Exit status: 0 intact; 1 naming the first bad sequence number; 2 cannot read.")
        @OptionGroup var common: CommonOptions
        @Option(
            help:
                "A checkpoint note from `airlock ledger checkpoint`, kept elsewhere; proves no truncation or rollback.")
        var checkpoint: String?

        func run() throws {
            try exitOnCLIError {
                let (store, keys, _) = try common.openLedger()
                var external: AirlockLedger.Checkpoint?
                if let checkpoint {
                    guard let data = FileManager.default.contents(atPath: checkpoint),
                        let note = AirlockLedger.Checkpoint(note: String(decoding: data, as: UTF8.self))
                    else { throw CLIError("cannot read a checkpoint note from \(checkpoint)", code: 2) }
                    external = note
                }
                do {
                    let report = try LedgerVerifier.verify(store, publicKey: keys.publicKey, external: external)
                    printLine(report.message)
                    if !report.intact { throw ExitCode(1) }
                } catch let error as LedgerError {
                    throw CLIError("cannot verify the ledger: \(error.reason)", code: 2)
                }
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete records older than a duration; the chain stays verifiable from a signed anchor.")
        @OptionGroup var common: CommonOptions
        @Option(name: .customLong("older-than"), help: "For example 14d.") var olderThan: String

        func run() throws {
            try exitOnCLIError {
                guard let cutoff = LedgerQuery.parseTime(olderThan) else {
                    throw CLIError("--older-than must be a duration such as 14d", code: 2)
                }
                let (store, keys, _) = try common.openLedger(writable: true)
                do {
                    let removed = try store.prune(
                        olderThan: cutoff, signer: keys.signing, now: Int64(Date().timeIntervalSince1970 * 1000))
                    printLine("pruned \(counted(removed, "record")) older than \(olderThan)")
                } catch {
                    throw CLIError("cannot prune the ledger: \((error as? LedgerError)?.reason ?? "\(error)")", code: 2)
                }
            }
        }
    }

    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the latest signed checkpoint as a note to keep off the machine (CI artifact, git).")
        @OptionGroup var common: CommonOptions

        func run() throws {
            try exitOnCLIError {
                let (store, keys, configuration) = try common.openLedger()
                guard let latest = try store.latestCheckpointOrFail() else {
                    throw CLIError(
                        "the ledger has no checkpoint yet; `airlock serve` signs one every ledger.checkpoint_every records, every ledger.checkpoint_interval and on shutdown",
                        code: 2)
                }
                // A note that would not verify is no proof: nothing is printed.
                guard latest.isValid(for: keys.publicKey) else {
                    throw CLIError(
                        "the latest checkpoint (seq \(latest.seq)) is not signed by the key in \(common.stateDirectory(configuration).path); run `airlock ledger verify`",
                        code: 1)
                }
                printLine(latest.note(publicKey: keys.publicKey), terminator: "")
            }
        }
    }
}

extension LedgerCommand {
    struct CredentialID: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credential-id",
            abstract: "Print the credential id the ledger records for an API key read from standard input.",
            discussion: """
                The key is read from standard input, never from an argument, which shells and process lists keep; \
                at a terminal it is asked for without echo. A whole `Authorization` value (`Bearer sk-…`) is read \
                as the proxy reads it. Then `airlock ledger query --credential ID` lists the requests made with \
                that key.
                """)
        @OptionGroup var common: CommonOptions

        func run() throws {
            try exitOnCLIError {
                let (_, keys, _) = try common.openLedger()
                let typed = isatty(STDIN_FILENO) == 1
                let input = typed ? Self.readHidden(prompt: "API key: ") : Self.readAll()
                let key = input.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !key.isEmpty else { throw CLIError("no API key on standard input", code: 2) }
                guard !key.contains(where: \.isNewline) else {
                    throw CLIError("standard input holds more than one line; give one key", code: 2)
                }
                printLine(keys.credentialID(LedgerKeys.credential(fromAuthorization: key)))
            }
        }

        static func readAll() -> String {
            String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }

        /// One line from the terminal with echo turned off, restored afterwards.
        static func readHidden(prompt: String) -> String {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            let hidden = tcgetattr(STDIN_FILENO, &saved) == 0
            if hidden {
                var quiet = saved
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
            }
            defer {
                if hidden { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true) ?? ""
        }
    }
}

/// `1 record`, `2 records`: a count with its noun in the right number (`entry` becomes `entries`).
func counted(_ count: Int, _ noun: String) -> String {
    guard count != 1 else { return "1 \(noun)" }
    return "\(count) " + (noun.hasSuffix("y") ? noun.dropLast() + "ies" : noun + "s")
}

/// Runs a command body; a `CLIError` is printed and exits with its code.
func exitOnCLIError(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIError {
        CLIError.exit(error)
    }
}

extension LedgerQuery.Format: ExpressibleByArgument {}
extension LedgerQuery.Grouping: ExpressibleByArgument {}

extension LedgerStore {
    func requestsOrFail(_ filter: LedgerFilter, after: Int64 = 0, newest: Int? = nil) throws -> [LedgerRequest] {
        do {
            return try LedgerQuery.requests(self, filter, afterSeq: after, newest: newest)
        } catch {
            throw CLIError("cannot read the ledger: \(error.reason)", code: 2)
        }
    }

    /// Every matching request, oldest first, without holding them all in memory.
    func forEachRequestOrFail(_ filter: LedgerFilter, _ body: (LedgerRequest) -> Void) throws {
        do {
            try LedgerQuery.forEachRequest(self, filter, body)
        } catch {
            throw CLIError("cannot read the ledger: \(error.reason)", code: 2)
        }
    }

    /// Prints the matching requests in `format` as they are read.
    func write(_ filter: LedgerFilter, as format: LedgerQuery.Format) throws {
        var writer = LedgerQuery.Writer(format) { printLine($0, terminator: "") }
        try forEachRequestOrFail(filter) { writer.add($0) }
        writer.finish()
    }

    func latestCheckpointOrFail() throws -> AirlockLedger.Checkpoint? {
        do {
            return try latestCheckpoint()
        } catch {
            throw CLIError("cannot read the ledger: \(error.reason)", code: 2)
        }
    }
}
