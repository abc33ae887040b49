import AirlockLedger
import AirlockScrub
import Logging
import NIOCore
import Testing

@testable import AirlockProxy

@Suite("The one record of an exchange's end: its ledger record and its decision line")
struct ExchangeRecordTests {
    static let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
    static let end = start + .microseconds(12_345)

    static func record(event: LedgerEvent? = nil) -> ExchangeRecord {
        var record = ExchangeRecord(
            method: "POST", host: "api.openai.com", uri: "/v1/chat/completions?key=canary-query-value", start: start)
        record.entry = "api.openai.com"
        record.event = event
        return record
    }

    static func intent() -> LedgerEvent {
        var event = LedgerRecords.skeleton(method: "POST", host: "api.openai.com", path: "/v1/chat/completions")
        event.decision = .allowed
        return event
    }

    @Test func aRefusedRequestIsOneCompleteRecord() throws {
        let finished = Self.record(event: Self.intent()).finish(
            .failed(.ledgerUnavailable), status: 503, ledger: true, now: Self.end, nowMs: 7)
        let event = try #require(finished.ledger)
        #expect(event.kind == .request)
        #expect(
            event.decision == .error && event.reason == "ledger_unavailable" && event.errorType == "ledger_unavailable")
        #expect(event.durationMs == 12 && event.entry == "api.openai.com")
        #expect(finished.metricsHost == "api.openai.com")
    }

    @Test func aForwardedRequestEndsWithAnOutcomeOfItsRecordedIntent() throws {
        var record = Self.record(event: Self.intent())
        record.intentWritten = true
        record.responseBytes = 321
        record.tlsVersion = "TLSv1.3"
        var usage = TokenUsage()
        usage.inputTokens = 10
        usage.outputTokens = 20
        record.usage = usage
        let finished = record.finish(.allowed, status: 200, ledger: true, now: Self.end, nowMs: 9)
        let outcome = try #require(finished.ledger)
        #expect(outcome.kind == .outcome && outcome.requestID == record.event?.requestID && outcome.time == 9)
        #expect(outcome.upstreamStatus == 200 && outcome.responseBytes == 321 && outcome.tlsVersion == "TLSv1.3")
        #expect(outcome.inputTokens == 10 && outcome.outputTokens == 20)
        #expect(outcome.decision == nil && outcome.reason == nil)

        let failed = record.finish(.failed(.upstreamAborted), status: 200, ledger: true)
        #expect(failed.ledger?.decision == .error && failed.ledger?.errorType == "upstream_aborted")
    }

    @Test func aWebSocketSessionTheScrubberChangedLaterIsRecordedRedacted() {
        var record = Self.record(event: Self.intent())
        record.intentWritten = true
        record.messageBytes = (received: 100, forwarded: 90)
        let finished = record.finish(.redacted, status: 101, ledger: true)
        #expect(finished.ledger?.decision == .redacted)
        #expect(finished.ledger?.requestBytes == 100 && finished.ledger?.forwardedBytes == 90)
    }

    @Test func nothingIsWrittenTwiceOrWhenTheLedgerIsOff() {
        let record = Self.record(event: Self.intent())
        #expect(record.finish(.redacted, status: 0, ledger: true, recorded: true).ledger == nil)
        #expect(record.finish(.allowed, status: 200, ledger: false).ledger == nil)
        let intercept = record.finish(.intercept, status: 200, ledger: true)
        #expect(intercept.ledger == nil && intercept.metricsHost == nil)
        let tunnel = Self.record().finish(.tunnel, status: 200, ledger: true)
        #expect(tunnel.ledger?.reason == "tunnel" && tunnel.ledger?.decision == .allowed)
    }

    @Test func theLineIsFormattedFromTheRecordAndHoldsNoQueryString() {
        var record = Self.record()
        record.scrub = ScrubLogSummary(decision: .redacted, counts: [("github-pat", 2)], binaryParts: 0)
        let line = record.finish(.redacted, status: 200, ledger: false, now: Self.end).line
        #expect(
            line.text
                == "request decision=redacted status=200 method=POST host=api.openai.com path=/v1/chat/completions "
                + "duration_ms=12.345 scrub=redacted findings=github-pat:2")
        #expect(!line.text.contains("canary"))
        #expect(line.metadata["path"]?.description == "/v1/chat/completions")
        #expect(line.metadata["duration_ms"]?.description == "12.345")
    }
}
