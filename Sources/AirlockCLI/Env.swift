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

    @Option(
        name: .customLong("proxy-user"),
        help: "Proxy-authentication user to write into HTTPS_PROXY; the password comes from --proxy-password-file.")
    var proxyUser: String?

    @Option(
        name: .customLong("proxy-password-file"),
        help: "File holding the proxy password (its first line), or - for standard input. Never an argument.")
    var proxyPasswordFile: String?

    func run() throws {
        var configuration: AirlockConfiguration
        do {
            configuration = try common.loadConfiguration()
            try EnvironmentOverrides.apply(ProcessInfo.processInfo.environment, to: &configuration)
        } catch let error as CLIError {
            CLIError.exit(error)
        } catch {
            CLIError.exit(CLIError("\(error)", code: 2))
        }
        let credentials: String
        do {
            credentials = try Env.userInfo(user: proxyUser, passwordFile: proxyPasswordFile)
        } catch let error as CLIError {
            CLIError.exit(error)
        }
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
        let proxy = "http://\(credentials)\(hostPort)"
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

    /// `user:password@`, each percent-encoded, for the proxy URL; empty without `--proxy-user`. The password is read
    /// from a file or standard input, never from an argument, which shell history and process lists keep.
    static func userInfo(
        user: String?, passwordFile: String?,
        readStandardInput: () -> Data = {
            FileHandle.standardInput.readDataToEndOfFile()
        }
    ) throws -> String {
        guard let user else {
            if passwordFile != nil { throw CLIError("--proxy-password-file needs --proxy-user", code: 2) }
            return ""
        }
        guard !user.isEmpty, !user.contains(":") else {
            throw CLIError("--proxy-user must be a non-empty name without ':'", code: 2)
        }
        guard let passwordFile else {
            throw CLIError(
                "--proxy-user needs --proxy-password-file FILE (or - to read standard input); a password is never taken as an argument",
                code: 2)
        }
        let data: Data
        if passwordFile == "-" {
            data = readStandardInput()
        } else {
            do {
                data = try FileReading.read(passwordFile)
            } catch {
                throw CLIError("proxy password (--proxy-password-file): \(error)", code: 2)
            }
        }
        let text = String(decoding: data, as: UTF8.self)
        let password = String(text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? "")
        guard !password.isEmpty else {
            throw CLIError(
                "no proxy password in \(passwordFile == "-" ? "standard input" : "--proxy-password-file")", code: 2)
        }
        return percentEncoded(user) + ":" + percentEncoded(password) + "@"
    }

    /// RFC 3986 userinfo encoding: everything but unreserved characters is percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    private func shellQuote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
