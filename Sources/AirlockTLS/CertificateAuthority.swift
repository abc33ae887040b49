import Crypto
import Foundation
import SwiftASN1
import X509

/// Airlock's local CA: an ECDSA P-256 key and a self-signed certificate kept in the state directory.
public struct CertificateAuthority: Sendable {
    public static let certificateFile = "ca.pem"
    public static let keyFile = "ca-key.pem"

    public let certificate: Certificate
    public let privateKey: P256.Signing.PrivateKey
    public let certificatePath: String

    /// Loads the CA, creating it first when the state directory has none.
    public static func loadOrCreate(in state: StateDirectory, now: Date = Date()) throws -> CertificateAuthority {
        if state.exists(certificateFile) || state.exists(keyFile) {
            return try load(from: state)
        }
        return try create(in: state, now: now)
    }

    /// Loads an existing CA; refuses a key readable by group or others.
    public static func load(from state: StateDirectory) throws -> CertificateAuthority {
        let keyPEM = String(decoding: try state.readSecret(keyFile), as: UTF8.self)
        let certPEM = String(decoding: try state.read(certificateFile), as: UTF8.self)
        let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        let certificate = try Certificate(pemEncoded: certPEM)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw StateError(
                code: .invalidContent, path: state.file(keyFile), reason: "CA key does not match the CA certificate")
        }
        return CertificateAuthority(
            certificate: certificate, privateKey: key, certificatePath: state.file(certificateFile))
    }

    /// Creates a new CA, valid for ten years, and stores it (key 0600, certificate 0644).
    public static func create(in state: StateDirectory, now: Date = Date()) throws -> CertificateAuthority {
        try state.create()
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Airlock")
            CommonName("Airlock Local CA \(String(Int(now.timeIntervalSince1970), radix: 36))")
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        try state.write(Array(key.pemRepresentation.utf8), to: keyFile, mode: 0o600)
        try state.write(Array(try certificate.serializeAsPEM().pemString.utf8), to: certificateFile, mode: 0o644)
        return CertificateAuthority(
            certificate: certificate, privateKey: key, certificatePath: state.file(certificateFile))
    }

    /// The CA certificate in PEM.
    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }

    /// SHA-256 over the DER certificate, as colon-separated hex.
    public func fingerprint() throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// Mints a leaf certificate for `host`: SAN-only, serverAuth, backdated one hour, valid 90 days.
    public func issueLeaf(for host: String, key: P256.Signing.PrivateKey, now: Date = Date()) throws -> Certificate {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let caKeyIdentifier = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectKeyIdentifier(hash: publicKey)
            if let caKeyIdentifier { AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier) }
            Critical(SubjectAlternativeNames(LeafCertificateNames.generalNames(for: host)))
        }
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(LeafCertificateNames.lifetime),
            issuer: certificate.subject,
            subject: DistinguishedName(),
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(privateKey)
        )
    }
}

/// How leaf certificates name their host.
enum LeafCertificateNames {
    /// 90 days: well under the 200-day ceiling clients enforce for publicly trusted leaves.
    static let lifetime: TimeInterval = 90 * 86400

    static func generalNames(for host: String) -> [GeneralName] {
        if let ip = IPv4Or6.bytes(host) { return [.ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip)))] }
        return [.dnsName(host)]
    }
}

/// Minimal numeric IP recogniser for SAN encoding (hosts are already normalised by the policy layer).
enum IPv4Or6 {
    static func bytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
