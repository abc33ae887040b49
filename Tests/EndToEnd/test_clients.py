"""`eval "$(airlock env)"` alone routes curl, requests, httpx and the official SDKs through Airlock."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import BINARY, launched

HERE = Path(__file__).resolve().parent
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and k not in (
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")}


def with_airlock_env(airlock, command: str) -> subprocess.CompletedProcess:
    script = f'eval "$("{BINARY}" env --state-dir "{airlock.state_dir}" --listen 127.0.0.1:{airlock.port})"\n{command}'
    return subprocess.run(["bash", "-c", script], capture_output=True, timeout=60, env=CLEAN_ENV, cwd=HERE)


def test_env_prints_the_documented_variables(airlock):
    result = with_airlock_env(airlock, "env")
    assert result.returncode == 0, result.stderr
    env = dict(line.split("=", 1) for line in result.stdout.decode().splitlines() if "=" in line)
    assert env["HTTPS_PROXY"] == f"http://127.0.0.1:{airlock.port}"
    assert env["NODE_USE_ENV_PROXY"] == "1"
    assert env["NODE_EXTRA_CA_CERTS"] == str(airlock.state_dir / "ca.pem")
    bundle = Path(env["SSL_CERT_FILE"])
    assert env["REQUESTS_CA_BUNDLE"] == env["CURL_CA_BUNDLE"] == str(bundle)
    text = bundle.read_text()
    # system roots and the Airlock CA, because these variables replace the trust store
    assert (airlock.state_dir / "ca.pem").read_text().strip() in text
    assert text.count("BEGIN CERTIFICATE") > 1
    assert "127.0.0.1" in env["NO_PROXY"]


def test_curl_with_env_only(airlock, standin):
    result = with_airlock_env(airlock, "curl -sS https://api.openai.com/v1/echo -H 'Content-Type: application/json' --data '\"plain-curl\"'")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["body"] == "\"plain-curl\""
    denied = with_airlock_env(airlock, "curl -sS -o /dev/null -w '%{http_connect}' https://evil.example.com/")
    assert denied.stdout == b"403"


@pytest.mark.parametrize("client", ["requests", "httpx", "denied"])
def test_python_http_clients(airlock, standin, client):
    result = with_airlock_env(airlock, f"{sys.executable} sdk_client.py {client} plain")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    text = json.loads(result.stdout)["text"]
    if client == "denied":
        assert "403" in text
    else:
        assert json.loads(text) == {"via": client}


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
@pytest.mark.parametrize("mode", ["plain", "stream"])
def test_official_sdks(airlock, standin, provider, mode):
    server, _ = standin
    server.state.reset()
    result = with_airlock_env(airlock, f"{sys.executable} sdk_client.py {provider} {mode}")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert json.loads(result.stdout)["text"] == "stand-in reply"
    # One request reached the stand-in, and it is the one the SDK made: its endpoint, key and prompt.
    assert len(server.state.requests) == 1, [r.path for r in server.state.requests]
    received = server.state.requests[0]
    body = json.loads(received.body)
    stream = mode == "stream"
    if provider == "openai":
        assert (received.method, received.path) == ("POST", "/v1/chat/completions")
        assert received.headers["authorization"] == "Bearer sk-test-not-a-real-key"
        assert (body["model"], body["messages"]) == ("gpt-test", [{"role": "user", "content": "hello"}])
        assert body.get("stream", False) is stream
    elif provider == "anthropic":
        assert (received.method, received.path) == ("POST", "/v1/messages")
        # The key as x-api-key, or as a bearer token (newer SDKs).
        assert "sk-ant-test-not-a-real-key" in (received.headers.get("x-api-key"), received.headers.get("authorization", "").removeprefix("Bearer "))
        assert (body["model"], body["max_tokens"], body["messages"]) == ("claude-test", 10, [{"role": "user", "content": "hello"}])
        assert body.get("stream", False) is stream
    else:
        operation = "streamGenerateContent" if stream else "generateContent"
        # The API version in the path is the SDK's choice (v1beta, or v1 in newer SDKs).
        assert received.method == "POST" and received.path.split("?")[0] in (
            f"/v1beta/models/gemini-test:{operation}", f"/v1/models/gemini-test:{operation}")
        assert received.headers["x-goog-api-key"] == "test-not-a-real-key"
        assert [p["text"] for c in body["contents"] for p in c["parts"]] == ["hello"]


def test_openai_sdk_waits_out_a_full_body_budget_and_retries(tmp_path, standin):
    """While other bodies fill limits.max_buffered_bodies, a request is refused with 503 and Retry-After; the
    OpenAI SDK sends it again, and the retry goes through once there is room. Nothing is forwarded before."""
    from test_ledger import records, wait_for

    server, ca = standin
    server.state.reset()
    config = tmp_path / "airlock.yaml"
    config.write_text("limits:\n  max_request_body: 64KiB\n  max_buffered_bodies: 64KiB\n")
    with launched(tmp_path, server, ca, extra=["--config", str(config)]) as instance:
        # A body that leaves 36 bytes of the budget, held open.
        context = ssl.create_default_context(cafile=str(instance.ca))
        raw = socket.create_connection(("127.0.0.1", instance.port), timeout=10)
        raw.sendall(b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        held = context.wrap_socket(raw, server_hostname="api.openai.com")
        body = b'{"model": "gpt-test", "messages": []' + b" " * (65536 - 38) + b"}\n"
        held.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 65536\r\n\r\n" + body[:65500])

        outcome = {}
        command = f"AIRLOCK_TEST_RETRIES=2 {sys.executable} sdk_client.py openai plain"
        sdk = threading.Thread(target=lambda: outcome.setdefault("result", with_airlock_env(instance, command)))
        sdk.start()
        deadline = time.time() + 20
        while "reason=buffered_bodies_limit" not in instance.output() and time.time() < deadline:
            time.sleep(0.05)
        assert "reason=buffered_bodies_limit" in instance.output()
        assert len(server.state.requests) == 0
        held.sendall(body[65500:])
        assert held.recv(4096).startswith(b"HTTP/1.1 200")
        held.close()

        sdk.join(timeout=30)
        result = outcome["result"]
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        assert json.loads(result.stdout)["text"] == "stand-in reply"
        # The held body, then the SDK's request: not its first attempt, which was refused, but its retry. The SDK
        # waits a second (Retry-After) before it retries, so there is room by then, and one retry is all it takes.
        assert len(server.state.requests) == 2
        held_request, retried = server.state.requests
        assert "x-stainless-retry-count" not in held_request.headers
        assert retried.headers.get("x-stainless-retry-count") == "1"
        assert json.loads(retried.body)["messages"] == [{"role": "user", "content": "hello"}]
        assert instance.output().count("reason=buffered_bodies_limit") == 1
        refusals = wait_for(lambda: [r for r in records(instance) if r.get("reason") == "buffered_bodies_limit"])
        assert [(r["decision"], r["path"]) for r in refusals] == [("error", "/v1/chat/completions")]
