"""The scrubber through the real proxy: redaction, blocking in each provider's error shape, streaming,
refusal of bodies that cannot be scanned, per-entry overrides, and `airlock scan`."""
from __future__ import annotations

import base64
import gzip
import json
import shlex
import signal
import subprocess
import sys
import urllib.parse
import zlib
from pathlib import Path

import pytest

from conftest import BINARY, TEST_ALLOWLIST, assert_absent, assert_present, assert_same, launched, wait_for_log
from test_clients import with_airlock_env
from test_ledger import records
from test_proxy import curl, proxied_session, split

HERE = Path(__file__).parent
# Unique canaries: random-shaped, never real credentials.
GITHUB_CANARY = "ghp_" + "Cz7Qm2Lk9Vt4Rx8Wn3Bp6Hs1Dj5Fg0Ya9EeK"
AWS_CANARY = "AKIA" + "Q7ZK4M2P9X3T6W8R"
CODE = "def charge(card, amount):\n    token = vault.lookup(card)\n    if amount > LIMIT:\n        raise ValueError(amount)\n    return gateway.charge(token, amount)\n"
PROMPT = f"My key is {GITHUB_CANARY} and aws {AWS_CANARY}.\n\nWhy does this fail?\n\n{CODE}\nThanks!"


def chat_body(stream: bool = False) -> dict:
    return {"model": "gpt-test", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}


def sdk_command(provider: str, mode: str, prompt: str = PROMPT) -> str:
    return f"export AIRLOCK_TEST_PROMPT={shlex.quote(prompt)}\n{shlex.quote(sys.executable)} {HERE / 'sdk_client.py'} {provider} {mode}"


def sdk_reply(airlock, server, provider: str, mode: str) -> dict:
    """Runs the provider's SDK through Airlock against a stand-in with no requests yet; returns what it printed."""
    server.state.reset()
    result = with_airlock_env(airlock, sdk_command(provider, mode))
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["text"], result.stdout
    return reply


def log_after(airlock, marker: str, count: int = 1) -> str:
    """The proxy's output once `count` lines containing `marker` were written (the log is written in the background);
    fails if they never are, so that a check for what must not be in the log never reads a log not yet written."""
    __tracebackhide__ = True
    return wait_for_log(airlock, marker, count)


def config(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "airlock.yaml"
    path.write_text(text)
    return ["--config", str(path)]


def assert_no_canary(data: bytes | str) -> None:
    assert_absent(data, GITHUB_CANARY, AWS_CANARY, "vault.lookup(card)")


def test_secrets_and_code_reach_the_provider_redacted(airlock, standin):
    server, _ = standin
    response = proxied_session(airlock).post("https://api.openai.com/v1/chat/completions", json=chat_body(), timeout=20)
    assert response.status_code == 200
    received = server.state.requests[-1]
    assert_no_canary(received.body)
    content = json.loads(received.body)["messages"][0]["content"]
    assert "[REDACTED:secret:github-pat:1]" in content
    assert "[REDACTED:secret:aws-access-key-id:2]" in content
    assert "[REDACTED:code:python:5-lines:1]" in content
    assert content.startswith("My key is ") and content.endswith("Thanks!")
    assert received.headers["content-length"] == str(len(received.body))
    log = log_after(airlock, "decision=redacted")
    assert_no_canary(log)
    assert_present(log, "findings=github-pat:1,aws-access-key-id:1,code-python:1")


def test_credentials_in_config_files_and_command_lines_reach_the_provider_redacted(airlock, standin):
    """A tool's JSON output carrying a kubeconfig key and a password by name, and a curl command line: the values
    alone look like any word or base64, so these are found from where they sit."""
    server, _ = standin
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(
        base64.b64encode(bytes(range(i, i + 48))).decode() for i in range(0, 240, 48)) + "\n-----END RSA PRIVATE KEY-----\n"
    key_data = base64.b64encode(pem.encode()).decode()
    curl_password, db_password = "Qz7vL2mK9xR4tW", "Hv3#pN8sJ2qX"
    tool_output = json.dumps({"users": [{"name": "admin", "user": {"client-key-data": key_data}}], "db": {"password": db_password}})
    body = {"model": "gpt-test", "input": [
        {"role": "user", "content": f"This fails:\ncurl -sSu deploy:{curl_password} https://status.internal/health"},
        {"type": "function_call_output", "call_id": "call_1", "output": tool_output},
    ]}
    response = proxied_session(airlock).post("https://api.openai.com/v1/responses", json=body, timeout=20)
    assert response.status_code == 200
    received = server.state.requests[-1].body.decode()
    secrets = (key_data[:40], curl_password, db_password)
    assert_absent(received, *secrets, where="the body the provider got")
    sent = json.loads(received)["input"]
    assert_same(sent[0]["content"], "This fails:\ncurl -sSu deploy:[REDACTED:secret:command-line-password:1] https://status.internal/health",
                "the message with the command line")
    output = json.loads(sent[1]["output"])
    assert_same(output["users"][0]["user"]["client-key-data"], "[REDACTED:secret:private-key-base64:2]", "client-key-data")
    assert_same(output["db"]["password"], "[REDACTED:secret:password-assignment:3]", "the password field")
    log = log_after(airlock, "command-line-password")
    assert_absent(log, *secrets, where="the log")
    assert_present(log, "findings=openai-store-disabled:1,command-line-password:1,private-key-base64:1,password-assignment:1")


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_streaming_requests_are_scrubbed_too(airlock, standin, provider):
    server, _ = standin
    sdk_reply(airlock, server, provider, "stream")
    assert server.state.requests, "nothing reached the stand-in"
    for request in server.state.requests:
        assert_no_canary(request.body)
    assert b"[REDACTED:secret:github-pat:1]" in server.state.requests[-1].body


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_a_secret_cut_between_two_text_parts_is_redacted_in_both(airlock, standin, provider):
    """The provider reads a message's text parts as one text, so a token cut in two by a part boundary is a token."""
    server, _ = standin
    cut = PROMPT.index(GITHUB_CANARY) + 12
    server.state.reset()
    result = with_airlock_env(airlock, f"export AIRLOCK_TEST_CUT={cut}\n" + sdk_command(provider, "parts"))
    assert result.returncode == 0, result.stderr
    body = server.state.requests[-1].body.decode()
    assert_absent(body, GITHUB_CANARY[4:12], GITHUB_CANARY[12:], where="the body the provider got")
    assert_no_canary(body)
    assert body.count("[REDACTED:secret:github-pat:1]") == 2
    log = log_after(airlock, "decision=redacted")
    assert_no_canary(log)
    assert_present(log, "findings=github-pat:1,")


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_code_sent_one_line_per_text_part_is_redacted_in_every_part(airlock, standin, provider):
    """No part holds code on its own, but the provider reads the parts as one text, and so does Airlock."""
    server, _ = standin
    code = [
        "def apply_discount(order, rate):",
        "    if rate <= 0:",
        "        return order.total",
        "    return round(order.total * (1 - rate), 2)",
    ]
    server.state.reset()
    prompt = "\n".join(["Can you review this?", *code, "Thanks."])
    result = with_airlock_env(airlock, "export AIRLOCK_TEST_CUT=lines\n" + sdk_command(provider, "parts", prompt))
    assert result.returncode == 0, result.stderr
    body = server.state.requests[-1].body.decode()
    assert_absent(body, "apply_discount", "order.total")
    assert body.count("[REDACTED:code:python:4-lines:1]") == 4
    assert_present(body, "Can you review this?", "Thanks.")
    assert_absent(log_after(airlock, "code-python:1"), "apply_discount", "order.total")


def test_secrets_in_request_headers_are_redacted_in_their_values(airlock, standin):
    """A tracing or gateway header travels to the provider too; with or without a body, it is read like the body."""
    server, _ = standin
    session = proxied_session(airlock)
    for method, body in (("POST", chat_body()), ("GET", None)):
        server.state.reset()
        response = session.request(
            method, "https://api.openai.com/v1/chat/completions", json=body, timeout=20,
            headers={"X-Debug-Token": f"run-7 {GITHUB_CANARY}", "X-Trace-Id": "4bf92f3577b34da6a3ce929d0e0e4736"})
        assert response.status_code == 200
        received = server.state.requests[-1]
        assert_same(received.headers["x-debug-token"], "run-7 [REDACTED:secret:github-pat:1]", "X-Debug-Token")
        assert received.headers["x-trace-id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert_no_canary(received.body)
    # The GET's line (the POST's counts the body's token too); lines are written in the background.
    log = log_after(airlock, "findings=github-pat:1")
    assert_no_canary(log)
    assert_present(log, "findings=github-pat:1", "findings=github-pat:2,aws-access-key-id:1")
    assert_no_canary(json.dumps(records(airlock)))


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_another_services_secret_sent_as_the_api_key_is_refused(airlock, standin, provider):
    """An application that mixed up its environment sends a GitHub token where its provider key belongs."""
    server, _ = standin
    server.state.reset()
    result = with_airlock_env(airlock, f"export AIRLOCK_TEST_API_KEY={GITHUB_CANARY}\n" + sdk_command(provider, "plain"))
    assert result.returncode == 0, result.stderr
    assert_no_canary(result.stdout)
    error = json.loads(result.stdout)["error"]
    assert error["status"] == 403 and "github-pat at header." in error["message"]
    assert error["class"] in ("PermissionDeniedError", "ClientError")
    assert server.state.requests == []
    assert_no_canary(log_after(airlock, "reason=scrubber_blocked"))


GEMINI_KEY = "AIza" + "Zq8RkT3vW" * 4 + "b2N"


def test_secrets_in_the_query_string_are_redacted_in_their_values(airlock, standin):
    """A query parameter travels to the provider too: it is read decoded, and a secret in it is redacted in place."""
    server, _ = standin
    session = proxied_session(airlock)
    url = "https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent"
    body = {"contents": [{"parts": [{"text": "hello"}]}]}
    for method, json_body in (("POST", body), ("GET", None)):
        server.state.reset()
        params = {"key": GEMINI_KEY, "trace": f"run 7 {GITHUB_CANARY}", "pageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3"}
        response = session.request(method, url, params=params, json=json_body, timeout=20)
        assert response.status_code == 200
        received = server.state.requests[-1]
        path, _, query = received.path.partition("?")
        assert path == "/v1beta/models/gemini-test:generateContent"
        assert_no_canary(received.path)
        # The provider's key and its own cursor leave as they came; only the secret is replaced. Compared first, so
        # that a failure does not print the query.
        expected = {**{k: [v] for k, v in params.items()}, "trace": ["run 7 [REDACTED:secret:github-pat:1]"]}
        arrived_as_expected = urllib.parse.parse_qs(query) == expected
        assert arrived_as_expected, "the query string did not arrive with only the secret replaced"
    log = log_after(airlock, "findings=github-pat:1", count=2)
    assert_no_canary(log)
    assert_no_canary(json.dumps(records(airlock)))


def test_a_secret_in_the_key_parameter_or_the_path_is_refused(airlock, standin):
    """Another service's token as Gemini's `key`, or a token in the path, cannot be rewritten: the request is refused
    in the provider's error shape, naming where the secret was and never the secret."""
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    response = session.post(
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent",
        params={"key": GITHUB_CANARY}, json={"contents": [{"parts": [{"text": "hello"}]}]}, timeout=20)
    assert response.status_code == 403
    assert_no_canary(response.text)
    error = response.json()["error"]
    assert error["status"] == "PERMISSION_DENIED" and "github-pat at query.key" in error["message"]
    response = session.get(f"https://api.openai.com/v1/files/{GITHUB_CANARY}/content", timeout=20)
    assert response.status_code == 403
    assert_no_canary(response.text)
    error = response.json()["error"]
    assert error["code"] == "scrubber_blocked" and "github-pat at path" in error["message"]
    assert server.state.requests == []
    assert_no_canary(log_after(airlock, "reason=scrubber_blocked", count=2))


def test_a_query_string_that_cannot_be_decoded_is_refused(airlock, standin):
    server, _ = standin
    server.state.reset()
    body, code = split(curl(airlock, f"https://api.openai.com/v1/models?note=%zz{GITHUB_CANARY}"))
    assert code == 400
    assert_no_canary(body)
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_request_target" and "two hex digits" in error["message"]
    assert server.state.requests == []
    assert_no_canary(log_after(airlock, "reason=invalid_request_target"))


def attached_file(body: bytes, provider: str, media_type: str = "text/plain") -> str:
    """The text of the file the SDK attached (base64, in a data URL or Gemini inline data), as it arrived."""
    payload = json.loads(body)
    if provider == "openai":
        data_url = payload["messages"][0]["content"][1]["file"]["file_data"]
        assert data_url.startswith(f"data:{media_type};base64,")
        data = data_url.split(",", 1)[1]
    else:
        part = payload["contents"][0]["parts"][0]
        inline = part.get("inlineData") or part["inline_data"]
        assert (inline.get("mimeType") or inline["mime_type"]) == media_type
        data = inline["data"]
    url_safe = "-" in data or "_" in data
    return base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_" if url_safe else None).decode()


@pytest.mark.parametrize("provider", ["openai", "gemini"])
@pytest.mark.parametrize("mode", ["file", "file-as-image"])
def test_text_files_attached_as_base64_are_scanned(airlock, standin, provider, mode):
    """A text file is read as text whatever type the client declares for it."""
    server, _ = standin
    sdk_reply(airlock, server, provider, mode)
    received = server.state.requests[-1]
    assert_no_canary(received.body)
    text = attached_file(received.body, provider, "image/png" if mode == "file-as-image" else "text/plain")
    assert_no_canary(text)
    assert "[REDACTED:secret:github-pat:1]" in text and "[REDACTED:code:python:5-lines:1]" in text
    assert text.startswith("My key is ") and text.endswith("Thanks!")
    assert received.headers["content-length"] == str(len(received.body))


def with_binary_policy(tmp_path, standin, binary: str, mode: str):
    """Runs the OpenAI SDK in `mode` through a proxy with `scrub.binary: <binary>`, against a stand-in with no
    requests yet. Returns the SDK's run, the proxy's log once it counted one binary part, and the ledger record."""
    server, ca = standin
    server.state.reset()
    with launched(tmp_path, server, ca, extra=config(tmp_path, f"scrub:\n  binary: {binary}\n")) as airlock:
        result = with_airlock_env(airlock, sdk_command("openai", mode))
        output = log_after(airlock, "binary_parts=1")
        recorded = records(airlock)[-1]
    assert result.returncode == 0, result.stderr
    return result, output, recorded


@pytest.mark.parametrize("binary", ["monitor", "block"])
def test_binary_parts_are_counted_or_blocked_as_configured(tmp_path, standin, binary):
    from sdk_client import PNG

    server, _ = standin
    result, output, recorded = with_binary_policy(tmp_path, standin, binary, "image")
    # The log and the ledger name the image either way: forwarded unread, or the finding that stopped the request.
    assert_no_canary(output)
    assert_present(output, "findings=github-pat:1,aws-access-key-id:1,code-python:1,binary-image:1 binary_parts=1")
    assert recorded["findings"] == {"github-pat": 1, "aws-access-key-id": 1, "code-python": 1, "binary-image": 1}
    if binary == "monitor":
        assert json.loads(result.stdout)["text"], result.stdout
        received = server.state.requests[-1]
        assert_no_canary(received.body)
        assert json.loads(received.body)["messages"][0]["content"][1]["image_url"]["url"] == "data:image/png;base64," + PNG
    else:
        assert_no_canary(result.stdout)
        error = json.loads(result.stdout)["error"]
        assert error["status"] == 403 and error["class"] == "PermissionDeniedError"
        assert "binary-image at $.messages[0].content[1].image_url.url" in error["message"]
        assert server.state.requests == []
        assert_present(output, "reason=scrubber_blocked")
        assert recorded["decision"] == "blocked"


def test_sighup_reloads_the_scrub_policy_for_open_tunnels_too(tmp_path, standin):
    server, ca = standin
    server.state.reset()
    settings = config(tmp_path, "scrub:\n  secrets: monitor\n")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"token {GITHUB_CANARY}"}]}
    with launched(tmp_path, server, ca, extra=settings) as airlock:
        session = proxied_session(airlock)  # one tunnel, kept alive across the reloads
        url = "https://api.openai.com/v1/chat/completions"
        assert session.post(url, json=body, timeout=20).status_code == 200
        assert_present(server.state.requests[-1].body, GITHUB_CANARY, by_position=True)  # monitor: forwarded as sent

        (tmp_path / "airlock.yaml").write_text("scrub:\n  secrets: block\n")
        airlock.process.send_signal(signal.SIGHUP)
        log_after(airlock, "scrub_policy=changed")
        blocked = session.post(url, json=body, timeout=20)
        assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "scrubber_blocked"
        assert len(server.state.requests) == 1

        # An invalid configuration keeps the policy in force, and says why without echoing the file.
        (tmp_path / "airlock.yaml").write_text("scrub:\n  secrets: shred-it\n")
        airlock.process.send_signal(signal.SIGHUP)
        output = log_after(airlock, "reload failed")
        assert_no_canary(output)
        assert_present(output, "reload failed; keeping the previous allowlist, scrub policy and proxy credentials",
                       "'secrets' must be redact, block or monitor")
        assert session.post(url, json=body, timeout=20).status_code == 403
        assert len(server.state.requests) == 1
        # Both refusals are logged, and no line carries the token.
        assert_no_canary(log_after(airlock, "reason=scrubber_blocked", count=2))


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_block_refuses_in_the_providers_error_shape(tmp_path, standin, provider):
    server, ca = standin
    server.state.reset()
    with launched(tmp_path, server, ca, extra=config(tmp_path, "scrub:\n  secrets: block\n")) as airlock:
        result = with_airlock_env(airlock, sdk_command(provider, "plain"))
        output = log_after(airlock, "reason=scrubber_blocked")
    assert result.returncode == 0, result.stderr
    assert_no_canary(result.stdout)
    assert_no_canary(output)
    error = json.loads(result.stdout)["error"]
    assert error["status"] == 403
    # The SDK found the message in the provider-shaped JSON: it names detectors and paths, never the text.
    assert "github-pat" in error["message"] and "aws-access-key-id" in error["message"]
    assert "messages[0].content" in error["message"] or "contents[0].parts[0].text" in error["message"]
    assert error["class"] in ("PermissionDeniedError", "ClientError")
    assert server.state.requests == []


def test_per_entry_override_monitors(tmp_path, standin):
    server, ca = standin
    server.state.reset()
    allowlist = TEST_ALLOWLIST.replace(
        "    provider: openai\n", "    provider: openai\n    scrub:\n      secrets: monitor\n      code: monitor\n")
    with launched(tmp_path, server, ca, allowlist=allowlist) as airlock:
        response = proxied_session(airlock).post("https://api.openai.com/v1/chat/completions", json=chat_body(), timeout=20)
        output = log_after(airlock, "scrub=")
    assert response.status_code == 200
    assert_present(server.state.requests[-1].body, GITHUB_CANARY, by_position=True)
    assert_present(output, "scrub=allowed findings=github-pat:1")


@pytest.mark.parametrize(
    "headers, body, status, reason",
    [
        ({"Content-Type": "text/plain"}, PROMPT.encode(), 415, "unsupported_media_type"),
        ({"Content-Type": "application/json", "Content-Encoding": "br"}, json.dumps(chat_body()).encode(), 415, "unsupported_content_encoding"),
        ({"Content-Type": "application/json", "Content-Encoding": "gzip, gzip"}, gzip.compress(gzip.compress(json.dumps(chat_body()).encode())), 415, "unsupported_content_encoding"),
        ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip.compress(json.dumps(chat_body()).encode())[:-12], 415, "invalid_compressed_body"),
        ({"Content-Type": "application/json", "Content-Encoding": "deflate"}, json.dumps(chat_body()).encode(), 415, "invalid_compressed_body"),
        # 40 MiB of spaces inside a JSON string: about 40 KiB compressed, past the 32 MiB body limit once decoded.
        ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip.compress(b'{"input": "' + b" " * (40 << 20) + b'"}'), 413, "request_too_large"),
        ({"Content-Type": "application/json"}, b'{"messages": [', 400, "invalid_json"),
        ({"Content-Type": "application/json"}, b'{"a": "\xc3\x28"}', 400, "invalid_utf8"),
        ({"Content-Type": "application/json"}, b"[" * 5000 + b"]" * 5000, 400, "nesting_too_deep"),
        # A text document whose base64 does not decode: it cannot be read, so it does not leave.
        ({"Content-Type": "application/json"}, json.dumps({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": GITHUB_CANARY + "!"}}]}]}).encode(), 400, "invalid_base64"),
    ],
    ids=["plain-text", "brotli", "two-layers", "truncated-gzip", "deflate-not-compressed", "gzip-bomb", "invalid-json", "invalid-utf8", "too-deep", "invalid-base64"],
)
def test_bodies_that_cannot_be_scanned_are_refused(airlock, standin, headers, body, status, reason):
    server, _ = standin
    server.state.reset()
    response = proxied_session(airlock).post("https://api.anthropic.com/v1/messages", data=body, headers=headers, timeout=20)
    assert response.status_code == status
    error = response.json()
    assert error["type"] == "error" and error["error"]["reason"] == reason
    assert_no_canary(response.text)
    assert server.state.requests == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies_are_decoded_scanned_and_forwarded_as_scanned(airlock, standin, encoding):
    server, _ = standin
    plain = json.dumps(chat_body()).encode()
    body = gzip.compress(plain) if encoding == "gzip" else zlib.compress(plain)
    assert_absent(body, GITHUB_CANARY, AWS_CANARY, where="the compressed body")  # the canaries are only visible once decoded
    server.state.reset()
    response = proxied_session(airlock).post(
        "https://api.openai.com/v1/chat/completions", data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": encoding}, timeout=20)
    assert response.status_code == 200
    received = server.state.requests[-1]
    # The upstream gets the decoded, scrubbed JSON: exactly what was scanned, no longer compressed.
    assert "content-encoding" not in received.headers
    assert received.headers["content-length"] == str(len(received.body))
    assert_no_canary(received.body)
    assert "[REDACTED:secret:github-pat:1]" in json.loads(received.body)["messages"][0]["content"]


def thread_cpu_ticks(pid: int) -> dict[str, int]:
    """CPU time (user and system, in clock ticks) each thread of a process has used, by thread id and name: the
    kernel's own accounting, read from /proc, so the proxy needs no hook of its own for it."""
    ticks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        ticks[f"{task.name}:{name}"] = int(fields[11]) + int(fields[12])
    return ticks


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_large_bodies_are_scanned_off_the_event_loop(airlock, standin):
    """A body above the inline limit (32 KiB) is scanned on the thread pool (SwiftNIO names its threads `TP-#n`), not
    on the event loop (`NIO-ELT-…`) that serves other connections. It arrives at the provider rewritten, with only the
    secret replaced."""
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    assert session.post("https://api.openai.com/v1/chat/completions", json={"model": "m", "messages": []}, timeout=30).status_code == 200
    server.state.reset()
    filler = "The plan was reviewed and approved by the team. " * 320_000  # about 16 MiB: long enough to measure
    body = {"model": "m", "messages": [{"role": "user", "content": filler + GITHUB_CANARY + " " + filler}]}
    before = thread_cpu_ticks(airlock.process.pid)
    response = session.post("https://api.openai.com/v1/chat/completions", json=body, timeout=120)
    after = thread_cpu_ticks(airlock.process.pid)
    assert response.status_code == 200
    assert len(server.state.requests) == 1
    received = server.state.requests[0].body
    assert_no_canary(received)
    assert_same(json.loads(received)["messages"][0]["content"], filler + "[REDACTED:secret:github-pat:1] " + filler,
                "the message as the provider got it")

    def spent(prefix: str) -> int:
        return sum(ticks - before.get(thread, 0) for thread, ticks in after.items() if thread.split(":", 1)[1].startswith(prefix))

    pool, loops = spent("TP-"), spent("NIO-ELT-")
    # The event loop decrypts and relays the bytes; the scan, the larger part of the work, ran on the pool.
    assert pool >= 3 and pool * 2 >= loops, f"thread pool {pool} ticks, event loops {loops} ticks"


# airlock scan


def scan(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "scan", *args], input=stdin, capture_output=True, timeout=30)


def test_scan_exit_codes_and_json(tmp_path):
    payload = tmp_path / "chat.json"
    payload.write_text(json.dumps(chat_body()))
    found = scan("--format", "json", str(payload))
    assert found.returncode == 1
    assert_no_canary(found.stdout + found.stderr)
    report = json.loads(found.stdout)
    assert report["decision"] == "redacted"
    assert {f["detector"] for f in report["findings"]} == {"github-pat", "aws-access-key-id", "code-python"}
    assert all(set(f) == {"category", "detector", "path", "start", "end", "action"} for f in report["findings"])
    assert report["output"]["messages"][0]["content"].startswith("My key is [REDACTED:secret:github-pat:1]")

    clean = scan("--format", "json", "-", stdin=json.dumps({"messages": [{"role": "user", "content": "hello"}]}).encode())
    assert clean.returncode == 0 and json.loads(clean.stdout)["decision"] == "allowed"

    broken = scan("-", stdin=b'{"messages": [')
    assert broken.returncode == 2 and b"not valid JSON" in broken.stdout

    blocked = scan("--secrets", "block", "--format", "json", str(payload))
    assert_no_canary(blocked.stdout)
    assert blocked.returncode == 1 and json.loads(blocked.stdout)["decision"] == "blocked"
    assert json.loads(blocked.stdout)["output"] is None

    text = scan(str(payload))
    assert_no_canary(text.stdout)
    assert text.returncode == 1
    assert_present(text.stdout, "secret github-pat at $.messages[0].content")

    image = json.dumps({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}}]}]}).encode()
    assert scan("-", stdin=image).returncode == 0
    refused = scan("--binary", "block", "--format", "json", "-", stdin=image)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["findings"] == [{"category": "binary", "detector": "binary-image",
        "path": "$.messages[0].content[0].image_url.url", "start": 0, "end": 0, "action": "block"}]
    assert scan("--binary", "redact", "-", stdin=image).returncode == 2


def test_scan_jsonl_keeps_order_and_monitor_prints_only_its_output():
    lines = [json.dumps("nothing here"), json.dumps(f"key {GITHUB_CANARY}"), json.dumps("also fine")]
    result = scan("--provider", "text", "--jsonl", "--format", "json", stdin=("\n".join(lines) + "\n").encode())
    assert result.returncode == 1
    assert_no_canary(result.stdout)
    reports = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["decision"] for r in reports] == ["allowed", "redacted", "allowed"]
    assert_same(reports[1]["output"], "key [REDACTED:secret:github-pat:1]", "the redacted line")
    monitored = scan("--provider", "text", "--jsonl", "--format", "json", "--secrets", "monitor", stdin=lines[1].encode())
    assert_same(json.loads(monitored.stdout)["output"], f"key {GITHUB_CANARY}", "the monitored line")
    assert json.loads(monitored.stdout)["findings"][0]["action"] == "monitor"


def test_docs_list_the_rule_catalogue():
    listed = subprocess.run([str(BINARY), "scan", "--list-rules"], capture_output=True, timeout=30, check=True).stdout.decode()
    page = (HERE.parent.parent / "docs" / "secret-rules.md").read_text()
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    assert start in page, "docs/secret-rules.md has no rule catalogue"
    assert page.split(start, 1)[1].split(end, 1)[0] == listed, "docs/secret-rules.md differs from `airlock scan --list-rules`"
    count = len(listed.splitlines()) - 2
    assert f"\n{count} rules," in page.split(start, 1)[0], f"docs/secret-rules.md should say {count} rules above the table"


def test_the_response_says_what_was_scrubbed_by_detector_id_only(tmp_path, standin):
    """An app developer sees why the model did not get their token: detector ids and counts in a response header,
    never the matched text; `scrub.findings_header: false` turns it off."""
    server, ca = standin
    server.state.reset()
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": f"my token is {GITHUB_CANARY}"}]}
    with launched(tmp_path, server, ca) as airlock:
        response = proxied_session(airlock).post("https://api.openai.com/v1/chat/completions", json=body, timeout=20)
        assert response.status_code == 200
        assert response.headers["X-Airlock-Scrubbed"] == "github-pat:1"
        assert_absent(str(response.headers), GITHUB_CANARY)
        plain = proxied_session(airlock).post(
            "https://api.openai.com/v1/chat/completions", json={**body, "messages": [{"role": "user", "content": "hi"}]},
            timeout=20)
        assert "X-Airlock-Scrubbed" not in plain.headers
    off = tmp_path / "off"
    off.mkdir()
    with launched(off, server, ca, extra=config(off, "scrub:\n  findings_header: false\n")) as airlock:
        response = proxied_session(airlock).post("https://api.openai.com/v1/chat/completions", json=body, timeout=20)
        assert response.status_code == 200 and "X-Airlock-Scrubbed" not in response.headers
