import Atomics

/// The request bodies Airlock holds in memory at once, across every connection (`limits.max_buffered_bodies`).
/// Each body is collected whole before it is scanned, so without a bound shared by all connections, a few thousand
/// clients each sending a body just under `limits.max_request_body` would hold more memory than the machine has.
/// A body that would pass the bound is refused (503, with `Retry-After`) instead, and its bytes are given back as
/// soon as its exchange is gone.
package final class BodyBudget: Sendable {
    package let limit: Int
    private let held = ManagedAtomic<Int>(0)

    package init(limit: Int) {
        self.limit = limit
    }

    /// Takes `bytes` from the budget, or nothing and false when that would pass the limit.
    package func take(_ bytes: Int) -> Bool {
        precondition(bytes >= 0, "a body grows by a count of bytes")
        var current = held.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, original) = held.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives back bytes taken before.
    package func give(_ bytes: Int) {
        guard bytes > 0 else { return }
        held.wrappingDecrement(by: bytes, ordering: .relaxed)
    }

    /// Bytes of request bodies held now.
    package var inUse: Int { held.load(ordering: .relaxed) }
}
