import Crypto
import Foundation
import GRDB

/// A signed statement of the ledger's state: the last sequence number and its hash, and where the chain starts.
/// Stored off the machine as a small text note, it lets `airlock ledger verify --checkpoint` prove the ledger
/// still contains that state, which catches truncation and rollback that a local chain alone cannot.
package struct Checkpoint: Sendable, Equatable {
    package var seq: Int64
    package var hash: String
    package var time: Int64
    /// The chain's first sequence number and the hash it links to (after retention removed older events).
    package var anchorSeq: Int64
    package var anchorPrevious: String
    /// Base64 Ed25519 signature over `signedText`.
    package var signature: String

    init(row: Row) {
        seq = row["seq"]
        hash = row["hash"]
        time = row["time_ms"]
        anchorSeq = row["anchor_seq"]
        anchorPrevious = row["anchor_prev"]
        signature = row["signature"]
    }

    package init(seq: Int64, hash: String, time: Int64, anchorSeq: Int64, anchorPrevious: String, signature: String) {
        self.seq = seq
        self.hash = hash
        self.time = time
        self.anchorSeq = anchorSeq
        self.anchorPrevious = anchorPrevious
        self.signature = signature
    }

    package var signedText: String {
        "airlock-ledger-checkpoint v1\nseq \(seq)\nhash \(hash)\ntime \(time)\nanchor \(anchorSeq) \(anchorPrevious)\n"
    }

    mutating func sign(with key: Curve25519.Signing.PrivateKey) {
        signature = ((try? key.signature(for: Data(signedText.utf8))) ?? Data()).base64EncodedString()
    }

    package func isValid(for key: Curve25519.Signing.PublicKey) -> Bool {
        guard let data = Data(base64Encoded: signature) else { return false }
        return key.isValidSignature(data, for: Data(signedText.utf8))
    }

    /// The note `airlock ledger checkpoint` prints.
    package func note(publicKey: Curve25519.Signing.PublicKey) -> String {
        signedText + "key \(publicKey.rawRepresentation.base64EncodedString())\nsignature \(signature)\n"
    }

    package init?(note: String) {
        var fields: [String: String] = [:]
        for line in note.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        let anchor = fields["anchor"]?.split(separator: " ").map(String.init) ?? []
        guard note.hasPrefix("airlock-ledger-checkpoint v1\n"), let seq = fields["seq"].flatMap({ Int64($0) }),
            let hash = fields["hash"], let time = fields["time"].flatMap({ Int64($0) }), anchor.count == 2,
            let anchorSeq = Int64(anchor[0]), let signature = fields["signature"]
        else { return nil }
        self.init(
            seq: seq, hash: hash, time: time, anchorSeq: anchorSeq, anchorPrevious: anchor[1], signature: signature)
    }
}

/// The ledger's keys: Ed25519 for checkpoints, HMAC for credential ids. Both live in the state directory (0600).
package struct LedgerKeys: Sendable {
    package var signing: Curve25519.Signing.PrivateKey
    package var credential: SymmetricKey

    package init(signingKey: [UInt8], credentialKey: [UInt8]) throws(LedgerError) {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: signingKey), credentialKey.count >= 32
        else {
            throw LedgerError(
                code: .keyInvalid, reason: "the ledger keys in the state directory are malformed")
        }
        signing = key
        credential = SymmetricKey(data: credentialKey)
    }

    package var publicKey: Curve25519.Signing.PublicKey { signing.publicKey }

    /// The credential in an `Authorization` value: the part after the scheme (`Bearer sk-…` → `sk-…`), else the
    /// whole value. The proxy keys requests by it; `airlock ledger credential-id` reads a pasted value the same way.
    package static func credential(fromAuthorization value: String) -> String {
        guard let space = value.utf8.firstIndex(of: UInt8(ascii: " ")) else { return value }
        let rest = value.utf8[value.utf8.index(after: space)...].drop { $0 == UInt8(ascii: " ") }
        return rest.isEmpty ? value : String(Substring(rest))
    }

    /// A truncated keyed HMAC of a credential: tells credentials apart without storing them.
    package func credentialID(_ secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: credential)
        return "cred_" + Hex.string(Array(mac.prefix(8)))
    }

    package static func newSigningKey() -> [UInt8] { Array(Curve25519.Signing.PrivateKey().rawRepresentation) }
    package static func newCredentialKey() -> [UInt8] { SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) } }
}
