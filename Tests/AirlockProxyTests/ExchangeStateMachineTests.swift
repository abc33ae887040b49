import AirlockPolicy
import NIOCore
import NIOHTTP1
import Testing

@testable import AirlockProxy

@Suite("The stages of an intercepted connection's requests")
struct ExchangeStateMachineTests {
    typealias Machine = ExchangeStateMachine
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let accepted = RequestHeadCheck.Accepted(
        path: "/v1/chat/completions", webSocket: false, declaredLength: 10, expectsContinue: false)

    static func machine(ledger: Bool = true, maxBody: Int = 100) -> Machine {
        Machine(
            .init(
                requestHeadTimeout: .seconds(10), upstreamResponseTimeout: .seconds(60), idleTimeout: .seconds(30),
                maxRequestBody: maxBody, ledger: ledger, host: "api.openai.com", provider: .openai),
            now: start)
    }

    /// A request read to its end and passed by the gate.
    static func scanned(
        _ machine: inout Machine, accepted: RequestHeadCheck.Accepted = accepted, keepAlive: Bool = true
    ) {
        #expect(machine.receivedHead(.success(accepted), keepAlive: keepAlive) == .collect(sendContinue: false))
        #expect(machine.receivedBodyPart(size: 10) == .keepBodyPart)
        #expect(machine.receivedEnd() == .scan)
        #expect(machine.stage == .scanning)
    }

    /// A request recorded and sent upstream, waiting for its response.
    static func sent(
        _ machine: inout Machine, accepted: RequestHeadCheck.Accepted = accepted, keepAlive: Bool = true,
        reused: Bool = false
    ) {
        scanned(&machine, accepted: accepted, keepAlive: keepAlive)
        #expect(machine.scanned(.success(())) == .recordIntent)
        #expect(machine.intentRecorded(true) == .connect)
        #expect(machine.upstreamConnected(reused: reused, now: start) == .send)
    }

    static let webSocket = RequestHeadCheck.Accepted(
        path: "/v1/realtime", webSocket: true, declaredLength: 0, expectsContinue: false)

    /// A request sent upstream, its response head relayed.
    static func relaying(_ machine: inout Machine, keepAlive: Bool = true) {
        sent(&machine, keepAlive: keepAlive)
        #expect(
            machine.upstreamResponseHead(status: 200, upgradeProblem: nil)
                == .writeResponseHead(close: !keepAlive, upgrade: false))
        #expect(machine.stage == .relaying)
    }

    static func reason(_ action: Machine.Action) -> String? {
        guard case .refuse(let response, _) = action else { return nil }
        return response.reason
    }

    @Test func aRequestPassesEveryStageInOrderAndTheConnectionIsKept() {
        var machine = Self.machine()
        #expect(machine.stage == .awaitingHead && machine.isReceiving)
        Self.scanned(&machine)
        #expect(!machine.isReceiving)
        #expect(machine.scanned(.success(())) == .recordIntent)
        #expect(machine.stage == .recordingIntent)
        #expect(machine.intentRecorded(true) == .connect)
        #expect(machine.stage == .awaitingUpstream)
        #expect(machine.upstreamConnected(reused: true, now: Self.start) == .send)
        #expect(
            machine.upstreamResponseHead(status: 200, upgradeProblem: nil)
                == .writeResponseHead(close: false, upgrade: false))
        #expect(machine.upstreamResponseEnd(now: Self.start) == .finish(close: false))
        #expect(machine.stage == .awaitingHead && machine.isReceiving)
    }

    @Test func withoutALedgerAPassedRequestGoesStraightToTheUpstream() {
        var machine = Self.machine(ledger: false)
        Self.scanned(&machine)
        #expect(machine.scanned(.success(())) == .connect)
        #expect(machine.stage == .awaitingUpstream)
    }

    @Test func aRefusedHeadClosesTheConnectionAndIgnoresTheRest() {
        var machine = Self.machine()
        let refusal = ErrorResponse.denied(.methodNotAllowed, host: "api.openai.com", provider: .openai)
        #expect(machine.receivedHead(.failure(refusal), keepAlive: true) == .refuse(refusal, closeUpstream: false))
        #expect(machine.stage == .closing)
        #expect(machine.receivedBodyPart(size: 10) == .none)
        #expect(machine.receivedEnd() == .none)
        #expect(machine.clientClosed() == .none)
    }

    @Test func expectContinueIsAnsweredBeforeTheBodyIsRead() {
        var machine = Self.machine()
        var accepted = Self.accepted
        accepted.expectsContinue = true
        #expect(machine.receivedHead(.success(accepted), keepAlive: true) == .collect(sendContinue: true))
    }

    @Test func aBodyOverTheLimitOrTheBudgetIsRefused() {
        var machine = Self.machine(maxBody: 15)
        #expect(machine.receivedHead(.success(Self.accepted), keepAlive: true) == .collect(sendContinue: false))
        #expect(machine.receivedBodyPart(size: 10) == .keepBodyPart)
        #expect(Self.reason(machine.receivedBodyPart(size: 6)) == "request_too_large")
        #expect(machine.stage == .closing)

        var budget = Self.machine()
        _ = budget.receivedHead(.success(Self.accepted), keepAlive: true)
        #expect(Self.reason(budget.bodyOverBudget(limit: 1000)) == "buffered_bodies_limit")
    }

    @Test func aBlockedOrUnscannableRequestIsRefusedAndNeverRecordedAsIntent() {
        var machine = Self.machine()
        Self.scanned(&machine)
        let blocked = ErrorResponse.failure(
            .forbidden, reason: .scrubberBlocked, message: "blocked", host: "api.openai.com", provider: .openai)
        #expect(machine.scanned(.failure(blocked)) == .refuse(blocked, closeUpstream: false))
        #expect(machine.stage == .closing)
        #expect(machine.intentRecorded(true) == .none)
    }

    @Test func aLedgerFailureRefusesTheRequestInsteadOfForwardingIt() {
        var machine = Self.machine()
        Self.scanned(&machine)
        _ = machine.scanned(.success(()))
        let action = machine.intentRecorded(false)
        #expect(Self.reason(action) == "ledger_unavailable")
        #expect(machine.stage == .closing)
        #expect(machine.upstreamConnected(reused: false, now: Self.start) == .none)
    }

    @Test func aStalePooledConnectionIsRetriedOnceOnAFreshOne() {
        var machine = Self.machine()
        Self.sent(&machine, reused: true)
        #expect(machine.upstreamFailed(.upstream(.connectionClosed)) == .retry)
        #expect(machine.request?.retried == true)
        #expect(machine.request?.responseDeadline == nil)
        // The fresh connection closes too: no third attempt.
        #expect(machine.upstreamConnected(reused: true, now: Self.start) == .send)
        #expect(Self.reason(machine.upstreamFailed(.upstream(.connectionClosed))) == "upstream_closed")
    }

    @Test func aFreshConnectionThatFailsIsNotRetried() {
        var machine = Self.machine()
        Self.sent(&machine)
        #expect(Self.reason(machine.upstreamFailed(.upstream(.connectionClosed))) == "upstream_closed")
    }

    @Test func upstreamFailuresBeforeTheResponseAreRefusalsInTheirOwnWords() {
        for (failure, reason) in [
            (Machine.UpstreamFailure.upstream(.connectFailed), "upstream_connect_failed"),
            (.upstream(.dnsFailure), "dns_failure"), (.upstream(.restricted(.loopback)), "address_restricted"),
            (.tls, "upstream_tls_failed"), (.other, "upstream_failed"),
        ] {
            var machine = Self.machine()
            Self.scanned(&machine)
            _ = machine.scanned(.success(()))
            _ = machine.intentRecorded(true)
            #expect(Self.reason(machine.upstreamFailed(failure)) == reason)
            #expect(machine.stage == .closing)
        }
    }

    @Test func anUpstreamFailureAfterTheResponseStartedAbortsIt() {
        var machine = Self.machine()
        Self.relaying(&machine)
        #expect(machine.upstreamFailed(.upstream(.connectionClosed)) == .fail(.upstreamAborted))
        #expect(machine.stage == .closing)
    }

    @Test func aClientThatLeavesMidExchangeAbandonsIt() {
        for stage in [Machine.Stage.scanning, .recordingIntent, .awaitingUpstream, .relaying] {
            var machine = Self.machine()
            Self.scanned(&machine)
            if stage != .scanning { _ = machine.scanned(.success(())) }
            if stage == .awaitingUpstream || stage == .relaying { _ = machine.intentRecorded(true) }
            if stage == .relaying {
                _ = machine.upstreamConnected(reused: false, now: Self.start)
                _ = machine.upstreamResponseHead(status: 200, upgradeProblem: nil)
            }
            #expect(machine.stage == stage)
            #expect(machine.clientClosed() == .fail(.clientClosed))
            #expect(machine.stage == .closing)
            // A scan or a record that finishes after the client left changes nothing.
            #expect(machine.scanned(.success(())) == .none)
            #expect(machine.intentRecorded(true) == .none)
        }
        var idle = Self.machine()
        #expect(idle.clientClosed() == .none)
    }

    @Test func aClientThatClosesAfterAStreamsTerminalEventEndedTheExchangeNormally() {
        var machine = Self.machine()
        Self.relaying(&machine)
        #expect(machine.clientClosed(afterTerminalEvent: true) == .endedByClient)
        #expect(machine.stage == .closing)
        // Before the response started, the terminal event cannot have gone past.
        var waiting = Self.machine()
        Self.sent(&waiting)
        #expect(waiting.clientClosed(afterTerminalEvent: true) == .fail(.clientClosed))
    }

    @Test func pipelinedRequestsWaitUntilTheOneInFlightHasEnded() {
        var machine = Self.machine()
        Self.relaying(&machine)
        #expect(!machine.isReceiving)
        #expect(machine.upstreamResponseEnd(now: Self.start) == .finish(close: false))
        #expect(machine.isReceiving)
        Self.scanned(&machine)
    }

    @Test func aRequestThatDoesNotKeepTheConnectionClosesItAfterItsResponse() {
        var machine = Self.machine()
        Self.relaying(&machine, keepAlive: false)
        #expect(machine.upstreamResponseEnd(now: Self.start) == .finish(close: true))
        #expect(machine.stage == .closing && !machine.isReceiving)
    }

    @Test func shuttingDownClosesAnIdleConnectionAtOnceAndABusyOneAfterItsResponse() {
        var idle = Self.machine()
        #expect(idle.quiesce() == .close(upstreamToo: false))
        #expect(idle.stage == .closing)

        var busy = Self.machine()
        Self.scanned(&busy)
        #expect(busy.quiesce() == .none)
        #expect(busy.scanned(.success(())) == .recordIntent)
        #expect(busy.intentRecorded(true) == .connect)
        #expect(busy.upstreamConnected(reused: false, now: Self.start) == .send)
        #expect(
            busy.upstreamResponseHead(status: 200, upgradeProblem: nil)
                == .writeResponseHead(close: true, upgrade: false))
        #expect(busy.upstreamResponseEnd(now: Self.start) == .finish(close: true))
    }

    @Test func aWebSocketUpgradeHandsTheConnectionOver() {
        var machine = Self.machine()
        Self.sent(&machine, accepted: Self.webSocket)
        #expect(machine.request?.keepAlive == false)
        #expect(
            machine.upstreamResponseHead(status: 101, upgradeProblem: nil)
                == .writeResponseHead(close: false, upgrade: true))
        #expect(machine.upstreamResponseEnd(now: Self.start) == .startWebSocket)
        #expect(machine.stage == .upgraded && !machine.isReceiving)
    }

    @Test func anUpgradeTheUpstreamAnswersWronglyIsRefused() {
        var machine = Self.machine()
        Self.sent(&machine, accepted: Self.webSocket)
        #expect(machine.request?.keepAlive == false)
        let action = machine.upstreamResponseHead(status: 101, upgradeProblem: "no Sec-WebSocket-Accept")
        guard case .refuse(let response, let closeUpstream) = action else {
            Issue.record("expected a refusal, got \(action)")
            return
        }
        #expect(response.reason == "upstream_upgrade_invalid" && closeUpstream)
    }

    @Test func anUpgradeRequestTheUpstreamRefusesEndsWithItsResponse() {
        var machine = Self.machine()
        Self.sent(&machine, accepted: Self.webSocket)
        #expect(machine.request?.keepAlive == false)
        #expect(
            machine.upstreamResponseHead(status: 403, upgradeProblem: nil)
                == .writeResponseHead(close: true, upgrade: false))
        #expect(machine.upstreamResponseEnd(now: Self.start) == .finish(close: true))
    }

    @Test func deadlines() {
        let later = { (seconds: Int64) in Self.start + .seconds(seconds) }
        var idle = Self.machine()
        #expect(idle.checkDeadlines(now: later(5), lastActivity: Self.start) == .none)
        #expect(idle.checkDeadlines(now: later(11), lastActivity: Self.start) == .close(upstreamToo: false))

        var collecting = Self.machine()
        _ = collecting.receivedHead(.success(Self.accepted), keepAlive: true)
        #expect(collecting.checkDeadlines(now: later(29), lastActivity: Self.start) == .none)
        #expect(collecting.checkDeadlines(now: later(31), lastActivity: Self.start) == .close(upstreamToo: false))

        // A scan or a ledger write is never timed out from here; the scrubber has its own time budget.
        var scanning = Self.machine()
        Self.scanned(&scanning)
        #expect(scanning.checkDeadlines(now: later(600), lastActivity: Self.start) == .none)

        var waiting = Self.machine()
        Self.scanned(&waiting)
        _ = waiting.scanned(.success(()))
        _ = waiting.intentRecorded(true)
        #expect(waiting.checkDeadlines(now: later(600), lastActivity: Self.start) == .none)
        _ = waiting.upstreamConnected(reused: false, now: Self.start)
        #expect(waiting.checkDeadlines(now: later(59), lastActivity: Self.start) == .none)
        let timeout = waiting.checkDeadlines(now: later(61), lastActivity: Self.start)
        #expect(Self.reason(timeout) == "upstream_timeout")
        if case .refuse(_, let closeUpstream) = timeout { #expect(closeUpstream) }

        var relaying = Self.machine()
        Self.relaying(&relaying)
        #expect(relaying.checkDeadlines(now: later(31), lastActivity: later(2)) == .none)
        #expect(relaying.checkDeadlines(now: later(31), lastActivity: Self.start) == .close(upstreamToo: true))
        // The close is recorded when the client's connection goes.
        #expect(relaying.clientClosed() == .fail(.clientClosed))

        // After a response, the next head has its own deadline.
        var kept = Self.machine()
        Self.relaying(&kept)
        _ = kept.upstreamResponseEnd(now: later(100))
        #expect(kept.checkDeadlines(now: later(105), lastActivity: later(100)) == .none)
        #expect(kept.checkDeadlines(now: later(111), lastActivity: later(100)) == .close(upstreamToo: false))
    }

    @Test func bytesThatAreNotHTTPAreRefusedOnlyWhileARequestIsRead() {
        var reading = Self.machine()
        #expect(Self.reason(reading.errorCaught(parseError: true)) == "malformed_request")
        var other = Self.machine()
        #expect(other.errorCaught(parseError: false) == .close(upstreamToo: false))
        var busy = Self.machine()
        Self.relaying(&busy)
        #expect(busy.errorCaught(parseError: true) == .close(upstreamToo: false))
    }

    @Test func aRefusalMidTunnelAfterEarlierRequestsClosesTheConnection() {
        var machine = Self.machine()
        Self.relaying(&machine)
        _ = machine.upstreamResponseEnd(now: Self.start)
        Self.scanned(&machine)
        let blocked = ErrorResponse.failure(
            .forbidden, reason: .scrubberBlocked, message: "blocked", host: "api.openai.com", provider: .openai)
        #expect(machine.scanned(.failure(blocked)) == .refuse(blocked, closeUpstream: false))
        #expect(!machine.isReceiving && machine.stage == .closing)
    }
}

@Suite("What a request head must be")
struct RequestHeadCheckTests {
    static let target = InterceptTarget(
        host: "api.openai.com", port: 443, scheme: .https,
        entry: AllowlistEntry(
            host: .exact(try! HostName("api.openai.com")), methods: ["POST", "GET"], paths: ["/v1/"], provider: .openai,
            purpose: "test", location: .init(file: "t", line: 1, column: 1)))
    static let check = RequestHeadCheck(target: target, maxRequestBody: 1000)

    static func head(
        _ headers: [(String, String)], uri: String = "/v1/chat/completions", method: HTTPMethod = .POST
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    static func reason(_ result: Result<RequestHeadCheck.Accepted, ErrorResponse>) -> String? {
        guard case .failure(let response) = result else { return nil }
        return response.reason
    }

    @Test func aPlainRequestPasses() throws {
        let accepted = try Self.check.check(Self.head([("Host", "api.openai.com"), ("Content-Length", "12")])).get()
        #expect(
            accepted
                == .init(path: "/v1/chat/completions", webSocket: false, declaredLength: 12, expectsContinue: false))
        let absolute = try Self.check.check(
            Self.head([("Host", "api.openai.com")], uri: "https://api.openai.com/v1/models")
        ).get()
        #expect(absolute.path == "/v1/models")
    }

    @Test func refusals() {
        let host = ("Host", "api.openai.com")
        let cases: [(HTTPRequestHead, String)] = [
            (Self.head([host], uri: "ftp://x/"), "invalid_request_target"),
            (Self.head([host], uri: "https://api.anthropic.com/v1/x"), "host_header_mismatch"),
            (Self.head([host, ("Content-Length", "5"), ("Transfer-Encoding", "chunked")]), "conflicting_framing"),
            (Self.head([host, ("Content-Length", "5"), ("Content-Length", "6")]), "conflicting_framing"),
            (Self.head([host, ("Content-Length", "5x")]), "invalid_content_length"),
            (Self.head([host, ("Transfer-Encoding", "gzip")]), "unsupported_transfer_encoding"),
            (Self.head([]), "invalid_host_header"),
            (Self.head([host, host]), "invalid_host_header"),
            (Self.head([("Host", "api.anthropic.com")]), "host_header_mismatch"),
            (Self.head([host], method: .DELETE), "method_not_allowed"),
            (Self.head([host], uri: "/v2/x"), "path_not_allowed"),
            (Self.head([host, ("Connection", "upgrade"), ("Upgrade", "h2c")]), "upgrade_not_supported"),
            (Self.head([host, ("Content-Length", "1001")]), "request_too_large"),
        ]
        for (head, reason) in cases {
            #expect(Self.reason(Self.check.check(head)) == reason, "\(head.uri) \(head.headers)")
        }
        var denying = Self.check
        denying.presetDenial = .addressRestricted
        #expect(Self.reason(denying.check(Self.head([host]))) == "address_restricted")
    }

    @Test func expectContinueAndWebSocketsAreNoted() throws {
        let host = ("Host", "api.openai.com")
        let waiting = try Self.check.check(Self.head([host, ("Expect", "100-Continue")])).get()
        #expect(waiting.expectsContinue)
        let upgrade = try Self.check.check(
            Self.head(
                [
                    host, ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ], uri: "/v1/realtime", method: .GET)
        ).get()
        #expect(upgrade.webSocket)
    }
}
