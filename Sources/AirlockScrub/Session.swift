/// Per-request state: findings, placeholder numbers, the deadline.
final class Session {
    let policy: ScrubPolicy
    let deadline: ContinuousClock.Instant
    var findings: [ScrubFinding] = []
    var unreadParts: [String] = []
    private var numbers: [ScrubFinding.Category: [Int: Int]] = [:]

    init(policy: ScrubPolicy, deadline: ContinuousClock.Instant) {
        self.policy = policy
        self.deadline = deadline
    }

    /// A binary part is counted by its kind (`binary-image`, `binary-pdf`…), never by anything the client wrote:
    /// as forwarded unread, or, when the policy blocks binary parts, as a finding.
    func countBinary(_ kind: String, path: () -> String) {
        guard policy.binary == .block else {
            unreadParts.append("binary-\(kind)")
            return
        }
        findings.append(
            ScrubFinding(category: .binary, detector: "binary-\(kind)", path: path(), start: 0, end: 0, action: .block))
    }

    func checkDeadline() throws(ScrubError) {
        if ContinuousClock.now > deadline {
            throw ScrubError(
                code: .timeBudgetExceeded, message: "scanning the body took longer than scrub.time_budget allows")
        }
    }

    /// The same text gets the same number within a request (texts are told apart by a 64-bit fingerprint, not
    /// keyed: a crafted collision could do no more than share a number).
    func number(for category: ScrubFinding.Category, _ text: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        let key = Int(truncatingIfNeeded: Word.fingerprint(UnsafeBufferPointer(rebasing: text)))
        if let n = numbers[category]?[key] { return n }
        let n = (numbers[category]?.count ?? 0) + 1
        numbers[category, default: [:]][key] = n
        return n
    }

    func result(output: [UInt8], changed: Bool, operation: ProviderOperation) -> ScrubResult {
        let blocked = findings.contains { $0.action == .block }
        let redacted = findings.contains { $0.category != .minimisation && $0.action == .redact }
        return ScrubResult(
            decision: blocked ? .blocked : (redacted ? .redacted : .allowed), output: output, findings: findings,
            unreadParts: unreadParts, operation: operation, changed: changed && !blocked)
    }
}
