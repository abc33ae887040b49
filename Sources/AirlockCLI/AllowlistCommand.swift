import AirlockLedger
import AirlockPolicy
import ArgumentParser
import Foundation

struct AllowlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allowlist",
        abstract: "Validate allowlists for CI and render them for security statements.",
        subcommands: [Check.self, Render.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check allowlists and cross-check them against a Forge manifest and a security statement.",
            discussion:
                "Exit status: 0 no errors (warnings allowed unless --strict), 1 findings at error level, 2 usage error or unreadable input."
        )

        enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, sarif, github }

        @OptionGroup var common: CommonOptions

        @Argument(help: "Allowlist files or directories. Default: the configured allowlist.")
        var paths: [String] = []

        @Option(help: "Atlassian Forge manifest whose permissions.external.fetch.backend must match the allowlist.")
        var manifest: String?

        @Option(help: "Markdown security statement whose endpoint table must match the allowlist.")
        var statement: String?

        @Flag(
            help: "Also report hosts the ledger recorded as contacted or attempted that the allowlist does not allow.")
        var ledger = false

        @Option(help: "With --ledger: the window to look at (30d, 24h, 2026-11-01).")
        var since: String = "30d"

        @Option(help: "text, json, sarif or github.")
        var format: Format = .text

        @Flag(help: "Fail on warnings too.")
        var strict = false

        func run() throws {
            let files = paths.isEmpty ? try common.loadConfiguration().allowlistPaths : paths
            var ledgerHosts: (file: String, hosts: [LedgerHostCount])?
            if ledger {
                guard let cutoff = LedgerQuery.parseTime(since) else {
                    CLIError.exit(CLIError("--since must be a duration such as 30d or a date", code: 2))
                }
                do {
                    let (store, _, _) = try common.openLedger()
                    let counts = try LedgerQuery.hostCounts(store, since: cutoff)
                    ledgerHosts = (
                        store.path, counts.map { LedgerHostCount(host: $0.0, port: $0.1, contacted: $0.2, count: $0.3) }
                    )
                } catch let error as CLIError {
                    CLIError.exit(error)
                } catch {
                    CLIError.exit(CLIError("cannot read the ledger: \(error)", code: 2))
                }
            }
            let (report, unreadable) = AllowlistChecker.check(
                paths: files, manifest: manifest, statement: statement, ledgerHosts: ledgerHosts)
            let output: String =
                switch format {
                case .text: report.text()
                case .json: report.json() + "\n"
                case .sarif: report.sarif() + "\n"
                case .github: report.github()
                }
            FileHandle.standardOutput.write(Data(output.utf8))
            if unreadable { throw ExitCode(2) }
            if report.errors > 0 || (strict && report.warnings > 0) { throw ExitCode(1) }
        }
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the endpoint table (host, ports, mode, provider, purpose) for a security statement.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, json }

        @OptionGroup var common: CommonOptions

        @Argument(help: "Allowlist files or directories. Default: the configured allowlist.")
        var paths: [String] = []

        @Option(help: "markdown or json.")
        var format: Format = .markdown

        func run() throws {
            let files = paths.isEmpty ? try common.loadConfiguration().allowlistPaths : paths
            // The table is what a security statement publishes: an allowlist that fails the check is not rendered.
            let (report, unreadable) = AllowlistChecker.check(paths: files)
            if unreadable || report.errors > 0 {
                CLIError.exit(
                    CLIError(
                        "the allowlist fails `airlock allowlist check`; not rendering it:\n\n"
                            + report.text().trimmingCharacters(in: .newlines),
                        code: unreadable ? 2 : 1))
            }
            let allowlist: Allowlist
            do {
                allowlist = try AllowlistLoader.load(paths: files)
            } catch {
                CLIError.exit(CLIError("invalid allowlist:\n\(error.description)", code: 2))
            }
            switch format {
            case .markdown: printLine(AllowlistRenderer.markdown(allowlist.entries), terminator: "")
            case .json: printLine(AllowlistRenderer.json(allowlist.entries))
            }
        }
    }
}
