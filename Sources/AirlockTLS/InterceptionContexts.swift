import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOSSL
import SwiftASN1
import X509

/// Server-side TLS contexts for intercepted hosts: one leaf certificate and one `NIOSSLContext` per host,
/// minted on first use and then reused for every connection to that host.
public final class InterceptionContexts: Sendable {
    private let authority: CertificateAuthority
    private let caCertificate: NIOSSLCertificate
    private let leafKey: P256.Signing.PrivateKey
    private let leafKeyForSSL: NIOSSLPrivateKey
    private let cache = NIOLockedValueBox<[String: NIOSSLContext]>([:])

    public init(authority: CertificateAuthority) throws {
        self.authority = authority
        var serializer = DER.Serializer()
        try serializer.serialize(authority.certificate)
        self.caCertificate = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        self.leafKey = P256.Signing.PrivateKey()
        self.leafKeyForSSL = try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem)
    }

    /// The context presenting a leaf for `host` (already normalised).
    public func context(for host: String) throws -> NIOSSLContext {
        if let cached = cache.withLockedValue({ $0[host] }) { return cached }
        let leaf = try authority.issueLeaf(for: host, key: leafKey)
        var serializer = DER.Serializer()
        try serializer.serialize(leaf)
        let leafCertificate = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(leafCertificate), .certificate(caCertificate)],
            privateKey: .privateKey(leafKeyForSSL)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = TLSCipherSuites.intermediate
        configuration.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: configuration)
        return cache.withLockedValue { cache in
            if let raced = cache[host] { return raced }
            cache[host] = context
            return context
        }
    }

    /// Number of hosts with a minted leaf.
    public var count: Int { cache.withLockedValue { $0.count } }
}

/// The TLS 1.2 cipher suites both legs offer: Mozilla's "intermediate" list, forward-secret AEAD suites only (no
/// CBC, no SHA-1 MACs; BoringSSL has no finite-field DHE). TLS 1.3 suites are all AEAD and not configurable.
public enum TLSCipherSuites {
    public static let intermediate = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
}

/// Client-side TLS for upstream connections: system roots (plus an optional extra CA), TLS 1.2 or later,
/// full certificate and hostname verification.
public enum UpstreamTLS {
    public static func makeContext(extraCAFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = TLSCipherSuites.intermediate
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = .default
        configuration.applicationProtocols = ["http/1.1"]
        if let extraCAFile {
            configuration.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(extraCAFile))]
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// Writes the trust bundle that `airlock env` points clients at: the system roots followed by the Airlock CA.
/// Variables such as `SSL_CERT_FILE` replace a client's trust store rather than adding to it, so both are needed.
public enum TrustBundle {
    public static let fileName = "ca-bundle.pem"
    static let systemBundles = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ]

    @discardableResult
    public static func write(authority: CertificateAuthority, in state: StateDirectory) throws -> String {
        var bundle = ""
        if let system = systemBundles.lazy.compactMap({ FileManager.default.contents(atPath: $0) }).first {
            bundle = String(decoding: system, as: UTF8.self)
            if !bundle.hasSuffix("\n") { bundle += "\n" }
        }
        bundle += "# Airlock local CA\n" + (try authority.certificatePEM()) + "\n"
        try state.write(Array(bundle.utf8), to: fileName, mode: 0o644)
        return state.file(fileName)
    }
}
