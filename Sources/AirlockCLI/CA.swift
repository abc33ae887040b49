import AirlockTLS
import ArgumentParser
import Foundation
import X509

struct CA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Manage the local certificate authority that signs intercepted hosts' certificates.",
        subcommands: [Init.self, Path.self, Show.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the CA in the state directory (keeps an existing one).")
        @OptionGroup var common: CommonOptions

        func run() throws {
            let state = common.stateDirectory(try common.loadConfiguration())
            do {
                let existed = state.exists(CertificateAuthority.certificateFile)
                let authority = try CertificateAuthority.loadOrCreate(in: state)
                try TrustBundle.write(authority: authority, in: state)
                printLine(
                    existed
                        ? "CA already exists: \(authority.certificatePath)" : "created CA: \(authority.certificatePath)"
                )
            } catch let error as StateError {
                CLIError.exit(CLIError(error.description))
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the CA certificate's path.")
        @OptionGroup var common: CommonOptions

        func run() throws {
            let state = common.stateDirectory(try common.loadConfiguration())
            printLine(state.file(CertificateAuthority.certificateFile))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the CA's subject, SHA-256 fingerprint and expiry.")
        @OptionGroup var common: CommonOptions

        func run() throws {
            let state = common.stateDirectory(try common.loadConfiguration())
            do {
                let authority = try CertificateAuthority.load(from: state)
                let formatter = ISO8601DateFormatter()
                printLine("subject:     \(authority.certificate.subject)")
                printLine("sha256:      \(try authority.fingerprint())")
                printLine("not before:  \(formatter.string(from: authority.certificate.notValidBefore))")
                printLine("not after:   \(formatter.string(from: authority.certificate.notValidAfter))")
                printLine("certificate: \(authority.certificatePath)")
            } catch let error as StateError {
                CLIError.exit(
                    CLIError(
                        error.code == .missing ? "no CA in \(state.path); run 'airlock ca init'" : error.description))
            }
        }
    }
}
