"""The proxy core, driven with the real `curl` and Python `requests` through the real binary."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from conftest import BINARY, assert_absent, assert_present, assert_same, launch, launched, wait_for_log


def proxied_session(airlock) -> requests.Session:
    """A session that uses only the given proxy and CA, whatever the environment says."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"https": airlock.proxy}
    session.verify = str(airlock.ca)
    return session


def curl(airlock, url: str, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    """curl through the proxy; bodies are sent as JSON unless the test names another type."""
    if any(a.startswith("--data") for a in args) and not any("Content-Type" in a for a in args):
        args = (*args, "-H", "Content-Type: application/json")
    return subprocess.run(
        ["curl", "-sS", "--proxy", airlock.proxy, "--cacert", str(airlock.ca), "-o", "-", "-w", "\n%{http_code} %{http_connect}", *args, url],
        capture_output=True, timeout=timeout,
    )


def split(result: subprocess.CompletedProcess) -> tuple[bytes, int]:
    """The body and the status: the request's, or the CONNECT's when the tunnel was refused."""
    body, _, codes = result.stdout.rpartition(b"\n")
    request, connect = (int(c) for c in codes.split())
    return body, request or connect


def raw_connect(airlock, target: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", airlock.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    return sock


def read_response(sock) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def test_allowed_request_reaches_standin_byte_for_byte(airlock, standin):
    server, _ = standin
    payload = json.dumps({"model": "gpt-test", "messages": [{"role": "user", "content": "hello"}]})
    body, code = split(curl(airlock, "https://api.openai.com/v1/echo", "-H", "Content-Type: application/json", "--data", payload))
    assert code == 200
    echo = json.loads(body)
    assert echo["body"] == payload and echo["host"] == "api.openai.com"
    assert server.state.requests[-1].body == payload.encode()
    # a binary response comes back unchanged
    body, code = split(curl(airlock, "https://api.openai.com/bytes"))
    assert code == 200 and body == bytes(range(256)) * 64


def test_denied_host_gets_403_json_and_no_upstream_connection(airlock, standin):
    server, _ = standin
    server.state.reset()
    result = subprocess.run(
        ["curl", "-sS", "-i", "--proxy", airlock.proxy, "--cacert", str(airlock.ca), "https://evil.example.com/"],
        capture_output=True, timeout=20,
    )
    assert b"403" in result.stdout.split(b"\r\n", 1)[0] or b"403" in result.stderr
    sock = raw_connect(airlock, "evil.example.com:443")
    response = read_response(sock)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403")
    assert b"x-airlock-denied: host_not_allowlisted" in head.lower()
    error = json.loads(body)["error"]
    assert error["type"] == "airlock_denied" and error["reason"] == "host_not_allowlisted" and error["host"] == "evil.example.com"
    assert error["message"]
    assert server.state.connections == 0


@pytest.mark.parametrize(
    "target,reason",
    [
        ("api.openai.com:8443", "port_not_allowed"),
        ("127.0.0.1:443", "ip_literal_not_allowed"),
        ("2130706433:443", "ip_literal_not_allowed"),
        ("[::1]:443", "ip_literal_not_allowed"),
        ("api.openai.com.evil.com:443", "host_not_allowlisted"),
    ],
)
def test_connect_refusals(airlock, standin, target, reason):
    server, _ = standin
    server.state.reset()
    response = read_response(raw_connect(airlock, target))
    assert response.startswith(b"HTTP/1.1 403")
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == reason
    assert server.state.connections == 0


def test_absolute_form_http_is_refused(airlock, standin):
    sock = socket.create_connection(("127.0.0.1", airlock.port), timeout=10)
    sock.sendall(b"POST http://api.openai.com/v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 2\r\n\r\n{}")
    response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 403")
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == "scheme_not_allowed"


def test_sse_arrives_incrementally(airlock, standin):
    """The stand-in sends the first event and holds the rest until this test has read that event through the proxy:
    a proxy that buffered the stream would never deliver it, and the read times out."""
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    with session.post("https://api.openai.com/sse", json={"stream": True}, stream=True, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        lines = response.iter_lines()
        first = next(line for line in lines if line)
        assert first == b'data: {"n": 1}'
        assert server.state.sse_first_sent.is_set() and not server.state.sse_release.is_set()
        server.state.sse_release.set()
        rest = [line for line in lines if line]
    assert rest == [b'data: {"n": 2}', b"data: [DONE]"]


def test_chunked_response_is_relayed(airlock, standin):
    body, code = split(curl(airlock, "https://api.openai.com/chunked"))
    assert code == 200 and json.loads(body) == {"parts": [1, 2, 3]}


def test_host_header_mismatch_is_refused(airlock, standin):
    server, _ = standin
    server.state.reset()
    body, code = split(curl(airlock, "https://api.openai.com/v1/models", "-H", "Host: api.anthropic.com"))
    assert code == 403
    assert json.loads(body)["error"]["reason"] == "host_header_mismatch"
    assert not server.state.requests


@pytest.mark.parametrize("server_name,reason", [("api.anthropic.com", "sni_mismatch"), (None, "sni_missing")])
def test_sni_must_name_the_connect_host(airlock, standin, server_name, reason):
    server, _ = standin
    server.state.reset()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    tls = context.wrap_socket(open_tunnel(airlock, "api.openai.com"), server_hostname=server_name)
    tls.sendall(b"GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\n\r\n")
    response = read_response(tls)
    assert response.startswith(b"HTTP/1.1 403")
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == reason
    assert not server.state.requests


def open_tunnel(airlock, host: str) -> socket.socket:
    """CONNECT through Airlock and return the socket once the 200 has been read."""
    sock = raw_connect(airlock, f"{host}:443")
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def intercepted(airlock, host: str = "api.openai.com") -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(airlock.ca))
    return context.wrap_socket(open_tunnel(airlock, host), server_hostname=host)


def test_oversized_body_gets_413(tmp_path, standin):
    server, ca = standin
    server.state.reset()
    with launched(tmp_path, server, ca) as instance:
        # limits.max_request_body defaults to 32 MiB; send a declared 40 MiB body
        tls = intercepted(instance)
        tls.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 41943040\r\n\r\n")
        response = read_response(tls)
        assert response.startswith(b"HTTP/1.1 413")
        assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == "request_too_large"
        # and a chunked body that grows past the limit
        body, code = split(curl(instance, "https://api.openai.com/v1/x", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + str(big_file(tmp_path))))
        assert code == 413
        assert not server.state.requests


def buffered_bytes(instance) -> int:
    """Bytes of request bodies and WebSocket messages Airlock holds in its shared budget now, from /metrics."""
    metrics = requests.get(f"http://127.0.0.1:{instance.admin_port}/metrics", timeout=5).text
    return int(float(re.search(r"^airlock_buffered_request_body_bytes (\S+)$", metrics, re.M).group(1)))


def test_bodies_held_at_once_are_bounded_across_connections(tmp_path, standin):
    """A body that would take Airlock past limits.max_buffered_bodies is refused with 503 and Retry-After, in the
    provider's error shape and with a ledger record; the bytes come back once the bodies held are let go."""
    server, ca = standin
    server.state.reset()
    config = tmp_path / "airlock.yaml"
    config.write_text("limits:\n  max_request_body: 64KiB\n  max_buffered_bodies: 96KiB\n")

    def body(size: int, marker: str) -> bytes:
        text = json.dumps({"model": "gpt-test", "messages": [{"role": "user", "content": marker}]})
        return text[:-3].encode() + b" " * (size - len(text)) + text[-3:].encode()

    def post(instance, payload: bytes) -> bytes:
        tls = intercepted(instance)
        tls.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\n"
                    + b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
        response = read_response(tls)
        tls.close()
        return response

    with launched(tmp_path, server, ca, extra=["--config", str(config)]) as instance:
        held = body(65536, "held body")
        first = intercepted(instance)
        first.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\n"
                      + b"Content-Length: 65536\r\n\r\n" + held[:60000])
        deadline = time.time() + 10
        while buffered_bytes(instance) < 60000 and time.time() < deadline:
            time.sleep(0.05)
        assert buffered_bytes(instance) == 60000

        refused = post(instance, body(40000, "second body"))
        head, _, payload = refused.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), head
        assert b"\r\nretry-after: 1\r\n" in head.lower()
        error = json.loads(payload)["error"]
        assert error["code"] == error["reason"] == "buffered_bodies_limit"
        assert "limits.max_buffered_bodies" in error["message"]
        assert not server.state.requests
        assert buffered_bytes(instance) == 60000

        # The refused body was given back; the first one completes and is forwarded whole.
        first.sendall(held[60000:])
        response = read_response(first)
        assert response.startswith(b"HTTP/1.1 200"), response[:80]
        first.close()
        assert [json.loads(r.body)["messages"][0]["content"] for r in server.state.requests] == ["held body"]

        # The first exchange is over: the second body now fits. And a body is let go as soon as its response
        # starts, not when the response ends: here while the stand-in holds back the stream's last event.
        assert post(instance, body(40000, "second body")).startswith(b"HTTP/1.1 200")
        session = proxied_session(instance)
        streamed = body(20000, "streamed body")
        headers = {"Content-Type": "application/json"}
        with session.post("https://api.openai.com/sse", data=streamed, headers=headers, stream=True, timeout=20) as response:
            lines = response.iter_lines()
            assert next(line for line in lines if line) == b'data: {"n": 1}'
            assert not server.state.sse_release.is_set()
            assert buffered_bytes(instance) == 0
            server.state.sse_release.set()
            assert [line for line in lines if line][-1] == b"data: [DONE]"
        ledger = subprocess.run(
            [str(BINARY), "ledger", "query", "--format", "jsonl", "--state-dir", str(instance.state_dir)],
            capture_output=True, check=True, timeout=30).stdout.decode().splitlines()
        refusals = [r for r in map(json.loads, ledger) if r.get("reason") == "buffered_bodies_limit"]
        assert [(r["decision"], r["host"]) for r in refusals] == [("error", "api.openai.com")]
        assert_absent(wait_for_log(instance, "reason=buffered_bodies_limit"), "second body", "held body", "streamed body")


def big_file(tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.write(b"a" * (33 * 1024 * 1024))
    return path


def test_content_length_with_transfer_encoding_is_refused(airlock, standin):
    server, _ = standin
    server.state.reset()
    tls = intercepted(airlock)
    tls.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    response = read_response(tls)
    assert response.startswith(b"HTTP/1.1 400")
    body = json.loads(response.partition(b"\r\n\r\n")[2])
    assert body["error"]["type"] == "airlock_error"
    # the connection is closed afterwards
    tls.settimeout(5)
    assert tls.recv(1) == b""
    assert not server.state.requests


def test_conflicting_content_lengths_are_refused(airlock, standin):
    server, _ = standin
    server.state.reset()
    tls = intercepted(airlock)
    tls.sendall(b"POST /v1/x HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
    response = read_response(tls)
    assert response.startswith(b"HTTP/1.1 400"), response[:80]
    # Refused by the HTTP parser, which takes a second Content-Length for a malformed head, or by Airlock's own
    # framing check behind it.
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] in ("malformed_request", "conflicting_framing")
    # The connection is closed: what follows the head cannot be told apart from a next request.
    tls.settimeout(5)
    assert tls.recv(1) == b""
    assert not server.state.requests and server.state.connections == 0


def test_many_requests_share_one_tunnel(airlock, standin):
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    for i in range(20):
        response = session.post("https://api.openai.com/v1/echo", json={"i": i}, timeout=10)
        assert response.status_code == 200
        assert json.loads(response.json()["body"]) == {"i": i}
    assert len(server.state.requests) == 20
    # one client tunnel, and upstream connections pooled rather than one per request
    assert server.state.connections <= 2


def test_host_checked_on_every_request_of_a_tunnel(airlock, standin):
    server, _ = standin
    server.state.reset()
    tls = intercepted(airlock)
    tls.sendall(b"GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\n\r\n")
    assert read_response(tls).startswith(b"HTTP/1.1 200")
    assert [(r.method, r.path) for r in server.state.requests] == [("GET", "/v1/models")]
    tls.sendall(b"POST /v1/echo HTTP/1.1\r\nHost: evil.example.com\r\nContent-Length: 2\r\n\r\n{}")
    response = read_response(tls)
    assert response.startswith(b"HTTP/1.1 403"), response[:80]
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == "host_header_mismatch"
    # Only the first request reached the provider.
    assert [(r.method, r.path) for r in server.state.requests] == [("GET", "/v1/models")]


def test_method_and_path_rules(airlock, standin):
    server, _ = standin
    server.state.reset()
    body, code = split(curl(airlock, "https://other.test/v1/things", "--data", "{}"))
    assert code == 200
    assert [(r.method, r.path) for r in server.state.requests] == [("POST", "/v1/things")]
    for args, reason in (
        (("https://other.test/v1/things",), "method_not_allowed"),
        (("https://other.test/admin", "--data", "{}"), "path_not_allowed"),
        (("https://other.test/v1/%2e%2e/admin", "--data", "{}", "--path-as-is"), "path_not_canonical"),
        (("https://other.test/v1/%2E%2E/admin", "--data", "{}", "--path-as-is"), "path_not_canonical"),
        (("https://other.test/v1/../admin", "--data", "{}", "--path-as-is"), "path_not_canonical"),
    ):
        server.state.reset()
        body, code = split(curl(airlock, *args))
        assert (code, json.loads(body)["error"]["reason"]) == (403, reason), args
        # Refused before anything left: the stand-in got neither the request nor a connection for it.
        assert not server.state.requests, args


def test_tunnel_mode_relays_without_interception(airlock, standin):
    server, standin_ca = standin
    result = subprocess.run(
        ["curl", "-sS", "--proxy", airlock.proxy, "--cacert", str(standin_ca), "https://tunnel.test/v1/echo", "--data", "tunnelled"],
        capture_output=True, timeout=20,
    )
    # The certificate is the stand-in's own: Airlock did not terminate TLS.
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["body"] == "tunnelled"


def test_upstream_certificate_is_verified(tmp_path, standin):
    server, _ = standin
    # Without --upstream-ca the stand-in's certificate is not trusted: Airlock answers 502, never forwards.
    instance = launch(tmp_path, server, tmp_path / "missing-ca.pem", expect_ready=False)
    instance.process.wait(timeout=20)
    assert instance.process.returncode != 0
    ca_file = tmp_path / "other-ca.pem"
    from standin import make_test_pki
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_ca, _, _ = make_test_pki(other_dir)
    sub = tmp_path / "run2"
    sub.mkdir()
    with launched(sub, server, other_ca) as instance:
        server.state.reset()
        body, code = split(curl(instance, "https://api.openai.com/v1/models"))
        assert code == 502
        assert json.loads(body)["error"]["reason"] == "upstream_tls_failed"
        assert not server.state.requests


def test_sighup_reloads_allowlist(airlock, standin):
    body, code = split(curl(airlock, "https://api.anthropic.com/v1/messages", "--data", "{}"))
    assert code == 200
    airlock.allowlist.write_text("version: 1\nentries:\n  - host: api.openai.com\n    purpose: only OpenAI now\n")
    airlock.process.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        body, code = split(curl(airlock, "https://api.anthropic.com/v1/messages", "--data", "{}"))
        if code == 403:
            break
        time.sleep(0.1)
    assert code == 403
    response = read_response(raw_connect(airlock, "api.anthropic.com:443"))
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == "host_not_allowlisted"
    # An invalid allowlist on reload keeps the previous one. Had the broken file been taken, even in part, Anthropic
    # would be allowed and OpenAI not: the old allowlist still decides both.
    airlock.allowlist.write_text(
        "version: 1\nentries:\n  - host: api.anthropic.com\n    purpose: only Anthropic\n    mode: sideways\n")
    airlock.process.send_signal(signal.SIGHUP)
    assert "reload failed; keeping the previous allowlist" in wait_for_log(airlock, "reload failed")
    body, code = split(curl(airlock, "https://api.openai.com/v1/models"))
    assert code == 200
    body, code = split(curl(airlock, "https://api.anthropic.com/v1/messages", "--data", "{}"))
    assert code == 403
    response = read_response(raw_connect(airlock, "api.anthropic.com:443"))
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == "host_not_allowlisted"


def test_sigterm_finishes_in_flight_request_and_exits_zero(airlock, standin):
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    result: dict = {}

    def stream():
        with session.post("https://api.openai.com/sse", json={}, stream=True, timeout=20) as response:
            result["lines"] = [line for line in response.iter_lines() if line]

    thread = threading.Thread(target=stream)
    thread.start()
    assert server.state.sse_first_sent.wait(10)
    airlock.process.send_signal(signal.SIGTERM)
    # No new connections are accepted: the listener closes while the stream is still open (the stand-in holds its
    # last event), so a connection attempt is refused by the system rather than answered.
    assert wait_for_log(airlock, "shutting down: no new connections")
    deadline = time.time() + 5
    while True:
        try:
            with socket.create_connection(("127.0.0.1", airlock.port), timeout=2):
                accepted = True
        except ConnectionRefusedError:
            accepted = False
        if not accepted or time.time() >= deadline:
            break
        time.sleep(0.05)
    assert not accepted, "a connection was accepted after SIGTERM"
    assert airlock.process.poll() is None and thread.is_alive(), "the in-flight stream did not wait for its end"
    server.state.sse_release.set()
    thread.join(10)
    assert result["lines"] == [b'data: {"n": 1}', b'data: {"n": 2}', b"data: [DONE]"]
    assert airlock.process.wait(timeout=20) == 0


def test_invalid_allowlist_refuses_to_start(tmp_path, standin):
    server, ca = standin
    instance = launch(tmp_path, server, ca, allowlist="version: 1\nentries:\n  - host: api.openai.com\n    mode: sideways\n", expect_ready=False)
    assert instance.process.wait(timeout=20) == 2
    err = instance.stderr_path.read_text()
    assert "allowlist.yaml:4:11" in err and "unknown mode" in err


def test_non_loopback_listen_requires_proxy_auth(tmp_path, standin):
    server, ca = standin
    instance = launch(tmp_path, server, ca, extra=["--listen", "0.0.0.0:0"], expect_ready=False)
    assert instance.process.wait(timeout=20) == 2
    assert "proxy authentication" in instance.stderr_path.read_text()


def test_proxy_authentication(tmp_path, standin):
    server, ca = standin
    creds = tmp_path / "creds"
    creds.write_text("alice:s3cret-canary-pw\n")
    instance = launch(tmp_path, server, ca, extra=["--proxy-auth-file", str(creds)])
    try:
        response = read_response(raw_connect(instance, "api.openai.com:443"))
        assert response.startswith(b"HTTP/1.1 407")
        assert b"proxy-authenticate: basic" in response.lower()
        ok = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--proxy", instance.proxy, "--proxy-user", "alice:s3cret-canary-pw",
             "--cacert", str(instance.ca), "https://api.openai.com/v1/models"], capture_output=True, timeout=20,
        )
        assert ok.stdout == b"200"
        bad = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_connect}", "--proxy", instance.proxy, "--proxy-user", "alice:wrong",
             "--cacert", str(instance.ca), "https://api.openai.com/v1/models"], capture_output=True, timeout=20,
        )
        assert bad.stdout == b"407"
    finally:
        instance.stop()
    assert_absent(instance.output(), "s3cret-canary-pw", base64.b64encode(b"alice:s3cret-canary-pw").decode())


def test_sighup_rotates_proxy_credentials_and_names_the_keys_that_need_a_restart(tmp_path, standin):
    server, ca = standin
    old, new = "alice:old-canary-pw1", "bob:new-canary-pw2"
    # The passwords, and the Proxy-Authorization values that carry them.
    canaries = ("old-canary-pw1", "new-canary-pw2", base64.b64encode(old.encode()).decode(),
                base64.b64encode(new.encode()).decode())
    creds = tmp_path / "creds"
    creds.write_text(old + "\n")
    settings = tmp_path / "airlock.yaml"
    settings.write_text("limits:\n  max_request_body: 1MiB\n")

    def status(instance, user: str) -> str:
        """`CONNECT-status request-status` for a request made with `user` as the proxy credentials."""
        result = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_connect} %{http_code}", "--proxy", instance.proxy,
             "--proxy-user", user, "--cacert", str(instance.ca), "https://api.openai.com/v1/models"],
            capture_output=True, timeout=20,
        )
        return result.stdout.decode()

    def reload(instance, marker: str) -> None:
        instance.process.send_signal(signal.SIGHUP)
        wait_for_log(instance, marker)

    with launched(tmp_path, server, ca, extra=["--proxy-auth-file", str(creds), "--config", str(settings)]) as instance:
        session = proxied_session(instance)
        session.proxies = {"https": f"http://{old}@127.0.0.1:{instance.port}"}
        assert session.get("https://api.openai.com/v1/models", timeout=20).status_code == 200
        assert status(instance, old) == "200 200"

        creds.write_text("# rotated\n" + new + "\n")
        settings.write_text("limits:\n  max_request_body: 2MiB\n")
        reload(instance, "configuration changes take effect on the next start")
        output = instance.output()
        assert_absent(output, *canaries)
        assert_present(output, "proxy_credentials=reloaded", "keys=limits")
        assert status(instance, old) == "407 000"
        assert status(instance, new) == "200 200"
        # A tunnel opened with the old credentials was admitted when it opened and keeps working.
        assert session.get("https://api.openai.com/v1/models", timeout=20).status_code == 200

        # A file without a credential would leave nobody able to connect: the reload changes nothing.
        creds.write_text("# nobody\n")
        reload(instance, "reload failed")
        assert_present(instance.output(), "reload failed; keeping the previous allowlist, scrub policy and proxy credentials")
        assert status(instance, new) == "200 200"
    assert_absent(instance.output(), *canaries)


LOG_CANARY = "CANARY-q7Zp3"
PATH_TOKEN = "q7Zp3CANARYpathToken0123456789"  # a credential carried in a path segment
SECRET_CANARY = "ghp_q7Zp3CanaryT0kenRw8Xn2Lb5Vd9Hs4Kj6Mf1"


def send_log_canaries(airlock) -> None:
    """Requests whose query strings, headers, bodies, path segments and CONNECT targets carry canaries: allowed,
    redacted, denied and malformed."""
    canary = LOG_CANARY
    curl(airlock, f"https://api.openai.com/v1/models?key={canary}-query",
         "-H", f"Authorization: Bearer {canary}-auth", "-H", f"x-api-key: {canary}-xkey",
         "-H", f"Cookie: session={canary}-cookie", "--data", f'{{"prompt": "{canary}-body"}}')
    curl(airlock, "https://api.openai.com/v1/chat/completions", "--data",
         json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": f"my token is {SECRET_CANARY}"}]}))
    curl(airlock, f"https://evil.example.com/path?token={canary}-denied")
    curl(airlock, f"https://api.openai.com/bot42:{PATH_TOKEN}/sendMessage")
    # Malformed CONNECT targets: a query string and userinfo are refused and not echoed into the log.
    for target in (f"api.openai.com:443?key={canary}-connect", f"user:{canary}-userinfo@api.openai.com:443"):
        with socket.create_connection(("127.0.0.1", airlock.port), timeout=10) as sock:
            sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n".encode())
            assert read_response(sock).split(b" ")[1] in (b"400", b"403")
    assert airlock.stop() == 0


def assert_no_canaries(output: str) -> None:
    assert_absent(output, LOG_CANARY, PATH_TOKEN, SECRET_CANARY, SECRET_CANARY[4:])


def test_logs_hold_no_query_strings_bodies_or_credentials(airlock, standin):
    send_log_canaries(airlock)
    output = airlock.output()
    assert_no_canaries(output)
    assert_present(output, "request", "/v1/models", "/bot42:{id}/sendMessage", "scrub=redacted findings=github-pat:1")


def test_json_logs_are_one_object_per_line_with_typed_fields(tmp_path, standin):
    server, ca = standin
    server.state.reset()
    with launched(tmp_path, server, ca, extra=["--log-format", "json"]) as instance:
        send_log_canaries(instance)
        errors = instance.stderr_path.read_text()
    assert_no_canaries(instance.output())
    records = [json.loads(line) for line in errors.splitlines()]
    assert all(list(r)[:4] == ["time", "level", "label", "message"] for r in records)
    assert any(r["message"].startswith("airlock admin listening on 127.0.0.1:") for r in records)
    requests_logged = [r for r in records if r["message"] == "request"]
    by_path = {r["path"]: r for r in requests_logged}
    models = by_path["/v1/models"]
    assert (models["decision"], models["status"], models["method"], models["host"]) == (
        "allowed", 200, "POST", "api.openai.com")
    assert isinstance(models["duration_ms"], (int, float)) and "scrub" not in models
    chat = by_path["/v1/chat/completions"]
    assert (chat["scrub"], chat["findings"], chat["status"]) == ("redacted", {"github-pat": 1}, 200)
    denied = [r for r in requests_logged if r["host"] == "evil.example.com"]
    assert [(r["decision"], r["status"], r["reason"]) for r in denied] == [("denied", 403, "host_not_allowlisted")]
    assert "/bot42:{id}/sendMessage" in by_path


def test_log_format_and_level_are_checked(tmp_path, standin):
    server, ca = standin
    for flags, problem in ((["--log-format", "xml"], "--log-format must be text or json"),
                           (["--log-level", "verbose"], "--log-level must be one of trace")):
        instance = launch(tmp_path, server, ca, extra=flags, expect_ready=False)
        assert instance.process.wait(timeout=30) == 2
        assert problem in instance.stderr_path.read_text()


def test_pipelined_requests_are_answered_in_order(airlock, standin):
    server, _ = standin
    server.state.reset()
    tls = intercepted(airlock)
    requests_bytes = b"".join(
        b"POST /v1/echo HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        for body in (b'{"n":1}', b'{"n":2}', b'{"n":3}')
    )
    tls.sendall(requests_bytes)
    bodies = [json.loads(json.loads(read_response(tls).partition(b"\r\n\r\n")[2])["body"]) for _ in range(3)]
    assert bodies == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_allowlisted_name_resolving_to_loopback_is_refused(tmp_path, standin):
    server, ca = standin
    server.state.reset()
    allowlist = "version: 1\nentries:\n  - host: localhost\n    purpose: resolves to loopback, so must be refused\n"
    with launched(tmp_path, server, ca, allowlist=allowlist) as instance:
        response = read_response(raw_connect(instance, "localhost:443"))
        assert response.startswith(b"HTTP/1.1 403")
        error = json.loads(response.partition(b"\r\n\r\n")[2])["error"]
        assert error["reason"] == "address_restricted" and error["host"] == "localhost"
        assert server.state.connections == 0


def test_incomplete_request_heads_are_cut_off(tmp_path, standin):
    server, ca = standin
    config = tmp_path / "airlock.yaml"
    config.write_text("timeouts:\n  request_head: 1s\n")
    with launched(tmp_path, server, ca, extra=["--config", str(config)]) as instance:
        sock = socket.create_connection(("127.0.0.1", instance.port), timeout=10)
        sock.sendall(b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.op")  # never finished
        started = time.time()
        assert sock.recv(1) == b""
        assert time.time() - started < 5
        tls = intercepted(instance)
        tls.sendall(b"GET /v1/models HTTP/1.1\r\nHost: api.op")  # inside the tunnel too
        started = time.time()
        assert tls.recv(1) == b""
        assert time.time() - started < 5


@contextlib.contextmanager
def plain_http(tmp_path, standin):
    """A proxy whose only entry is `plain.test` with scheme http, sent to a plain-HTTP stand-in: (proxy, stand-in)."""
    from standin import PlainStandinServer

    server, ca = standin
    plain = PlainStandinServer()
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    allowlist = "version: 1\nentries:\n  - host: plain.test\n    scheme: http\n    ports: [80]\n    purpose: a plain-HTTP service, on purpose\n"
    target = f"plain.test:80:127.0.0.1:{plain.server_address[1]}"
    try:
        with launched(tmp_path, server, ca, allowlist=allowlist, extra=["--connect-to", target]) as instance:
            yield instance, plain
    finally:
        plain.shutdown()


def test_plain_http_only_where_an_entry_says_so(tmp_path, standin):
    with plain_http(tmp_path, standin) as (instance, plain):
        body = json.dumps([{"plain": True}] * 100).encode()
        result = subprocess.run(
            ["curl", "-sS", "--proxy", instance.proxy, "http://plain.test/v1/echo", "--data-binary", body,
             "-H", "Content-Type: application/json"],
            capture_output=True, timeout=20,
        )
    assert json.loads(result.stdout)["body"] == body.decode()
    assert plain.state.requests[-1].path == "/v1/echo"
    assert "proxy-authorization" not in plain.state.requests[-1].headers


def test_large_upload_with_expect_continue_arrives_intact(standin, tmp_path):
    server, ca = standin
    server.state.reset()
    # A debug build scans 20 MiB of short lines more slowly than the default budget allows.
    config = tmp_path / "airlock.yaml"
    config.write_text("scrub:\n  time_budget: 120s\n")
    payload = tmp_path / "upload.json"
    prose = "The team reviewed the quarterly plan and agreed on the next steps for the launch.\n" * 250_000
    payload.write_text(json.dumps({"model": "m", "input": prose}))  # about 20 MiB, below the 32 MiB limit
    with launched(tmp_path, server, ca, extra=["--config", str(config)]) as airlock:
        body, code = split(curl(airlock, "https://api.openai.com/v1/upload", "--data-binary", f"@{payload}", timeout=120))
    assert code == 200
    assert server.state.requests[-1].body == payload.read_bytes()
    assert "expect" not in server.state.requests[-1].headers


def test_large_download_streams_intact(airlock, standin):
    size = 64 * 1024 * 1024
    with proxied_session(airlock).get(f"https://api.openai.com/big?n={size}", stream=True, timeout=60) as response:
        assert response.status_code == 200
        received = 0
        block = bytes(range(256)) * 256
        for chunk in response.iter_content(chunk_size=len(block)):
            assert chunk == block[: len(chunk)]
            received += len(chunk)
    assert received == size


def test_http2_clients_are_answered_in_http1(airlock, standin):
    """Airlock offers only HTTP/1.1 in ALPN, so a client that prefers HTTP/2 falls back to it; the HTTP/2 preface
    sent without asking is refused, not forwarded."""
    server, _ = standin
    server.state.reset()
    result = curl(airlock, "https://api.openai.com/v1/echo", "--http2", "--data", "{}", "-w", " %{http_version}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b" 1.1"), result.stdout[-40:]
    assert len(server.state.requests) == 1
    context = ssl.create_default_context(cafile=str(airlock.ca))
    context.set_alpn_protocols(["h2", "http/1.1"])
    tls = context.wrap_socket(open_tunnel(airlock, "api.openai.com"), server_hostname="api.openai.com")
    assert tls.selected_alpn_protocol() == "http/1.1"
    tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    response = read_response(tls)
    assert response.startswith(b"HTTP/1.1 400 "), response[:200]
    assert json.loads(response.partition(b"\r\n\r\n")[2])["error"]["reason"] == "malformed_request"
    assert len(server.state.requests) == 1
