"""Every state of a client connection has a deadline, a refused host is never kept verbatim, and the client's TLS
leg offers forward-secret AEAD suites only."""
from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from conftest import assert_absent, launched
from standin import start_standin
from test_ledger import records, wait_for
from test_proxy import proxied_session, raw_connect, read_response
from test_scrub import config

# A GitLab token shape as the first label of a host: random, never a real credential.
HOST_CANARY = "glpat-" + "Qz7Lm2Kx9Rt4Vw8Bn3Hc"


def closed_by_peer(sock: socket.socket, within: float) -> bool:
    """Whether the proxy closes the connection within `within` seconds (anything it sends first is read past)."""
    sock.settimeout(0.2)
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def open_connections(airlock) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{airlock.admin_port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith("airlock_open_connections"):
            return float(line.split()[-1])
    raise AssertionError("no open-connections gauge")


def connected(airlock) -> socket.socket:
    sock = raw_connect(airlock, "api.openai.com:443")
    assert read_response(sock).startswith(b"HTTP/1.1 200")
    return sock


def test_a_client_that_half_closes_before_its_client_hello_is_closed(tmp_path, standin):
    server, ca = standin
    # The deadlines are long, so only the half-close can explain a prompt close.
    options = config(tmp_path, "timeouts:\n  request_head: 60s\n  idle: 60s\n")
    with launched(tmp_path, server, ca, extra=options) as airlock:
        socks = []
        for partial in [b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"]:
            sock = connected(airlock)
            sock.sendall(partial)
            sock.shutdown(socket.SHUT_WR)
            socks.append(sock)
        for sock in socks:
            assert closed_by_peer(sock, within=5)
            sock.close()
        assert wait_for(lambda: open_connections(airlock) == 0)


def test_a_client_that_never_sends_its_client_hello_is_closed_at_the_head_deadline(tmp_path, standin):
    server, ca = standin
    options = config(tmp_path, "timeouts:\n  request_head: 1s\n  idle: 60s\n")
    with launched(tmp_path, server, ca, extra=options) as airlock:
        silent = connected(airlock)
        partial = connected(airlock)
        partial.sendall(b"\x16\x03\x01\x02\x00")
        started = time.time()
        assert closed_by_peer(silent, within=10) and closed_by_peer(partial, within=10)
        assert time.time() - started < 10
        assert wait_for(lambda: open_connections(airlock) == 0)


def test_a_refused_hosts_secret_is_kept_nowhere(airlock, standin):
    server, _ = standin
    server.state.reset()
    target = f"{HOST_CANARY}.collector.invalid:443"
    sock = raw_connect(airlock, target)
    response = read_response(sock)
    sock.close()
    assert response[:12] == b"HTTP/1.1 403"
    assert_absent(response, HOST_CANARY)
    rows = wait_for(lambda: [r for r in records(airlock) if r.get("decision") == "denied"])
    unsafe = bool(rows) and rows[-1]["host"] == "[unsafe]"
    assert unsafe, "the refused host was kept as it was sent"
    assert_absent(json.dumps(rows).lower(), HOST_CANARY.lower())
    assert_absent(airlock.output().lower(), HOST_CANARY.lower())
    for path in sorted(airlock.state_dir.rglob("*")):
        if path.is_file():
            assert_absent(path.read_bytes().lower(), HOST_CANARY.lower(), where=path.name)
    assert server.state.requests == []


def test_a_long_refused_host_is_capped(airlock, standin):
    label = "a" * 60
    sock = raw_connect(airlock, f"{label}.{label}.example.com:443")
    assert read_response(sock)[:12] == b"HTTP/1.1 403"
    sock.close()
    rows = wait_for(lambda: [r for r in records(airlock) if r.get("decision") == "denied"])
    capped = bool(rows) and rows[-1]["host"] == "[unsafe]"
    assert capped, "a host longer than 64 characters was kept"


def s_client(airlock, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", "s_client", "-proxy", f"127.0.0.1:{airlock.port}", "-connect", "api.openai.com:443",
         "-servername", "api.openai.com", "-CAfile", str(airlock.ca), *args],
        input=b"", capture_output=True, timeout=30,
    )


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256"])
def test_the_client_leg_refuses_cbc_suites(airlock, standin, cipher):
    result = s_client(airlock, "-tls1_2", "-cipher", cipher)
    assert b"no peer certificate available" in result.stdout and b"Cipher is (NONE)" in result.stdout
    assert b"alert handshake failure" in result.stderr


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"])
def test_the_client_leg_offers_aead_suites(airlock, standin, cipher):
    result = s_client(airlock, "-tls1_2", "-cipher", cipher)
    assert f"Cipher is {cipher}".encode() in result.stdout
    assert b"Verify return code: 0 (ok)" in result.stdout


def test_the_upstream_leg_refuses_a_provider_that_offers_only_cbc_suites(tmp_path):
    directory = tmp_path / "cbc-standin"
    directory.mkdir()
    server, ca = start_standin(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "standin.pem", directory / "standin-key.pem")
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA")
    server.ssl_context = context
    try:
        with launched(tmp_path, server, ca) as airlock:
            response = proxied_session(airlock).post(
                "https://api.openai.com/v1/chat/completions", json={"model": "m", "messages": []}, timeout=20)
            assert response.status_code == 502
            assert response.json()["error"]["reason"] == "upstream_tls_failed"
            assert server.state.requests == []
    finally:
        server.shutdown()
