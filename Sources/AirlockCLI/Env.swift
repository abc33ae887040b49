import AirlockPolicy
import AirlockTLS
import ArgumentParser
import Foundation

struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print shell lines that route common clients through Airlock and make them trust its CA.",
        discussion: "Use as: eval \"$(airlock env)\""
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Proxy address HOST:PORT the clients should use. Default: the configured listen address.")
    var listen: String?

    func run() throws {
        let configuration = try common.loadConfiguration()
        let state = common.stateDirectory(configuration)
        let address = listen ?? configuration.listen.description
        guard let hostPort = HostPort(parsing: address), hostPort.port != 0 else {
            CLIError.exit(CLIError("--listen must be HOST:PORT with a fixed port", code: 2))
        }
        let bundle: String
        do {
            let authority = try CertificateAuthority.loadOrCreate(in: state)
            bundle = try TrustBundle.write(authority: authority, in: state)
        } catch let error as StateError {
            CLIError.exit(CLIError(error.description))
        }
        let proxy = "http://\(hostPort)"
        let caPath = state.file(CertificateAuthority.certificateFile)
        let lines: [(String, String)] = [
            ("HTTPS_PROXY", proxy), ("https_proxy", proxy),
            ("NO_PROXY", "localhost,127.0.0.1,::1"), ("no_proxy", "localhost,127.0.0.1,::1"),
            ("NODE_USE_ENV_PROXY", "1"),
            ("NODE_EXTRA_CA_CERTS", caPath),
            ("SSL_CERT_FILE", bundle),
            ("REQUESTS_CA_BUNDLE", bundle),
            ("CURL_CA_BUNDLE", bundle),
        ]
        for (name, value) in lines { printLine("export \(name)=\(shellQuote(value))") }
    }

    private func shellQuote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
