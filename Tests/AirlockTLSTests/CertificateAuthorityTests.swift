import AirlockTLS
import Crypto
import Foundation
import Testing
import X509

@Suite("Local CA")
struct CertificateAuthorityTests {
    func temporaryState() -> StateDirectory {
        StateDirectory(explicit: NSTemporaryDirectory() + "airlock-ca-test-\(UUID().uuidString)")
    }

    @Test("a new CA is stored with a 0600 key and loads back")
    func createAndLoad() throws {
        let state = temporaryState()
        let created = try CertificateAuthority.loadOrCreate(in: state)
        let attributes = try FileManager.default.attributesOfItem(atPath: state.file(CertificateAuthority.keyFile))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let loaded = try CertificateAuthority.loadOrCreate(in: state)
        #expect(loaded.certificate == created.certificate)
        #expect(try created.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try created.fingerprint().count == 95)
    }

    @Test("a key readable by group or others is refused")
    func insecureKey() throws {
        let state = temporaryState()
        _ = try CertificateAuthority.create(in: state)
        chmod(state.file(CertificateAuthority.keyFile), 0o644)
        #expect(throws: StateError.self) { try CertificateAuthority.load(from: state) }
        chmod(state.file(CertificateAuthority.keyFile), 0o640)
        #expect(throws: StateError.self) { try CertificateAuthority.load(from: state) }
    }

    @Test("leaves are SAN-only, serverAuth, backdated, short-lived and chain to the CA")
    func leaf() throws {
        let state = temporaryState()
        let authority = try CertificateAuthority.create(in: state)
        let now = Date()
        let key = P256.Signing.PrivateKey()
        let leaf = try authority.issueLeaf(for: "api.openai.com", key: key, now: now)
        #expect(leaf.subject == DistinguishedName())
        #expect(leaf.issuer == authority.certificate.subject)
        let san = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(Array(san) == [.dnsName("api.openai.com")])
        let eku = try #require(try leaf.extensions.extendedKeyUsage)
        #expect(eku.contains(.serverAuth))
        #expect(leaf.notValidBefore < now)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) < 200 * 86400)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(authority.certificate.publicKey.isValidSignature(leaf.signature, for: leaf))
    }

    @Test("TLS contexts are minted once per host and cached")
    func contexts() throws {
        let authority = try CertificateAuthority.create(in: temporaryState())
        let contexts = try InterceptionContexts(authority: authority)
        let first = try contexts.context(for: "api.openai.com")
        let again = try contexts.context(for: "api.openai.com")
        #expect(first === again)
        _ = try contexts.context(for: "api.anthropic.com")
        #expect(contexts.count == 2)
    }
}
