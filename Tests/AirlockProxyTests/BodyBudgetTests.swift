import AirlockProxy
import Dispatch
import Testing

@Suite("The budget of request bodies held at once")
struct BodyBudgetTests {
    @Test("takes up to the limit, never past it, and takes nothing when it refuses")
    func limit() {
        let budget = BodyBudget(limit: 100)
        #expect(budget.take(60))
        #expect(budget.take(40))
        #expect(budget.inUse == 100)
        #expect(!budget.take(1))
        #expect(budget.inUse == 100)
        budget.give(30)
        #expect(!budget.take(31))
        #expect(budget.take(30))
        budget.give(100)
        #expect(budget.inUse == 0)
        #expect(budget.take(0))
        #expect(!budget.take(101))
        #expect(!budget.take(Int.max))
        #expect(budget.inUse == 0)
    }

    @Test("threads taking and giving at once never pass the limit and leave nothing behind")
    func concurrent() {
        let budget = BodyBudget(limit: 1_000)
        let peak = Peak()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for size in 1...20_000 {
                let bytes = size % 97 + 1
                guard budget.take(bytes) else { continue }
                peak.note(budget.inUse)
                budget.give(bytes)
            }
        }
        #expect(budget.inUse == 0)
        #expect(peak.value <= 1_000)
        #expect(peak.value > 0)
    }
}

/// The largest value seen, from several threads.
private final class Peak: @unchecked Sendable {
    private let lock = DispatchQueue(label: "peak")
    private var seen = 0
    func note(_ value: Int) { lock.sync { seen = max(seen, value) } }
    var value: Int { lock.sync { seen } }
}
