import AirlockLedger
import AirlockPolicy
import AirlockTLS
import ArgumentParser
import Foundation

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "State directory (CA, keys, ledger). Default: $AIRLOCK_HOME, else ~/.airlock.")
    var stateDir: String?

    @Option(name: .long, help: "Configuration file. Default: $AIRLOCK_CONFIG, else ./Config/airlock.yaml when present.")
    var config: String?

    /// The configuration file to read, if any.
    var configPath: String? {
        if let config { return config }
        if let env = ProcessInfo.processInfo.environment["AIRLOCK_CONFIG"], !env.isEmpty { return env }
        let local = "Config/airlock.yaml"
        return FileManager.default.fileExists(atPath: local) ? local : nil
    }

    func loadConfiguration() throws -> AirlockConfiguration {
        guard let path = configPath else { return AirlockConfiguration() }
        do {
            return try ConfigurationLoader.load(path: path)
        } catch {
            if error.diagnostics.count == 1, let only = error.diagnostics.first, only.rule == "file.unreadable" {
                throw CLIError("configuration file (--config, AIRLOCK_CONFIG): \(only.message)", code: 2)
            }
            throw CLIError("invalid configuration:\n\(error.description)")
        }
    }

    /// `--state-dir`, else the configuration's `state_dir`, else `$AIRLOCK_HOME`, else `~/.airlock`.
    func stateDirectory(_ configuration: AirlockConfiguration) -> StateDirectory {
        StateDirectory(explicit: stateDir ?? configuration.stateDirectory)
    }
}

extension CommonOptions {
    /// The ledger's SQLite file.
    func ledgerPath(_ configuration: AirlockConfiguration) -> String {
        configuration.ledger.path ?? stateDirectory(configuration).file("ledger.sqlite")
    }

    /// The ledger keys from the state directory, created (0600) on first use when `create`; the inspection
    /// commands only read them, since a new key would sign nothing the ledger holds.
    func ledgerKeys(_ configuration: AirlockConfiguration, create: Bool = true) throws -> LedgerKeys {
        let state = stateDirectory(configuration)
        do {
            let signing =
                create
                ? try state.secret("ledger-signing.key", make: LedgerKeys.newSigningKey)
                : try state.readSecret("ledger-signing.key")
            let credential =
                create
                ? try state.secret("ledger-credential.key", make: LedgerKeys.newCredentialKey)
                : try state.readSecret("ledger-credential.key")
            return try LedgerKeys(signingKey: signing, credentialKey: credential)
        } catch let error as LedgerError {
            throw CLIError(error.reason)
        } catch {
            throw CLIError("cannot read the ledger keys: \(error)", code: 2)
        }
    }

    /// Opens the ledger for the inspection commands (read-only unless `writable`).
    func openLedger(writable: Bool = false) throws -> (LedgerStore, LedgerKeys, AirlockConfiguration) {
        let configuration = try loadConfiguration()
        let path = ledgerPath(configuration)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no ledger at \(path); it is created when `airlock serve` first runs", code: 2)
        }
        do {
            let store = try LedgerStore(path: path, readOnly: !writable)
            return (store, try ledgerKeys(configuration, create: false), configuration)
        } catch let error as LedgerError {
            throw CLIError("cannot open the ledger: \(error.reason)", code: 2)
        }
    }
}

/// A message for the user and an exit code; printed to stderr without a stack trace.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var code: Int32

    init(_ message: String, code: Int32 = 1) {
        self.description = message
        self.code = code
    }
}

extension CLIError {
    /// Exits with the error's code after printing it.
    static func exit(_ error: CLIError) -> Never {
        FileHandle.standardError.write(Data(("airlock: " + error.description + "\n").utf8))
        Foundation.exit(error.code)
    }
}

func printLine(_ text: String, terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((text + terminator).utf8))
}
