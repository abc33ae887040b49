"""The egress ledger through the real proxy: a record for every request, metadata only (canaries), tamper
evidence, crash safety, fail-closed behaviour, and the inspection commands."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import BINARY, TEST_ALLOWLIST, assert_absent, launch, launched, sweep_state_directory
from test_proxy import proxied_session, read_response

# Unique canaries, one per place a client can put something sensitive.
BODY_CANARY = "ghp_" + "LedgerBodyCanaryQ7mZ4xR9kT2vW6nB8pJ3"
PROSE_CANARY = "zebra-quartz-canary-prose-7731"
AUTH_CANARY = "sk-proj-" + "LedgerAuthCanary" + "x7Q2" * 8
XKEY_CANARY = "sk-ant-api03-" + "LedgerXKeyCanary" + "Zq8R" * 20
QUERY_CANARY = "AIzaLedgerQueryCanary_0123456789abcde"
LABEL_CANARY = "fencelabelcanary-k4w9"  # a code fence's label and a Gemini executableCode language
USERINFO_CANARY = "userinfo-canary-pw-5t8e"
MODEL_CANARY = "ghp_" + "ModelFieldCanary7Hq2Lw9Xr4Tz6Nb1Vc8Mk"  # a secret in the model field: safe characters only
PATH_MODEL_CANARY = "PathModelCanary8d2K7q9R4t1W6y3B5n0M"  # a key-like Gemini model segment
CANARIES = [BODY_CANARY, PROSE_CANARY, AUTH_CANARY, XKEY_CANARY, QUERY_CANARY, LABEL_CANARY, USERINFO_CANARY,
            MODEL_CANARY, PATH_MODEL_CANARY, "LedgerBodyCanary", "LedgerAuthCanary", "ModelFieldCanary"]


def ledger(airlock, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BINARY), "ledger", *args, "--state-dir", str(airlock.state_dir)], capture_output=True, timeout=30, check=check)


def records(airlock) -> list[dict]:
    return [json.loads(line) for line in ledger(airlock, "query", "--format", "jsonl", check=True).stdout.decode().splitlines()]


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.05)
    return predicate()


def chat(content: str, model: str = "gpt-test", stream: bool = False) -> dict:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": content}]}


def test_every_request_gets_a_metadata_record(airlock, standin):
    session = proxied_session(airlock)
    ok = session.post("https://api.openai.com/v1/chat/completions", json=chat("hello"), headers={"Authorization": "Bearer key-one-aaaaaaaa"}, timeout=20)
    assert ok.status_code == 200
    redacted = session.post("https://api.openai.com/v1/chat/completions", json=chat(f"my token {BODY_CANARY}"), headers={"Authorization": "Bearer key-two-bbbbbbbb"}, timeout=20)
    assert redacted.status_code == 200
    refused = session.post("https://api.anthropic.com/v1/messages", data=b"not json", headers={"Content-Type": "application/json"}, timeout=20)
    assert refused.status_code == 400
    with pytest.raises(requests.exceptions.ProxyError):
        session.get("https://evil.example.com/", timeout=20)

    rows = wait_for(lambda: (r := records(airlock)) and len(r) >= 4 and all(x["decision"] != "incomplete" for x in r) and r)
    by_decision = {r["decision"]: r for r in rows}
    assert set(by_decision) >= {"allowed", "redacted", "error", "denied"}

    allowed = by_decision["allowed"]
    assert allowed["provider"] == "openai" and allowed["operation"] == "chat" and allowed["request_model"] == "gpt-test"
    assert allowed["method"] == "POST" and allowed["host"] == "api.openai.com" and allowed["port"] == 443
    assert allowed["path"] == "/v1/chat/completions" and allowed["upstream_status"] == 200
    assert allowed["stream"] is False and allowed["request_bytes"] > 0 and allowed["response_bytes"] > 0
    assert allowed["credential_id"].startswith("cred_")
    assert by_decision["redacted"]["credential_id"] != allowed["credential_id"]
    assert by_decision["redacted"]["findings"] == {"github-pat": 1}
    assert by_decision["redacted"]["forwarded_bytes"] != by_decision["redacted"]["request_bytes"]
    assert by_decision["error"]["reason"] == "invalid_json"
    denied = by_decision["denied"]
    assert denied["host"] == "evil.example.com" and denied["reason"] == "host_not_allowlisted"
    assert ledger(airlock, "verify").returncode == 0


def test_requests_made_with_a_key_are_found_by_its_credential_id(airlock, standin):
    session = proxied_session(airlock)
    for key, count in ((AUTH_CANARY, 2), ("key-other-cccccccc", 1)):
        for _ in range(count):
            assert session.post("https://api.openai.com/v1/chat/completions", json=chat("hello"),
                                headers={"Authorization": f"Bearer {key}"}, timeout=20).status_code == 200
    assert session.post("https://api.anthropic.com/v1/messages", json={"model": "claude-test", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
                        headers={"x-api-key": XKEY_CANARY}, timeout=20).status_code == 200
    wait_for(lambda: len(records(airlock)) >= 4)

    def credential_id(text: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BINARY), "ledger", "credential-id", "--state-dir", str(airlock.state_dir)],
                              input=text.encode(), capture_output=True, timeout=30)

    found = credential_id(AUTH_CANARY + "\n")
    assert found.returncode == 0, found.stderr
    auth_id = found.stdout.decode().strip()
    assert auth_id.startswith("cred_")
    # A pasted Authorization value names the same key; an x-api-key value is the key itself.
    assert credential_id(f"Bearer {AUTH_CANARY}").stdout.decode().strip() == auth_id
    xkey_id = credential_id(XKEY_CANARY).stdout.decode().strip()
    assert xkey_id.startswith("cred_") and xkey_id != auth_id

    matching = ledger(airlock, "query", "--credential", auth_id, "--format", "jsonl", check=True).stdout.decode().splitlines()
    assert len(matching) == 2 and all(json.loads(line)["credential_id"] == auth_id for line in matching)
    assert [json.loads(line)["host"] for line in ledger(
        airlock, "query", "--credential", xkey_id, "--format", "jsonl", check=True).stdout.decode().splitlines()] == ["api.anthropic.com"]
    stats = ledger(airlock, "stats", "--by", "credential", check=True).stdout.decode().splitlines()
    assert stats[0].split()[:2] == ["credential", "requests"]
    counts = {line.split()[0]: line.split()[1] for line in stats[1:-1]}
    assert stats[1].split()[0] == auth_id and counts[auth_id] == "2" and counts[xkey_id] == "1" and len(counts) == 3
    assert stats[-1].split()[:2] == ["total", "4"]
    for empty, problem in (("", "no API key on standard input"), ("one\ntwo\n", "more than one line")):
        refused = credential_id(empty)
        assert refused.returncode == 2 and problem in refused.stderr.decode()
    outputs = [found.stdout + found.stderr, b"".join(ledger(airlock, *a).stdout for a in (("stats", "--by", "credential"), ("query",)))]
    assert_absent(outputs, AUTH_CANARY, "LedgerAuthCanary", XKEY_CANARY, "LedgerXKeyCanary", where="a ledger command's output")


@pytest.mark.parametrize("command", ["query", "stats", "export"])
@pytest.mark.parametrize(
    "option, value, suggestion",
    [("--decision", "redact", "redacted"), ("--decision", "Blocked", "blocked"), ("--decision", "eror", "error"),
     ("--provider", "gemini", "gcp.gemini"), ("--provider", "xyz", None)],
)
def test_unknown_filter_values_are_refused_with_a_suggestion(airlock, command, option, value, suggestion):
    """`--decision redact` once printed nothing, as if no request had been redacted."""
    refused = ledger(airlock, command, option, value)
    assert refused.returncode == 2 and refused.stdout == b""
    message = refused.stderr.decode()
    assert f"{option} '{value}' is not one of" in message
    if suggestion:
        assert f"did you mean '{suggestion}'?" in message
    else:
        assert "did you mean" not in message
    assert ledger(airlock, command, option, suggestion or "openai").returncode == 0


def test_blocked_requests_are_recorded(tmp_path, standin):
    server, ca = standin
    config = tmp_path / "airlock.yaml"
    config.write_text("scrub:\n  secrets: block\n")
    with launched(tmp_path, server, ca, extra=["--config", str(config)]) as airlock:
        response = proxied_session(airlock).post("https://api.openai.com/v1/chat/completions", json=chat(f"t {BODY_CANARY}"), timeout=20)
        assert response.status_code == 403
        row = wait_for(lambda: [r for r in records(airlock) if r["decision"] == "blocked"])
    assert row and row[0]["reason"] == "scrubber_blocked" and row[0]["findings"] == {"github-pat": 1}
    assert row[0]["forwarded_bytes"] == 0


def send_canaries(airlock) -> None:
    """Requests carrying each canary where a client can put it: allowed, redacted, refused and denied. Returns once
    the ledger holds a record of each."""
    session = proxied_session(airlock)
    body = chat(f"{PROSE_CANARY} and {BODY_CANARY}")
    session.post(f"https://api.openai.com/v1/chat/completions?key={QUERY_CANARY}", json=body,
                 headers={"Authorization": f"Bearer {AUTH_CANARY}"}, timeout=20)
    session.post("https://api.anthropic.com/v1/messages", json={"model": f"{PROSE_CANARY} is not a model name", "max_tokens": 5, "messages": [{"role": "user", "content": PROSE_CANARY}]},
                 headers={"x-api-key": XKEY_CANARY}, timeout=20)
    session.post(f"https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent?key={QUERY_CANARY}",
                 json={"contents": [{"parts": [{"text": PROSE_CANARY}]}]}, timeout=20)
    session.post(f"https://other.test/admin?key={QUERY_CANARY}", json=body, headers={"Authorization": f"Bearer {AUTH_CANARY}"}, timeout=20)
    session.post("https://api.anthropic.com/v1/messages", data=PROSE_CANARY.encode(), headers={"Content-Type": "text/plain", "x-api-key": XKEY_CANARY}, timeout=20)
    fenced = f"Why does this fail?\n```{LABEL_CANARY}\nlet total = compute(1, 2);\nprint(total);\nreturn total;\n```"
    session.post("https://api.openai.com/v1/chat/completions", json=chat(fenced), timeout=20)
    session.post("https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent",
                 json={"contents": [{"role": "model", "parts": [{"executableCode": {"language": LABEL_CANARY, "code": "x = 1\ny = 2"}}]}]},
                 timeout=20)
    with socket.create_connection(("127.0.0.1", airlock.port), timeout=10) as sock:
        sock.sendall(f"POST http://user:{USERINFO_CANARY}@api.openai.com/v1/chat/completions?key={QUERY_CANARY} HTTP/1.1\r\n"
                     "Host: api.openai.com\r\nContent-Length: 2\r\n\r\n{}".encode())
        assert read_response(sock).startswith(b"HTTP/1.1 400")  # userinfo in a request target is refused
    session.post("https://api.openai.com/v1/chat/completions", json={**chat("hi"), "model": MODEL_CANARY}, timeout=20)
    session.post(f"https://generativelanguage.googleapis.com/v1beta/models/{PATH_MODEL_CANARY}:generateContent",
                 json={"contents": [{"parts": [{"text": "hello"}]}]}, timeout=20)
    with pytest.raises(requests.exceptions.ProxyError):
        session.get(f"https://evil.example.com/?key={QUERY_CANARY}", timeout=20)
    assert wait_for(lambda: len(records(airlock)) >= 11), "the ledger did not record every request"


def test_no_canary_anywhere(airlock, standin):
    send_canaries(airlock)
    detectors = ledger(airlock, "stats", "--by", "detector").stdout
    assert b"code-code" in detectors
    metrics = requests.get(f"http://127.0.0.1:{airlock.admin_port}/metrics", timeout=5).content
    assert b'detector="code-code"' in metrics
    outputs = [metrics] + [ledger(airlock, *args).stdout for args in (
        ("query",), ("query", "--format", "json"), ("query", "--format", "csv"), ("tail", "-n", "50"),
        ("stats",), ("stats", "--by", "model"), ("stats", "--by", "detector"), ("export", "--format", "jsonl"),
        ("export", "--format", "csv"), ("checkpoint",), ("verify",))]
    assert_absent(outputs, *CANARIES, where="the metrics or a ledger command's output")
    # While Airlock runs, the newest records sit in the write-ahead log.
    assert "ledger.sqlite-wal" in sweep_state_directory(airlock.state_dir, *CANARIES, require_wal=True)
    assert airlock.stop() == 0
    assert_absent(airlock.output(), *CANARIES, where="the log")
    sweep_state_directory(airlock.state_dir, *CANARIES, require_wal=False)
    # The model name that carried prose was not copied into the ledger.
    assert "[unsafe]" in {r["request_model"] for r in records(airlock)}


def test_no_canary_in_what_a_kill_9_leaves_behind(airlock, standin):
    """A crash leaves the write-ahead log as it was, never checkpointed into the database: it is searched too."""
    send_canaries(airlock)
    airlock.process.send_signal(signal.SIGKILL)
    airlock.process.wait(timeout=20)
    names = sweep_state_directory(airlock.state_dir, *CANARIES, require_wal=True)
    assert "ledger.sqlite" in names and "ledger.sqlite-wal" in names
    assert_absent(airlock.output(), *CANARIES, where="the log")


@pytest.fixture
def stopped_ledger(tmp_path, standin):
    """A proxy that recorded a few requests and stopped (a final checkpoint is signed on shutdown)."""
    server, ca = standin
    airlock = launch(tmp_path, server, ca)
    session = proxied_session(airlock)
    for i in range(6):
        session.post("https://api.openai.com/v1/chat/completions", json=chat(f"hello {i}"), timeout=20)
    assert airlock.stop() == 0
    assert ledger(airlock, "verify").returncode == 0
    return airlock


def sql(airlock, statement: str) -> None:
    with sqlite3.connect(airlock.state_dir / "ledger.sqlite") as db:
        db.execute(statement)


@pytest.mark.parametrize("tamper, seq", [
    ("UPDATE events SET host = 'other.example' WHERE seq = 3", 3),
    ("DELETE FROM events WHERE seq = 4", 4),
    ("INSERT INTO events (seq, kind, request_id, time_ms, prev_hash, hash) VALUES (1000, 'request', 'x', 0, 'p', 'h')", None),
    ("UPDATE events SET seq = CASE seq WHEN 5 THEN 1005 WHEN 6 THEN 5 END WHERE seq IN (5, 6)", 5),
    ("DELETE FROM events WHERE seq >= 10", 10),
], ids=["modify", "delete", "insert", "reorder", "truncate"])
def test_tampering_is_caught_and_named(stopped_ledger, tamper, seq):
    airlock = stopped_ledger
    if "1005" in tamper:  # swap two records' positions
        sql(airlock, "UPDATE events SET seq = 1005 WHERE seq = 5")
        sql(airlock, "UPDATE events SET seq = 5 WHERE seq = 6")
        sql(airlock, "UPDATE events SET seq = 6 WHERE seq = 1005")
    else:
        sql(airlock, tamper)
    result = ledger(airlock, "verify")
    assert result.returncode == 1, result.stdout
    message = result.stdout.decode()
    assert "failed at seq" in message
    if seq is not None:
        assert f"failed at seq {seq}" in message, message


def test_external_checkpoint_catches_rollback(stopped_ledger, tmp_path, standin):
    airlock = stopped_ledger
    note = tmp_path / "checkpoint.txt"
    note.write_bytes(ledger(airlock, "checkpoint", check=True).stdout)
    assert ledger(airlock, "verify", "--checkpoint", str(note)).returncode == 0
    # Roll back: drop the newest records and every checkpoint, so the local chain alone looks intact.
    sql(airlock, "DELETE FROM events WHERE seq > 8")
    sql(airlock, "DELETE FROM checkpoints")
    assert ledger(airlock, "verify").returncode == 0
    result = ledger(airlock, "verify", "--checkpoint", str(note))
    assert result.returncode == 1 and b"truncated or rolled back" in result.stdout


def test_prune_keeps_the_chain_verifiable(stopped_ledger):
    airlock = stopped_ledger
    before = len(records(airlock))
    result = ledger(airlock, "prune", "--older-than", "0s")
    assert result.returncode == 0 and b"pruned" in result.stdout
    assert len(records(airlock)) < before
    assert ledger(airlock, "verify").returncode == 0


def test_fail_closed_when_the_ledger_cannot_be_written(airlock, standin):
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    assert session.post("https://api.openai.com/v1/chat/completions", json=chat("warm up"), timeout=20).status_code == 200
    server.state.reset()
    # The warm-up is recorded in full before the database is taken, so the only records left to write are the next
    # request's.
    assert wait_for(lambda: [r for r in records(airlock) if r["decision"] == "allowed" and r["upstream_status"] == 200])
    failed_before = ledger_write_failures(airlock)
    db = sqlite3.connect(airlock.state_dir / "ledger.sqlite", isolation_level=None, timeout=1)
    db.execute("BEGIN EXCLUSIVE")  # another writer holds the database: Airlock cannot record
    try:
        response = session.post("https://api.openai.com/v1/chat/completions", json=chat("must not leave"), timeout=30)
        # The request's record failed (so it was refused); the refusal's own record is written in a batch of its
        # own, and that one fails too while the database is held. Held until the metrics say so.
        assert wait_for(lambda: ledger_write_failures(airlock) >= failed_before + 2, timeout=30), "the refusal's record was not tried"
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert response.status_code == 503
    assert response.json()["error"]["reason"] == "ledger_unavailable"
    assert server.state.requests == []
    assert session.post("https://api.openai.com/v1/chat/completions", json=chat("again"), timeout=20).status_code == 200
    # The refusal itself could not be recorded while the database was held; it is kept and written afterwards.
    refusals = wait_for(lambda: [r for r in records(airlock) if r.get("reason") == "ledger_unavailable"])
    assert len(refusals) == 1 and refusals[0]["decision"] == "error"
    assert ledger(airlock, "verify").returncode == 0


def ledger_write_failures(airlock) -> int:
    metrics = requests.get(f"http://127.0.0.1:{airlock.admin_port}/metrics", timeout=5).text
    return int(float(re.search(r"^airlock_ledger_write_failures_total (\S+)$", metrics, re.M).group(1)))


def test_kill_9_under_load_loses_no_forwarded_request(tmp_path, standin):
    server, ca = standin
    server.state.reset()
    airlock = launch(tmp_path, server, ca)
    stop = threading.Event()

    def burst():
        session = proxied_session(airlock)
        while not stop.is_set():
            try:
                session.post("https://api.openai.com/v1/chat/completions", json=chat("burst"), timeout=5)
            except requests.RequestException:
                return

    workers = [threading.Thread(target=burst) for _ in range(4)]
    for w in workers:
        w.start()
    # Killed in the middle of the load, once a good number of requests went through.
    assert wait_for(lambda: len(server.state.requests) >= 20, timeout=30), "the load did not get going"
    airlock.process.send_signal(signal.SIGKILL)
    airlock.process.wait()
    stop.set()
    for w in workers:
        w.join()
    received = len([r for r in server.state.requests if r.path == "/v1/chat/completions"])
    assert received > 0
    restarted = launch(tmp_path, server, ca)
    try:
        assert ledger(restarted, "verify").returncode == 0
        rows = records(restarted)
        forwarded = [r for r in rows if r["decision"] in ("allowed", "incomplete")]
        # Every request the upstream saw was recorded before it was forwarded.
        assert len(forwarded) >= received
    finally:
        restarted.process.kill()
        restarted.process.wait()


def test_inspection_commands(stopped_ledger):
    airlock = stopped_ledger
    table = ledger(airlock, "query", "--host", "api.openai.com", check=True).stdout.decode()
    assert table.splitlines()[0].split()[:3] == ["time", "decision", "method"]
    assert len(table.splitlines()) == 7
    assert ledger(airlock, "query", "--decision", "denied", "--format", "json", check=True).stdout.strip() == b"[]"
    since = ledger(airlock, "query", "--since", "1h", "--model", "gpt-test", "--format", "jsonl", check=True).stdout
    assert len(since.splitlines()) == 6
    assert ledger(airlock, "query", "--until", "2000-01-01", "--format", "jsonl", check=True).stdout == b""
    stats = ledger(airlock, "stats", "--by", "model", check=True).stdout.decode()
    assert "gpt-test" in stats and " 6 " in stats
    csv = ledger(airlock, "export", "--format", "csv", check=True).stdout.decode().splitlines()
    assert csv[0].startswith("seq,id,time,") and len(csv) == 7
    tail = ledger(airlock, "tail", "-n", "2", "--format", "jsonl", check=True).stdout.decode().splitlines()
    assert len(tail) == 2
    assert ledger(airlock, "query", "--since", "yesterday-ish").returncode == 2


@pytest.mark.parametrize("provider, tokens, model", [
    ("openai", (11, 3), "gpt-test"), ("anthropic", (15, 4), "claude-test"), ("gemini", (9, 2), "gemini-test"),
])
@pytest.mark.parametrize("mode", ["plain", "stream"])
@pytest.mark.parametrize("compressed", [False, True], ids=["identity", "gzip"])
def test_token_usage_is_read_from_responses(airlock, standin, provider, tokens, model, mode, compressed):
    from test_clients import with_airlock_env, HERE as CLIENTS
    import sys
    server, _ = standin
    server.state.reset()
    server.state.compress = compressed
    try:
        result = with_airlock_env(airlock, f"{sys.executable} {CLIENTS / 'sdk_client.py'} {provider} {mode}")
    finally:
        server.state.compress = False
    assert result.returncode == 0, result.stderr
    # The SDK read the reply (compressed or not, it reached the client as the stand-in sent it).
    assert json.loads(result.stdout)["text"], result.stdout
    rows = wait_for(lambda: [r for r in records(airlock) if r["decision"] == "allowed" and r["output_tokens"] is not None])
    assert rows, records(airlock)
    row = rows[-1]
    assert (row["input_tokens"], row["output_tokens"]) == tokens
    assert row["response_model"] == model
    assert row["stream"] is (mode == "stream")
    assert row["tls_version"] in ("1.2", "1.3")
    assert row["provider"] == {"gemini": "gcp.gemini"}.get(provider, provider)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_a_stream_read_to_its_terminal_event_is_recorded_as_decided(airlock, standin, provider):
    """The stand-in holds its stream open after the terminal event, as providers do for a moment; an SDK that closes
    once it has read that event had the whole reply, so the row is `allowed`, never `error client_closed`. Every row
    names the allowlist entry that let it through."""
    from test_clients import with_airlock_env, HERE as CLIENTS
    import sys
    server, _ = standin
    server.state.reset()
    server.state.linger = 3.0
    try:
        result = with_airlock_env(airlock, f"{sys.executable} {CLIENTS / 'sdk_client.py'} {provider} stream")
    finally:
        server.state.linger = 0.0
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"], result.stdout
    rows = wait_for(lambda: [r for r in records(airlock) if r["stream"] and r["duration_ms"] is not None], timeout=8)
    assert rows, records(airlock)
    row = rows[-1]
    assert (row["decision"], row["reason"], row["error_type"]) == ("allowed", None, None), row
    assert row["entry"] == {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}.get(
        provider, "generativelanguage.googleapis.com"), row


def test_admin_listener_serves_health_and_metrics(airlock, standin):
    session = proxied_session(airlock)
    session.post("https://api.openai.com/v1/chat/completions", json=chat(f"t {BODY_CANARY}"), timeout=20)
    with pytest.raises(requests.exceptions.ProxyError):
        session.get("https://evil.example.com/", timeout=20)
    admin = requests.Session()
    admin.trust_env = False
    base = f"http://127.0.0.1:{airlock.admin_port}"
    assert admin.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
    text = wait_for(lambda: (t := admin.get(f"{base}/metrics", timeout=5).text) and "airlock_ledger_write_seconds_count" in t and t)
    assert 'airlock_requests_total{decision="redacted",host="api.openai.com"} 1' in text
    assert 'airlock_requests_total{decision="denied",host="(not allowlisted)"} 1' in text
    assert 'airlock_scrub_findings_total{detector="github-pat"} 1' in text
    assert "airlock_open_connections" in text and "airlock_ledger_write_failures_total 0" in text
    assert "airlock_ledger_unwritten_records 0" in text
    assert_absent(text, BODY_CANARY)
    assert admin.get(f"{base}/other", timeout=5).status_code == 404


def test_allowlist_check_against_the_ledger(airlock, standin, tmp_path):
    session = proxied_session(airlock)
    assert session.post("https://api.openai.com/v1/chat/completions", json=chat("hi"), timeout=20).status_code == 200
    for _ in range(2):
        with pytest.raises(requests.exceptions.ProxyError):
            session.get("https://evil.example.com/", timeout=20)
    wait_for(lambda: len(records(airlock)) >= 3)

    def check(allowlist: str, *extra: str) -> subprocess.CompletedProcess:
        path = tmp_path / f"check-{len(allowlist)}.yaml"
        path.write_text(allowlist)
        return subprocess.run(
            [str(BINARY), "allowlist", "check", "--ledger", "--since", "1h", "--state-dir", str(airlock.state_dir),
             "--format", "json", *extra, str(path)], capture_output=True, timeout=30)

    same = check(TEST_ALLOWLIST)
    assert same.returncode == 0, same.stdout
    findings = json.loads(same.stdout)["findings"]
    attempted = [f for f in findings if f["rule"] == "ledger.attempted-not-allowlisted"]
    assert len(attempted) == 1 and "evil.example.com:443" in attempted[0]["message"] and "2 requests" in attempted[0]["message"]
    assert check(TEST_ALLOWLIST, "--strict").returncode == 1

    shrunk = TEST_ALLOWLIST.replace("  - host: api.openai.com\n    provider: openai\n    purpose: OpenAI stand-in for tests\n", "")
    drift = check(shrunk)
    assert drift.returncode == 1
    contacted = [f for f in json.loads(drift.stdout)["findings"] if f["rule"] == "ledger.contacted-not-allowlisted"]
    assert len(contacted) == 1 and "api.openai.com:443" in contacted[0]["message"]


def test_upstreams_are_asked_only_for_codings_whose_usage_can_be_read(airlock, standin):
    from test_proxy import proxied_session
    server, _ = standin
    server.state.reset()
    server.state.compress = True
    try:
        response = proxied_session(airlock).post(
            "https://api.openai.com/v1/chat/completions", json={"model": "gpt-test", "messages": []},
            headers={"Accept-Encoding": "br, zstd, gzip;q=0.5"}, timeout=20)
    finally:
        server.state.compress = False
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"  # passed on as the stand-in sent it
    assert response.json()["usage"]["completion_tokens"] == 3
    assert server.state.requests[-1].headers["accept-encoding"] == "gzip;q=0.5"
    rows = wait_for(lambda: [r for r in records(airlock) if r["output_tokens"] is not None])
    assert rows and (rows[-1]["input_tokens"], rows[-1]["output_tokens"]) == (11, 3)


@pytest.mark.parametrize("command", ["query", "tail", "stats", "export"])
def test_every_format_works_on_every_listing_command(stopped_ledger, command):
    airlock = stopped_ledger
    outputs = {f: ledger(airlock, command, "--format", f) for f in ("table", "json", "jsonl", "csv")}
    for name, result in outputs.items():
        assert result.returncode == 0, (command, name, result.stderr)
        assert result.stdout, (command, name)
    json.loads(outputs["json"].stdout)
    for line in outputs["jsonl"].stdout.decode().splitlines():
        json.loads(line)
    assert "," in outputs["csv"].stdout.decode().splitlines()[0]


def test_stats_have_a_column_per_decision_and_totals(stopped_ledger):
    airlock = stopped_ledger
    table = ledger(airlock, "stats", "--by", "model", check=True).stdout.decode().splitlines()
    header = table[0].split()
    assert header[:8] == ["model", "requests", "allowed", "redacted", "blocked", "denied", "error", "incomplete"]
    total = table[-1].split()
    assert total[0] == "total" and total[1] == "6" and total[2] == "6"
    report = json.loads(ledger(airlock, "stats", "--by", "decision", "--format", "json", check=True).stdout)
    assert report["by"] == "decision" and report["total"]["requests"] == 6 and report["total"]["allowed"] == 6
    assert report["groups"] == [{"decision": "allowed", **report["total"]}]
    lines = ledger(airlock, "stats", "--format", "jsonl", check=True).stdout.decode().splitlines()
    assert json.loads(lines[-1])["total"]["requests"] == 6
    csv = ledger(airlock, "stats", "--format", "csv", check=True).stdout.decode().splitlines()
    assert csv[0].startswith("host,requests,allowed,") and csv[-1].startswith("total,6,6,")


def test_a_credential_filter_must_be_an_id_and_is_not_repeated(stopped_ledger):
    key = "sk-proj-" + "CredentialFilterCanary" + "q7Z1" * 6
    refused = ledger(stopped_ledger, "query", "--credential", key)
    assert refused.returncode == 2 and refused.stdout == b"" and b"credential-id" in refused.stderr
    assert_absent(refused.stderr, key, "CredentialFilterCanary", where="the refusal")
    assert ledger(stopped_ledger, "query", "--credential", "cred_0123456789abcdef").returncode == 0


def test_checkpoint_prints_nothing_when_it_fails(stopped_ledger):
    airlock = stopped_ledger
    good = ledger(airlock, "checkpoint", check=True).stdout
    assert good.startswith(b"airlock-ledger-checkpoint v1")
    # A signing key that did not sign the ledger's checkpoints: no note that would not verify.
    key = airlock.state_dir / "ledger-signing.key"
    original = key.read_bytes()
    key.write_bytes(os.urandom(len(original)))
    wrong = ledger(airlock, "checkpoint")
    assert wrong.returncode != 0 and wrong.stdout == b"" and b"not signed by the key" in wrong.stderr
    # No keys at all: the inspection commands do not make new ones.
    key.unlink()
    missing = ledger(airlock, "checkpoint")
    assert missing.returncode != 0 and missing.stdout == b""
    assert not key.exists()


def test_counts_are_singular_and_plural(stopped_ledger):
    verified = ledger(stopped_ledger, "verify", check=True).stdout.decode()
    assert re.search(r"ledger intact: \d+ records? .*, \d+ signed checkpoints?$", verified.strip())
    for number, noun in re.findall(r"(\d+) (records?|signed checkpoints?)", verified):
        assert (number == "1") == (not noun.endswith("s")), verified
