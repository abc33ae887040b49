"""WebSocket sessions through the real proxy (OpenAI's Realtime API, Gemini's Live API): every client message is
scanned before it leaves, refusals reach the client in the shape its SDK reads, and the ledger records the session,
each message the scrubber changed, and the session's token usage."""
from __future__ import annotations

import json
import ssl
import subprocess

import pytest

from conftest import BINARY, assert_absent, launched, wait_for_log
from test_clients import with_airlock_env
from test_ledger import records, wait_for
from test_proxy import buffered_bytes, proxied_session
from test_scrub import AWS_CANARY, CODE, GITHUB_CANARY, config, sdk_command


LIVE = "GenerativeService.BidiGenerateContent"


def text_frames(server, path: str) -> list[bytes]:
    """Text messages that reached the stand-in at a path (Gemini's SDK writes it with a double slash)."""
    return [frame.data for frame in server.state.frames if frame.path.endswith(path) and frame.opcode == 1]


def ended_frames(server, path: str) -> list:
    """Every frame that reached the stand-in at a path, read once the session's upstream connection has ended (the
    client seeing its own close says nothing about frames still on their way to the provider)."""
    assert wait_for(lambda: any(p.endswith(path) for p in server.state.ws_ended), timeout=20), "the upstream session did not end"
    return [frame for frame in server.state.frames if frame.path.endswith(path)]


def sdk_session(airlock, server, provider: str, mode: str) -> dict:
    server.state.reset()
    result = with_airlock_env(airlock, sdk_command(provider, mode))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return json.loads(result.stdout)


def test_openai_realtime_messages_reach_the_provider_redacted(airlock, standin):
    server, _ = standin
    reply = sdk_session(airlock, server, "openai", "realtime")
    # session.created came in the same write as the 101; response.done in three fragments.
    assert reply["text"].split(",") == ["session.created", "response.done"], reply
    assert reply["usage"]["input_tokens"] == 9 and reply["usage"]["output_tokens"] == 3
    frames = text_frames(server, "/v1/realtime")
    assert [json.loads(f)["type"] for f in frames] == ["session.update", "conversation.item.create", "response.create"]
    for frame in frames:
        assert_absent(frame, GITHUB_CANARY, AWS_CANARY, "vault.lookup(card)")
    assert "[REDACTED:secret:github-pat:1]" in json.loads(frames[0])["session"]["instructions"]
    assert "[REDACTED:secret:github-pat:1]" in json.loads(frames[1])["item"]["content"][0]["text"]
    # Frames to the provider are masked, and no compression was negotiated.
    assert all(frame.masked and frame.rsv == 0 for frame in server.state.frames)
    handshake = server.state.requests[-1]
    assert handshake.path == "/v1/realtime?model=gpt-realtime"
    assert "sec-websocket-extensions" not in handshake.headers


def test_gemini_live_messages_reach_the_provider_redacted(airlock, standin):
    server, _ = standin
    reply = sdk_session(airlock, server, "gemini", "live")
    assert reply.get("text") == "ok", reply.get("error")
    assert reply["usage"]["prompt_token_count"] == 5
    frames = [json.loads(f) for f in text_frames(server, LIVE)]
    assert [next(iter(f)) for f in frames] == ["setup", "client_content"]
    for frame in frames:
        assert_absent(json.dumps(frame), GITHUB_CANARY, AWS_CANARY, "vault.lookup(card)")
    assert "[REDACTED:secret:github-pat:1]" in frames[0]["setup"]["systemInstruction"]["parts"][0]["text"]
    assert "[REDACTED:secret:github-pat:1]" in frames[1]["client_content"]["turns"][0]["parts"][0]["text"]


def test_the_ledger_records_the_session_and_each_message_it_changed(airlock, standin):
    server, _ = standin
    sdk_session(airlock, server, "openai", "realtime")

    def recorded():
        """The session's record, once it is complete, and the two message records, or nothing yet."""
        rows = records(airlock)
        sessions = [r for r in rows if r["method"] == "GET" and r["upstream_status"] == 101 and r["output_tokens"] is not None]
        messages = [r for r in rows if r["method"] == "WEBSOCKET"]
        return (sessions, messages) if sessions and len(messages) >= 2 else None

    found = wait_for(recorded)
    assert found, "the session and its messages were not recorded"
    sessions, messages = found
    assert len(sessions) == 1
    session = sessions[0]
    assert session["operation"] == "realtime" and session["request_model"] == "gpt-realtime"
    assert (session["input_tokens"], session["output_tokens"]) == (9, 3)
    assert session["decision"] == "redacted"
    # Bytes of every message the client sent, and of what was forwarded after redaction.
    sent = [f for f in server.state.frames if f.opcode == 1]
    assert session["forwarded_bytes"] == sum(len(f.data) for f in sent)
    assert session["request_bytes"] > 0 and session["response_bytes"] > 0
    # session.update and conversation.item.create each carried the secrets; response.create carried nothing.
    assert [m["decision"] for m in messages] == ["redacted", "redacted"], messages
    assert all("github-pat" in m["findings"] and m["credential_id"] == session["credential_id"] for m in messages)
    assert_absent(json.dumps(records(airlock)), GITHUB_CANARY, AWS_CANARY, "vault.lookup(card)")
    # The session's own log line is written when it ends, after the messages' lines.
    assert_absent(wait_for_log(airlock, "status=101"), GITHUB_CANARY, AWS_CANARY, "vault.lookup(card)")


BLOCK = "scrub:\n  secrets: block\n"


def test_a_blocked_realtime_message_is_an_error_event_and_the_session_goes_on(tmp_path, standin):
    server, ca = standin
    with launched(tmp_path, server, ca, extra=config(tmp_path, BLOCK)) as airlock:
        reply = sdk_session(airlock, server, "openai", "realtime")
        assert_absent(json.dumps(reply), GITHUB_CANARY, AWS_CANARY)
        # Both messages with secrets were refused; the response was still asked for, and came.
        assert reply["text"].split(",")[-1] == "response.done", reply
        assert [e["code"] for e in reply["errors"]] == ["scrubber_blocked", "scrubber_blocked"]
        assert "github-pat" in reply["errors"][0]["message"]
        frames = [json.loads(f)["type"] for f in text_frames(server, "/v1/realtime")]
        assert frames == ["response.create"]
        blocked = wait_for(lambda: len(b := [r for r in records(airlock) if r["method"] == "WEBSOCKET" and r["decision"] == "blocked"]) >= 2 and b)
        assert blocked and len(blocked) == 2 and all(b["forwarded_bytes"] == 0 for b in blocked)


def test_a_blocked_live_message_closes_the_session_with_the_reason(tmp_path, standin):
    server, ca = standin
    with launched(tmp_path, server, ca, extra=config(tmp_path, BLOCK)) as airlock:
        reply = sdk_session(airlock, server, "gemini", "live")
        assert_absent(json.dumps(reply), GITHUB_CANARY, AWS_CANARY)
        assert reply["error"]["status"] == 1008, reply
        assert reply["error"]["message"].startswith("scrubber_blocked: "), reply
        assert [f for f in ended_frames(server, LIVE) if f.opcode == 1] == []


def test_a_session_ended_by_a_refusal_still_forwards_the_messages_before_it(tmp_path, standin):
    """A redacted message waits for its ledger record; a refused message right behind it ends a Live session, but
    only after the first has left."""
    from websockets.exceptions import ConnectionClosedError

    server, ca = standin
    server.state.reset()
    with launched(tmp_path, server, ca, extra=config(tmp_path, "scrub:\n  code: block\n")) as airlock:
        url = f"wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.{LIVE}"
        with connect(airlock, url) as ws:
            ws.send(json.dumps({"setup": {"model": "models/gemini-live", "systemInstruction": {"parts": [{"text": f"key {GITHUB_CANARY}"}]}}}))
            ws.send(json.dumps({"clientContent": {"turns": [{"role": "user", "parts": [{"text": CODE}]}]}}))
            with pytest.raises(ConnectionClosedError) as closed:
                while True:
                    ws.recv(timeout=10)
            assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason.startswith("scrubber_blocked: ")
        frames = [f.data for f in ended_frames(server, LIVE) if f.opcode == 1]
        for frame in frames:
            assert_absent(frame, GITHUB_CANARY, "vault.lookup(card)")
        assert len(frames) == 1
        assert "[REDACTED:secret:github-pat:1]" in json.loads(frames[0])["setup"]["systemInstruction"]["parts"][0]["text"]
        rows = wait_for(lambda: len([r for r in records(airlock) if r["method"] == "WEBSOCKET"]) == 2 and records(airlock))
        assert sorted(r["decision"] for r in rows if r["method"] == "WEBSOCKET") == ["blocked", "redacted"]


def connect(airlock, url: str):
    """A plain WebSocket client (the `websockets` package) through the proxy, trusting Airlock's CA."""
    from websockets.sync.client import connect as ws_connect

    context = ssl.create_default_context(cafile=str(airlock.ca))
    return ws_connect(url, proxy=airlock.proxy, ssl=context, open_timeout=10, compression="deflate")


def test_fragmented_binary_and_control_frames_are_relayed_and_scanned(airlock, standin):
    server, _ = standin
    server.state.reset()
    secret = json.dumps({"type": "note", "text": f"key {GITHUB_CANARY}"})
    with connect(airlock, "wss://api.openai.com/v1/echo-ws") as ws:
        # Fragments are joined and scanned as one message; the echo comes back redacted.
        ws.send([secret[:20], secret[20:45], secret[45:]])
        echoed = ws.recv(timeout=10)
        assert_absent(echoed, GITHUB_CANARY)
        assert "[REDACTED:secret:github-pat:1]" in json.loads(echoed)["text"]
        ws.send(secret.encode())
        echoed = ws.recv(timeout=10)
        assert_absent(echoed, GITHUB_CANARY)
        assert isinstance(echoed, bytes) and "[REDACTED:secret:github-pat:1]" in json.loads(echoed)["text"]
        # A ping is answered by Airlock: its payload is not scanned, so it does not leave. The provider's ping is
        # answered by Airlock too, so the client's pong cannot carry data out either.
        assert ws.ping(GITHUB_CANARY.encode()).wait(timeout=10)
        ws.send('{"type":"ping-me"}')
        assert json.loads(ws.recv(timeout=10)) == {"type": "ping-me"}
        ws.close(code=4000, reason=f"bye {GITHUB_CANARY}")
    frames = [f for f in ended_frames(server, "/v1/echo-ws") if f.opcode == 8]
    assert frames and frames[0].data == (4000).to_bytes(2, "big")
    assert [f.opcode for f in server.state.frames] == [1, 2, 1, 10, 8]
    assert server.state.frames[3].data == b"standin"
    for frame in server.state.frames:
        assert_absent(frame.data, GITHUB_CANARY)
        # The client offered compression; Airlock took the offer out, so every frame is plain.
        assert frame.masked and frame.rsv == 0
    assert "sec-websocket-extensions" not in server.state.requests[-1].headers


def test_unmasked_or_compressed_client_frames_end_the_session_unforwarded(airlock, standin):
    """A client frame must be masked and use no reserved bit (no extension was agreed to). Such frames are written
    raw on the client's connection: the session ends with 1002 and the message never reaches the provider."""
    import os

    from websockets.exceptions import ConnectionClosedError

    server, _ = standin
    payload = json.dumps({"type": "note", "text": "hello"}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    frames = {
        "unmasked": bytes([0x81, len(payload)]) + payload,
        "reserved bit": bytes([0xC1, 0x80 | len(payload)]) + mask + masked,
    }
    for name, raw in frames.items():
        server.state.reset()
        with connect(airlock, "wss://api.openai.com/v1/echo-ws") as ws:
            # Written under the client's own lock, as its sends are: its reader thread could otherwise take Airlock's
            # answer and close the socket while this write is still inside the TLS library.
            with ws.protocol_mutex:
                ws.socket.sendall(raw)
            with pytest.raises(ConnectionClosedError) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == 1002, name
            assert closed.value.rcvd.reason.startswith("websocket_protocol_error: "), name
        assert not [f for f in ended_frames(server, "/v1/echo-ws") if f.opcode in (1, 2)], name


def test_messages_held_at_once_share_the_body_budget(tmp_path, standin):
    """A client's message counts against limits.max_buffered_bodies from the moment its frame header announces it.
    A message the budget cannot take is not forwarded: an OpenAI client gets an error event and its session goes
    on, another client a close frame 1013; either may send it again once the bytes held are let go."""
    import os

    from websockets.exceptions import ConnectionClosedError

    server, ca = standin
    server.state.reset()
    config = tmp_path / "airlock.yaml"
    config.write_text("limits:\n  max_request_body: 64KiB\n  max_buffered_bodies: 96KiB\n")

    def message(size: int, marker: str) -> str:
        text = json.dumps({"type": "note", "text": marker})
        return text[:-1] + " " * (size - len(text)) + text[-1:]

    def forwarded() -> list[str]:
        return [json.loads(f.data)["text"] for f in server.state.frames if f.opcode == 1]

    with launched(tmp_path, server, ca, extra=["--config", str(config)]) as instance:
        held = message(60000, "held message").encode()
        mask = os.urandom(4)
        frame = bytes([0x81, 0x80 | 127]) + len(held).to_bytes(8, "big") + mask
        frame += bytes(b ^ mask[i % 4] for i, b in enumerate(held))
        with connect(instance, "wss://api.openai.com/v1/echo-ws") as first:
            # The header and a little of the payload: the whole frame is counted already.
            with first.protocol_mutex:
                first.socket.sendall(frame[:1014])
            assert wait_for(lambda: buffered_bytes(instance) == 60000)

            with connect(instance, "wss://api.openai.com/v1/echo-ws") as second:
                second.send(message(40000, "second message"))
                event = json.loads(second.recv(timeout=10))
                assert event["type"] == "error"
                assert event["error"]["code"] == event["error"]["reason"] == "buffered_bodies_limit"
                assert "limits.max_buffered_bodies" in event["error"]["message"]
                assert buffered_bytes(instance) == 60000

                with connect(instance, "wss://generativelanguage.googleapis.com/v1/echo-ws") as third:
                    third.send(message(40000, "third message"))
                    with pytest.raises(ConnectionClosedError) as closed:
                        third.recv(timeout=10)
                    assert closed.value.rcvd.code == 1013
                    assert closed.value.rcvd.reason.startswith("buffered_bodies_limit: ")
                assert forwarded() == []
                assert buffered_bytes(instance) == 60000

                # The rest of the held frame: the message is forwarded, and its bytes given back once it left.
                with first.protocol_mutex:
                    first.socket.sendall(frame[1014:])
                assert json.loads(first.recv(timeout=10))["text"] == "held message"
                assert wait_for(lambda: buffered_bytes(instance) == 0)

                # The refused session went on, and its message fits now.
                second.send(message(40000, "second message"))
                assert json.loads(second.recv(timeout=10))["text"] == "second message"
        assert forwarded() == ["held message", "second message"]
        assert wait_for(lambda: buffered_bytes(instance) == 0)
        refusals = wait_for(lambda: len(r := [x for x in records(instance) if x.get("reason") == "buffered_bodies_limit"]) >= 3 and r)
        assert refusals, "the refusals were not all recorded"
        # A record for each refused message, and the Gemini session's own, which ended for it.
        assert sorted((r["method"], r["host"], r["decision"]) for r in refusals) == [
            ("GET", "generativelanguage.googleapis.com", "error"), ("WEBSOCKET", "api.openai.com", "error"),
            ("WEBSOCKET", "generativelanguage.googleapis.com", "error")]
        assert_absent(wait_for_log(instance, "buffered_bodies_limit", count=3), "held message", "second message", "third message")


def test_a_message_that_is_not_json_is_not_forwarded(airlock, standin):
    server, _ = standin
    server.state.reset()
    with connect(airlock, "wss://api.openai.com/v1/realtime?model=gpt-realtime") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "session.created"
        ws.send(f"plain text {GITHUB_CANARY}")
        event = json.loads(ws.recv(timeout=10))
        assert_absent(json.dumps(event), GITHUB_CANARY)
        assert event["type"] == "error" and event["error"]["code"] == "invalid_json"
    from websockets.exceptions import ConnectionClosedError

    with connect(airlock, f"wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.{LIVE}") as ws:
        ws.send("not json")
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == 1007 and closed.value.rcvd.reason.startswith("invalid_json: ")
    assert not [f for f in ended_frames(server, LIVE) if f.opcode in (1, 2)]
    assert not [f for f in ended_frames(server, "/v1/realtime") if f.opcode in (1, 2)]


def test_an_upgrade_the_provider_refuses_is_relayed_as_its_response(airlock, standin):
    from websockets.exceptions import InvalidStatus

    server, _ = standin
    server.state.reset()
    with pytest.raises(InvalidStatus) as refused:
        connect(airlock, "wss://api.openai.com/ws-refused")
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"]["message"] == "no realtime for this key"


def test_other_upgrades_and_malformed_websocket_handshakes_are_refused(airlock, standin):
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    h2c = session.get("https://api.openai.com/v1/models", headers={"Upgrade": "h2c", "Connection": "Upgrade, HTTP2-Settings", "HTTP2-Settings": "AAMAAABkAAQAAP__"}, timeout=20)
    assert h2c.status_code == 501 and h2c.json()["error"]["reason"] == "upgrade_not_supported"
    keyless = proxied_session(airlock).get("https://api.openai.com/v1/realtime", headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}, timeout=20)
    assert keyless.status_code == 400 and keyless.json()["error"]["reason"] == "invalid_websocket_upgrade"
    posted = proxied_session(airlock).post("https://api.openai.com/v1/realtime", data=b"{}", headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, timeout=20)
    assert posted.status_code == 400 and "GET" in posted.json()["error"]["message"]
    assert not server.state.requests


def test_a_secret_in_the_upgrade_request_is_read_like_any_request_head(airlock, standin):
    from websockets.exceptions import InvalidStatus

    server, _ = standin
    server.state.reset()
    with pytest.raises(InvalidStatus) as refused:
        connect(airlock, f"wss://api.openai.com/v1/realtime/{GITHUB_CANARY}")
    assert refused.value.response.status_code == 403
    assert_absent(bytes(refused.value.response.body), GITHUB_CANARY)
    assert not server.state.requests


def test_idle_sessions_and_shutdown_end_with_going_away(tmp_path, standin):
    from websockets.exceptions import ConnectionClosed

    server, ca = standin
    server.state.reset()
    for name in ("idle", "stop"):
        (tmp_path / name).mkdir()
    with launched(tmp_path / "idle", server, ca, extra=config(tmp_path, "timeouts:\n  idle: 1s\n")) as airlock:
        with connect(airlock, "wss://api.openai.com/v1/echo-ws") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == 1001
    with launched(tmp_path / "stop", server, ca) as airlock:
        with connect(airlock, "wss://api.openai.com/v1/echo-ws") as ws:
            ws.send('{"type":"ping"}')
            assert json.loads(ws.recv(timeout=10)) == {"type": "ping"}
            assert airlock.stop() == 0
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == 1001
        rows = records(airlock)
        assert [(r["method"], r["upstream_status"], r["decision"]) for r in rows] == [("GET", 101, "allowed")]


def test_a_plain_websocket_through_a_scheme_http_entry_is_scanned_too(tmp_path, standin):
    """`ws://` through an entry that allows scheme http: the upgrade comes as an absolute-form request, and its
    messages are scanned like those of an intercepted session."""
    import base64
    import os
    import socket

    from standin import ws_read
    from test_proxy import plain_http

    with plain_http(tmp_path, standin) as (airlock, plain):
        with socket.create_connection(("127.0.0.1", airlock.port), timeout=10) as sock:
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall(
                f"GET http://plain.test/v1/echo-ws HTTP/1.1\r\nHost: plain.test\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            reader = sock.makefile("rb")
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 101"), status
            while reader.readline() not in (b"\r\n", b""):
                pass
            payload = json.dumps({"type": "note", "text": f"key {GITHUB_CANARY}"}).encode()
            mask = os.urandom(4)
            sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            _, opcode, data, masked, _ = ws_read(reader)
            assert_absent(data, GITHUB_CANARY)
            assert opcode == 1 and not masked
            assert "[REDACTED:secret:" in json.loads(data)["text"]
        frames = [f for f in plain.state.frames if f.opcode == 1]
        assert len(frames) == 1 and frames[0].masked
        assert_absent(frames[0].data, GITHUB_CANARY)


def test_a_browser_style_key_in_the_subprotocol_header(airlock, standin):
    """A browser names its key in `Sec-WebSocket-Protocol`. An ephemeral client secret passes as it is; a standard
    API key is read like any secret in a header and redacted."""
    from websockets.sync.client import connect as ws_connect

    server, _ = standin
    context = ssl.create_default_context(cafile=str(airlock.ca))
    ephemeral = "ek_" + "68af296e8e408191a1120ab6383263c2"
    standard = "sk-" + "Wq4Zt8Ln2Rb6Yc0Hx5Jm" + "T3BlbkFJ" + "Pv7Ks3Dg9Qa1Fu6Ne2Lt"
    sent = []
    for key in (ephemeral, standard):
        server.state.reset()
        protocols = ["realtime", f"openai-insecure-api-key.{key}", "openai-beta.realtime-v1"]
        with ws_connect("wss://api.openai.com/v1/realtime?model=gpt-realtime", proxy=airlock.proxy, ssl=context,
                        open_timeout=10, subprotocols=protocols) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "session.created"
        sent.append(server.state.requests[-1].headers["sec-websocket-protocol"])
    assert_absent(sent[1], standard)
    assert f"openai-insecure-api-key.{ephemeral}" in sent[0]
    assert "[REDACTED:secret:openai-api-key:1]" in sent[1]
    # Each session is recorded with the key it named, as the keyed hash `airlock ledger credential-id` gives.
    sessions = wait_for(lambda: len(s := [r for r in records(airlock) if r["method"] == "GET" and r["upstream_status"] == 101]) >= 2 and s)
    assert sessions and len(sessions) == 2
    named = subprocess.run([str(BINARY), "ledger", "credential-id", "--state-dir", str(airlock.state_dir)],
                           input=ephemeral.encode(), capture_output=True, timeout=30)
    assert named.returncode == 0, named.stderr
    assert sessions[-2]["credential_id"] == named.stdout.decode().strip()
    assert sessions[-1]["credential_id"].startswith("cred_") and sessions[-1]["credential_id"] != sessions[-2]["credential_id"]
    assert_absent(json.dumps(records(airlock)), ephemeral, standard)
