/// Credentials that vendors publish in their documentation and SDKs as examples or as well-known development
/// values. They are recognised by their exact published value, so that a rule never has to be loosened for them:
/// a value one character away from one of these is still a secret.
enum PublishedExamples {
    /// Exact values, each with where it is published.
    private static let values: Set<[UInt8]> = Set(
        [
            // Azurite and the Azure Storage Emulator: the well-known key of the `devstoreaccount1` account
            // (learn.microsoft.com, "Use the Azurite emulator for local Azure Storage development").
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
            // Example API keys shipped in github.com/firebase/firebase-android-sdk test resources and samples.
            "AIzaSyabcdefghijklmnopqrstuvwxyz1234567", "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
            "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM", "AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
            "AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0", "AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
            "AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c", "AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
            "AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY", "AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
            "AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ", "AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
            "AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU", "AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
            "AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE", "AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
            // The client secret in the README of github.com/checkmarx-ts/checkmarx-python-sdk, which gitleaks'
            // global allowlist lists as a stop word.
            "014df517-39d1-4453-b7b3-9930c563627c",
        ].map { Array($0.utf8) })

    /// Secret values that the Kubernetes documentation uses in its example Secrets ("Secrets", kubernetes.io:
    /// `echo -n '1f2d1e2e67df' | base64`), plain as under `stringData:` and decoded from `data:`.
    static let kubernetesExamples: Set<[UInt8]> = Set(["1f2d1e2e67df"].map { Array($0.utf8) })

    /// Whether the bytes at `range` are exactly a published example value.
    static func contains(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.count >= 20, range.count <= 128 else { return false }
        return values.contains(Array(b[range]))
    }

    /// Slack's documented placeholder webhook path, `T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`: a workspace and
    /// a channel id of zeros, or a secret of one repeated letter.
    static func isSlackPlaceholderPath(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        for i in range where b[i] == UInt8(ascii: "/") {
            parts.append(start..<i)
            start = i + 1
        }
        parts.append(start..<range.upperBound)
        guard parts.count == 3 else { return false }
        func zeroID(_ part: Range<Int>) -> Bool {
            part.count > 1 && b[(part.lowerBound + 1)..<part.upperBound].allSatisfy { $0 == UInt8(ascii: "0") }
        }
        let secret = parts[2]
        let repeated = !secret.isEmpty && b[secret].allSatisfy { $0 == b[secret.lowerBound] }
        return (zeroID(parts[0]) && zeroID(parts[1])) || repeated
    }
}
