import AirlockPolicy
import NIOCore
import NIOHTTP1

/// The stages of the requests on one intercepted connection. It holds no channel, event loop or buffer: each input
/// (a request head, a body part, its end, the scan's verdict, the ledger's answer, an upstream connection, the
/// upstream's response head, end or failure, the client closing, a deadline check) moves it on and returns the
/// `Action` that `InterceptHandler` carries out. Requests are served one at a time; what a client pipelines behind
/// the one in flight waits in the handler until `isReceiving`.
///
///     awaitingHead → collecting → scanning → recordingIntent → awaitingUpstream → relaying → awaitingHead
///     (no ledger: scanning → awaitingUpstream)      relaying → upgraded (a WebSocket's 101)
///     any stage → closing (a refusal, the client gone, a deadline, or a response that does not keep the connection)
struct ExchangeStateMachine {
    enum Stage: Equatable, Sendable {
        case awaitingHead, collecting, scanning, recordingIntent, awaitingUpstream, relaying, upgraded, closing
    }

    struct Configuration {
        var requestHeadTimeout: TimeAmount
        var upstreamResponseTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var maxRequestBody: Int
        /// The request's record must be durable before it is forwarded.
        var ledger: Bool
        /// Who refusals name: the target host and its provider, whose error shape they take.
        var host: String
        var provider: Provider?
    }

    /// What the stages after a request's head need to know of it.
    struct Request: Equatable {
        var keepAlive: Bool
        var webSocket: Bool
        var bodyBytes = 0
        /// Sent on a pooled connection that was used before, so it may have been closed by the server meanwhile.
        var reused = false
        /// Sent again on a fresh connection after a pooled one turned out to be closed.
        var retried = false
        /// Sent, and its response head must come by this time.
        var responseDeadline: NIODeadline?
        /// The upstream answered a WebSocket upgrade with 101.
        var switchingProtocols = false
    }

    /// Why a request was not sent or its response not relayed to the end, as the upstream side reports it.
    enum UpstreamFailure: Equatable {
        case upstream(UpstreamError)
        /// The upstream's certificate or TLS handshake failed verification.
        case tls
        case other
    }

    enum Action: Equatable {
        case none
        /// Start reading the request's body; first tell the client to send it (`Expect: 100-continue`).
        case collect(sendContinue: Bool)
        /// Keep the body part just received.
        case keepBodyPart
        /// Scan the request's headers and body.
        case scan
        /// Make the request's record durable in the ledger.
        case recordIntent
        /// Get an upstream connection (pooled or new) for the request.
        case connect
        /// A connection is ready: send the request on it.
        case send
        /// Relay the upstream's response head; `close`: tell the client the connection ends with this response.
        case writeResponseHead(close: Bool, upgrade: Bool)
        /// The response is complete: record its outcome, end it, and serve the next request or close.
        case finish(close: Bool)
        /// The upstream switched protocols: hand both connections to a WebSocket session.
        case startWebSocket
        /// The pooled connection was closed before the request reached the server: send it on a fresh one.
        case retry
        /// Answer with a refusal, record it, and close once it is written; close the upstream connection too.
        case refuse(ErrorResponse, closeUpstream: Bool)
        /// The exchange failed after it was sent, or the client left mid-exchange: record the failure and close
        /// both connections.
        case fail(FailureReason)
        /// The client closed after the response's terminal event: record the response as it was decided, and close
        /// the upstream connection, whose stream did not reach its end.
        case endedByClient
        /// Close the client connection (and the upstream one), with nothing to record.
        case close(upstreamToo: Bool)
    }

    private enum State {
        case awaitingHead(deadline: NIODeadline)
        case collecting(Request)
        case scanning(Request)
        case recordingIntent(Request)
        case awaitingUpstream(Request)
        case relaying(Request)
        case upgraded
        case closing
    }

    private let configuration: Configuration
    private var state: State
    /// Shutting down: the connection closes after the response in flight.
    private var quiescing = false

    init(_ configuration: Configuration, now: NIODeadline) {
        self.configuration = configuration
        self.state = .awaitingHead(deadline: now + configuration.requestHeadTimeout)
    }

    var stage: Stage {
        switch state {
        case .awaitingHead: .awaitingHead
        case .collecting: .collecting
        case .scanning: .scanning
        case .recordingIntent: .recordingIntent
        case .awaitingUpstream: .awaitingUpstream
        case .relaying: .relaying
        case .upgraded: .upgraded
        case .closing: .closing
        }
    }

    /// The request in flight, from its head until its response ends.
    var request: Request? {
        switch state {
        case .collecting(let request), .scanning(let request), .recordingIntent(let request),
            .awaitingUpstream(let request), .relaying(let request):
            request
        case .awaitingHead, .upgraded, .closing:
            nil
        }
    }

    /// Whether request parts are read now; otherwise they wait behind the request in flight.
    var isReceiving: Bool {
        switch state {
        case .awaitingHead, .collecting: true
        default: false
        }
    }

    // MARK: The request

    /// A request head, with the verdict of `RequestHeadCheck` on it.
    mutating func receivedHead(_ verdict: Result<RequestHeadCheck.Accepted, ErrorResponse>, keepAlive: Bool) -> Action {
        guard case .awaitingHead = state else { return .none }
        switch verdict {
        case .failure(let refusal):
            return refuse(refusal)
        case .success(let accepted):
            // After an upgrade request the connection either switches protocols or ends with the response.
            state = .collecting(Request(keepAlive: keepAlive && !accepted.webSocket, webSocket: accepted.webSocket))
            return .collect(sendContinue: accepted.expectsContinue)
        }
    }

    /// A part of the request's body, `size` bytes.
    mutating func receivedBodyPart(size: Int) -> Action {
        guard case .collecting(var request) = state else { return .none }
        request.bodyBytes += size
        guard request.bodyBytes <= configuration.maxRequestBody else {
            return refuse(
                failure(
                    .payloadTooLarge, .requestTooLarge,
                    "the request body exceeds limits.max_request_body (\(configuration.maxRequestBody) bytes)"))
        }
        state = .collecting(request)
        return .keepBodyPart
    }

    /// The body budget shared by all connections could not take the last part.
    mutating func bodyOverBudget(limit: Int) -> Action {
        guard case .collecting = state else { return .none }
        return refuse(.bodiesOverBudget(limit: limit, host: configuration.host, provider: configuration.provider))
    }

    mutating func receivedEnd() -> Action {
        guard case .collecting(let request) = state else { return .none }
        state = .scanning(request)
        return .scan
    }

    /// The gate's verdict on the request: a refusal, or passed (as sent or rewritten).
    mutating func scanned(_ verdict: Result<Void, ErrorResponse>) -> Action {
        guard case .scanning(let request) = state else { return .none }
        if case .failure(let refusal) = verdict { return refuse(refusal) }
        if configuration.ledger {
            state = .recordingIntent(request)
            return .recordIntent
        }
        state = .awaitingUpstream(request)
        return .connect
    }

    /// The ledger's answer to the request's record. A request that could not be recorded is refused, never
    /// forwarded unrecorded.
    mutating func intentRecorded(_ durable: Bool) -> Action {
        guard case .recordingIntent(let request) = state else { return .none }
        guard durable else {
            return refuse(
                failure(
                    .serviceUnavailable, .ledgerUnavailable,
                    "Airlock could not record this request in its ledger, so it was not forwarded"))
        }
        state = .awaitingUpstream(request)
        return .connect
    }

    // MARK: The upstream

    mutating func upstreamConnected(reused: Bool, now: NIODeadline) -> Action {
        guard case .awaitingUpstream(var request) = state else { return .none }
        request.reused = reused
        request.responseDeadline = now + configuration.upstreamResponseTimeout
        state = .awaitingUpstream(request)
        return .send
    }

    /// The upstream's response head. `upgradeProblem`: what is wrong with a 101's WebSocket headers.
    mutating func upstreamResponseHead(status: UInt, upgradeProblem: String?) -> Action {
        guard case .awaitingUpstream(var request) = state else { return .none }
        request.responseDeadline = nil
        let upgrade = request.webSocket && status == 101
        if upgrade, let upgradeProblem {
            return refuse(failure(.badGateway, .upstreamUpgradeInvalid, upgradeProblem), closeUpstream: true)
        }
        request.switchingProtocols = upgrade
        state = .relaying(request)
        return .writeResponseHead(close: !upgrade && (!request.keepAlive || quiescing), upgrade: upgrade)
    }

    mutating func upstreamResponseEnd(now: NIODeadline) -> Action {
        guard case .relaying(let request) = state else { return .none }
        if request.switchingProtocols {
            state = .upgraded
            return .startWebSocket
        }
        if request.keepAlive && !quiescing {
            state = .awaitingHead(deadline: now + configuration.requestHeadTimeout)
            return .finish(close: false)
        }
        state = .closing
        return .finish(close: true)
    }

    mutating func upstreamFailed(_ failure: UpstreamFailure) -> Action {
        switch state {
        case .awaitingUpstream(var request):
            // A pooled connection that the server had already closed: try once more on a fresh one.
            if request.reused, !request.retried, failure == .upstream(.connectionClosed) {
                request.retried = true
                request.reused = false
                request.responseDeadline = nil
                state = .awaitingUpstream(request)
                return .retry
            }
            return refuse(refusal(for: failure))
        case .relaying:
            state = .closing
            return .fail(.upstreamAborted)
        default:
            return .none
        }
    }

    // MARK: The client and time

    /// The client's connection closed. `afterTerminalEvent`: the streamed response's terminal event had been
    /// relayed, so the client had all of it (SDKs close once they read it, before the stream's end arrives).
    mutating func clientClosed(afterTerminalEvent: Bool = false) -> Action {
        defer { state = .closing }
        switch state {
        case .relaying where afterTerminalEvent: return .endedByClient
        case .scanning, .recordingIntent, .awaitingUpstream, .relaying: return .fail(.clientClosed)
        default: return .none
        }
    }

    /// The client's bytes could not be read as HTTP/1.1 (`parseError`), or its connection failed otherwise.
    mutating func errorCaught(parseError: Bool) -> Action {
        switch state {
        case .awaitingHead, .collecting:
            if parseError {
                return refuse(failure(.badRequest, .malformedRequest, "the request is not valid HTTP/1.1"))
            }
            return .close(upstreamToo: false)
        default:
            return .close(upstreamToo: false)
        }
    }

    /// The server is shutting down: close now when nothing is in flight, else after the current response.
    mutating func quiesce() -> Action {
        quiescing = true
        guard case .awaitingHead = state else { return .none }
        state = .closing
        return .close(upstreamToo: false)
    }

    /// The periodic check of this connection's deadlines. `lastActivity`: the last byte either way.
    mutating func checkDeadlines(now: NIODeadline, lastActivity: NIODeadline) -> Action {
        switch state {
        case .awaitingHead(let deadline) where now > deadline:
            state = .closing
            return .close(upstreamToo: false)
        case .collecting where now > lastActivity + configuration.idleTimeout:
            state = .closing
            return .close(upstreamToo: false)
        case .awaitingUpstream(let request):
            guard let deadline = request.responseDeadline, now > deadline else { return .none }
            return refuse(refusal(for: .upstream(.responseTimeout)), closeUpstream: true)
        case .relaying where now > lastActivity + configuration.idleTimeout:
            // A response that stopped moving: neither side can be reused. The client's close records it.
            return .close(upstreamToo: true)
        default:
            return .none
        }
    }

    // MARK: Refusals

    private mutating func refuse(_ response: ErrorResponse, closeUpstream: Bool = false) -> Action {
        state = .closing
        return .refuse(response, closeUpstream: closeUpstream)
    }

    private func failure(_ status: HTTPResponseStatus, _ reason: FailureReason, _ message: String) -> ErrorResponse {
        .failure(status, reason: reason, message: message, host: configuration.host, provider: configuration.provider)
    }

    private func refusal(for failure: UpstreamFailure) -> ErrorResponse {
        switch failure {
        case .upstream(let error):
            error.refusal(host: configuration.host, provider: configuration.provider)
        case .tls:
            self.failure(
                .badGateway, .upstreamTLSFailed,
                "the upstream server's TLS certificate or handshake failed verification")
        case .other:
            self.failure(.badGateway, .upstreamFailed, "the upstream exchange failed")
        }
    }
}
