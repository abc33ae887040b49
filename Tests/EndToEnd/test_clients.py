"""`eval "$(airlock env)"` alone routes curl, requests, httpx and the official SDKs through Airlock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BINARY

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
    assert server.state.requests, "the request did not reach the stand-in"
