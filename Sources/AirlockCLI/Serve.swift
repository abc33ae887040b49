import AirlockLedger
import AirlockPolicy
import AirlockProxy
import AirlockScrub
import AirlockTLS
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the proxy.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Listen address HOST:PORT (port 0 picks a free port).")
    var listen: String?

    @Option(
        name: .customLong("allowlist"), help: "Allowlist file or directory (repeatable); replaces the configured list.")
    var allowlists: [String] = []

    @Option(
        name: .customLong("connect-to"),
        help: "HOST:PORT:ADDR:PORT2 — send traffic for HOST:PORT to ADDR:PORT2 (repeatable, as curl).")
    var connectTo: [String] = []

    @Option(name: .customLong("upstream-ca"), help: "Extra CA certificate (PEM) trusted for upstream TLS.")
    var upstreamCA: String?

    @Option(name: .customLong("proxy-auth-file"), help: "File with user:password lines for Proxy-Authorization: Basic.")
    var proxyAuthFile: String?

    @Option(
        name: .customLong("proxy-auth-env"),
        help: "Environment variable holding user:password for Proxy-Authorization: Basic.")
    var proxyAuthEnv: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(
        name: .customLong("log-format"),
        help: "text (one line per record, for a terminal) or json (one JSON object per line, for a log collector).")
    var logFormat: String?

    @Option(
        name: .customLong("admin-listen"),
        help: "Admin listener for /healthz and /metrics, HOST:PORT (port 0 picks a free port) or off.")
    var adminListen: String?

    @Option(help: "Event-loop threads (default: half the cores, at least one).")
    var threads: Int?

    func run() async throws {
        do {
            try await serve()
        } catch let error as CLIError {
            CLIError.exit(error)
        }
    }

    private func serve() async throws {
        var configuration = try common.loadConfiguration()
        try apply(to: &configuration)

        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let logWriter = BackgroundLogWriter(format: configuration.logFormat)
        LoggingSystem.bootstrap { label in BackgroundLogHandler(label: label, level: level, writer: logWriter) }
        defer { logWriter.flush() }
        let logger = Logger(label: "airlock")

        let credentials = try Serve.loadCredentials(configuration.proxyAuthentication)
        if !configuration.listen.isLoopback && credentials.isEmpty {
            throw CLIError(
                "refusing to listen on \(configuration.listen) without proxy authentication: set proxy_auth.credentials_file or credentials_env (or --proxy-auth-file/--proxy-auth-env)",
                code: 2)
        }

        let state = common.stateDirectory(configuration)
        let authority: CertificateAuthority
        do {
            authority = try CertificateAuthority.loadOrCreate(in: state)
            try TrustBundle.write(authority: authority, in: state)
        } catch let error as StateError {
            throw CLIError(error.description)
        }

        let allowlist: Allowlist
        do {
            allowlist = try AllowlistLoader.load(paths: configuration.allowlistPaths)
        } catch {
            throw CLIError("invalid allowlist, not starting:\n\(error.description)", code: 2)
        }

        let metrics = ProxyMetrics()
        // The ledger opens before the listener: without it nothing could be forwarded.
        var ledger: LedgerWriter?
        var ledgerKeys: LedgerKeys?
        if configuration.ledger.enabled {
            do {
                try state.create()
                let keys = try common.ledgerKeys(configuration)
                let store = try LedgerStore(
                    path: common.ledgerPath(configuration), synchronousFull: configuration.ledger.synchronousFull)
                let writer = LedgerWriter(
                    store: store, keys: keys, checkpointEvery: configuration.ledger.checkpointEvery,
                    checkpointInterval: configuration.ledger.checkpointInterval,
                    retention: configuration.ledger.retention,
                    onCommit: { seconds, failed, unwritten in
                        metrics.ledgerCommit(seconds: seconds, failed: failed, unwritten: unwritten)
                    })
                writer.start()
                ledger = writer
                ledgerKeys = keys
            } catch let error as LedgerError {
                throw CLIError("cannot open the ledger, not starting: \(error.reason)", code: 2)
            } catch let error as StateError {
                throw CLIError(error.description)
            }
        }

        defer {
            if let ledger {
                ledger.close()
                if ledger.unwrittenRecords > 0 {
                    logger.error(
                        "ledger records could not be written",
                        metadata: ["unwritten": .stringConvertible(ledger.unwrittenRecords)])
                }
            }
        }

        if let caFile = configuration.upstream.caFile {
            do {
                try FileReading.checkReadable(caFile)
            } catch {
                throw CLIError("upstream CA (upstream.ca_file, --upstream-ca): \(error)", code: 2)
            }
        }

        let group = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.threads ?? AirlockConfiguration.defaultThreads(cores: System.coreCount))
        let threadPool = NIOThreadPool(numberOfThreads: AirlockConfiguration.scanThreads(cores: System.coreCount))
        threadPool.start()
        let server = try ProxyServer(
            configuration: configuration,
            allowlist: allowlist,
            authority: authority,
            credentials: credentials,
            group: group,
            threadPool: threadPool,
            ledger: ledger,
            ledgerKeys: ledgerKeys,
            metrics: metrics,
            logger: logger,
            announce: { line in printLine(line) }
        )
        let reloader = Reloader(
            load: {
                var reloaded = try common.loadConfiguration()
                try apply(to: &reloaded)
                return reloaded
            }, loadCredentials: { try Serve.loadCredentials($0) }, started: configuration, server: server,
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server), .init(service: reloader),
        ]
        // Every listener is bound before any is announced: `airlock listening on` means the proxy is ready.
        // A listener that cannot be bound stops the start; the threads are stopped before the error is reported.
        func stopThreads() async {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
        }
        do {
            try await server.bind()
        } catch {
            await stopThreads()
            throw Serve.bindFailure(error, address: configuration.listen, key: "listen")
        }
        if let adminListen = configuration.adminListen {
            let writer = ledger
            let admin = AdminServer(
                listen: adminListen, metrics: metrics, health: { writer?.healthy ?? true },
                refresh: {
                    metrics.setOpenConnections(server.openConnections)
                    metrics.setBufferedBodies(server.bufferedBodies)
                }, group: group,
                announce: { line in logWriter.announce(line) })
            do {
                try await admin.bind()
            } catch {
                await stopThreads()
                throw Serve.bindFailure(error, address: adminListen, key: "admin_listen")
            }
            services.append(.init(service: admin))
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await serviceGroup.run()
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }

    /// A listener that could not be bound: the address, the operating system's reason, and where the address is set.
    static func bindFailure(_ error: any Error, address: HostPort, key: String) -> CLIError {
        let reason: String
        if let error = error as? IOError {
            reason = FileReading.reason(error.errnoCode)
        } else {
            reason = "\(error)"
        }
        let variable = EnvironmentOverrides.variables.first { $0.key == key }
        let sources =
            "configuration key `\(key)`"
            + (variable.map { ", flag \($0.flag), environment variable \($0.name)" } ?? "")
        return CLIError(
            "cannot listen on \(address): \(reason); choose another address (\(sources); port 0 picks a free one)",
            code: 1)
    }

    /// The environment's settings over the configuration file's, then the flags over both.
    private func apply(to configuration: inout AirlockConfiguration) throws {
        do {
            try EnvironmentOverrides.apply(ProcessInfo.processInfo.environment, to: &configuration)
        } catch {
            throw CLIError(error.description, code: 2)
        }
        if let listen {
            guard let hp = HostPort(parsing: listen) else { throw CLIError("--listen must be HOST:PORT", code: 2) }
            configuration.listen = hp
        }
        if !allowlists.isEmpty { configuration.allowlistPaths = allowlists }
        for text in connectTo {
            guard let rule = ConnectToRule(parsing: text) else {
                throw CLIError("--connect-to must be HOST:PORT:ADDR:PORT2", code: 2)
            }
            configuration.upstream.connectTo.append(rule)
        }
        if let upstreamCA { configuration.upstream.caFile = upstreamCA }
        if let proxyAuthFile { configuration.proxyAuthentication.credentialsFile = proxyAuthFile }
        if let proxyAuthEnv { configuration.proxyAuthentication.credentialsEnvironmentVariable = proxyAuthEnv }
        if let logLevel {
            guard AirlockConfiguration.logLevels.contains(logLevel) else {
                throw CLIError(
                    "--log-level must be one of \(AirlockConfiguration.logLevels.joined(separator: ", "))", code: 2)
            }
            configuration.logLevel = logLevel
        }
        if let logFormat {
            guard let format = AirlockConfiguration.LogFormat(rawValue: logFormat) else {
                throw CLIError("--log-format must be text or json", code: 2)
            }
            configuration.logFormat = format
        }
        if let adminListen {
            if adminListen == "off" {
                configuration.adminListen = nil
            } else {
                guard let hp = HostPort(parsing: adminListen) else {
                    throw CLIError("--admin-listen must be HOST:PORT or off", code: 2)
                }
                configuration.adminListen = hp
            }
        }
        if let threads {
            guard threads >= 1 else { throw CLIError("--threads must be at least 1", code: 2) }
            configuration.threads = threads
        }
    }

    private static func loadCredentials(_ auth: AirlockConfiguration.ProxyAuthentication) throws -> [String] {
        var pairs: [String] = []
        if let file = auth.credentialsFile {
            let data: Data
            do {
                data = try FileReading.read(file)
            } catch {
                throw CLIError(
                    "proxy credentials file (proxy_auth.credentials_file, --proxy-auth-file): \(error)", code: 2)
            }
            pairs += String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init).filter {
                !$0.hasPrefix("#") && $0.contains(":")
            }
        }
        if let name = auth.credentialsEnvironmentVariable {
            guard let value = ProcessInfo.processInfo.environment[name], value.contains(":") else {
                throw CLIError("environment variable \(name) must hold user:password", code: 2)
            }
            pairs.append(value)
        }
        if auth.isConfigured && pairs.isEmpty {
            throw CLIError("proxy authentication is configured but no user:password pair was found", code: 2)
        }
        return pairs
    }
}

/// `SIGHUP`: reads the configuration and the allowlists again and swaps in, all or nothing, the allowlists, the
/// `scrub` section and the proxy credentials (read again from the configured file or variable while proxy
/// authentication is on). Other keys take effect on the next start, and the log names those that changed.
struct Reloader: Service {
    let load: @Sendable () throws -> AirlockConfiguration
    let loadCredentials: @Sendable (AirlockConfiguration.ProxyAuthentication) throws -> [String]
    /// The configuration the proxy started with, which holds the keys a reload cannot apply.
    let started: AirlockConfiguration
    let server: ProxyServer
    let logger: Logger

    func run() async throws {
        var scrub = started.scrub
        let authenticating = started.proxyAuthentication.isConfigured
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            let configuration: AirlockConfiguration
            let allowlist: Allowlist
            var credentials: [String]?
            do {
                configuration = try load()
                allowlist = try AllowlistLoader.load(paths: configuration.allowlistPaths)
                if authenticating, configuration.proxyAuthentication.isConfigured {
                    credentials = try loadCredentials(configuration.proxyAuthentication)
                }
            } catch {
                logger.error(
                    "reload failed; keeping the previous allowlist, scrub policy and proxy credentials",
                    metadata: ["problems": .string("\(error)")])
                continue
            }
            server.replaceAllowlist(allowlist)
            server.replaceScrubPolicy(configuration.scrub)
            var metadata: Logger.Metadata = [
                "entries": .stringConvertible(allowlist.entries.count),
                "scrub_policy": .string(configuration.scrub == scrub ? "unchanged" : "changed"),
            ]
            if let credentials, server.replaceCredentials(credentials) {
                metadata["proxy_credentials"] = .string("reloaded")
            }
            logger.notice("allowlist reloaded", metadata: metadata)
            scrub = configuration.scrub
            let restart = started.keysNeedingRestart(toApply: configuration)
            if !restart.isEmpty {
                logger.warning(
                    "configuration changes take effect on the next start",
                    metadata: ["keys": .string(restart.joined(separator: ","))])
            }
        }
    }
}
