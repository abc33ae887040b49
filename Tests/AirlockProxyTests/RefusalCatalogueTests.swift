import AirlockPolicy
import AirlockScrub
import Foundation
import Testing

@testable import AirlockProxy

@Suite("The refusal catalogue and its page")
struct RefusalCatalogueTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/refusals.md")
    static let start = "<!-- refusals:start -->\n"
    static let end = "<!-- refusals:end -->"

    /// Every code a client, the log or the ledger can see is listed once, in one table or the other.
    @Test func everyReasonIsListedOnce() {
        let listed =
            RefusalCatalogue.refusals.flatMap(\.reasons) + RefusalCatalogue.endings.map(\.reason.rawValue)
        #expect(Set(listed).count == listed.count, "a reason is listed twice")
        let codes = Set(DenyReason.allCases.map(\.rawValue) + FailureReason.allCases.map(\.rawValue))
        #expect(
            Set(listed) == codes,
            "listed but unknown: \(Set(listed).subtracting(codes)); unlisted: \(codes.subtracting(listed))")
    }

    /// A refusal's decision and status are those its row documents.
    @Test func refusalsCarryTheirRowsStatusAndDecision() {
        for row in RefusalCatalogue.refusals {
            for reason in row.reasons {
                if let denial = DenyReason(rawValue: reason), row.decision == .denied {
                    let response = ErrorResponse.denied(denial, host: "h")
                    #expect(response.status == row.status && response.decision == .denied, "\(reason)")
                } else if let failure = FailureReason(rawValue: reason) {
                    let response = ErrorResponse.failure(row.status, reason: failure, message: "m", host: "h")
                    #expect(response.decision == row.decision, "\(reason)")
                    #expect(response.type == (row.decision == .error ? "airlock_error" : "airlock_denied"))
                }
            }
        }
    }

    /// Every scrubber error code has a refusal reason of the same name.
    @Test func scrubErrorsMapToTheirReasons() {
        for code in ScrubError.Code.allCases {
            #expect(FailureReason(code).rawValue == code.rawValue)
        }
    }

    /// `docs/refusals.md` holds the catalogue as the code renders it. `AIRLOCK_REGENERATE_DOCS=1 swift test
    /// --filter RefusalCatalogueTests` rewrites the page's table.
    @Test func thePageListsTheCatalogue() throws {
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        let parts = text.components(separatedBy: Self.start)
        try #require(parts.count == 2, "docs/refusals.md has no \(Self.start)")
        let rest = parts[1].components(separatedBy: Self.end)
        try #require(rest.count == 2, "docs/refusals.md has no \(Self.end)")
        if ProcessInfo.processInfo.environment["AIRLOCK_REGENERATE_DOCS"] == "1" {
            let updated = parts[0] + Self.start + RefusalCatalogue.markdown + Self.end + rest[1]
            try updated.write(to: Self.page, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            rest[0] == RefusalCatalogue.markdown,
            "docs/refusals.md differs from RefusalCatalogue; AIRLOCK_REGENERATE_DOCS=1 swift test --filter RefusalCatalogueTests rewrites it"
        )
    }
}
