"""Mangled requests inside an intercepted tunnel, sent to the real binary: whatever a client sends, the proxy stays
up, every refusal is JSON, no secret in a body or a header reaches the provider whole, nothing reaches a log, and
the ledger still verifies. The requests are well-formed ones cut, spliced and sprinkled with framing bytes by a
seeded random generator (`AIRLOCK_ROBUSTNESS_SEED` picks another seed, `AIRLOCK_ROBUSTNESS_CASES` how many)."""
from __future__ import annotations

import gzip
import json
import os
import random
import re
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from conftest import assert_absent, launched
from test_ledger import ledger
from test_proxy import intercepted, proxied_session
from test_scrub import GITHUB_CANARY

SEED = int(os.environ.get("AIRLOCK_ROBUSTNESS_SEED", "20261203"))
CASES = int(os.environ.get("AIRLOCK_ROBUSTNESS_CASES", "240"))
# The canary as a token of its own: a mangled request may glue a letter to it, and then it is not that token.
LEAKED = re.compile(rb"(?<![A-Za-z0-9_])" + re.escape(GITHUB_CANARY.encode()) + rb"(?![A-Za-z0-9_])")


def request(path: str, body: bytes, *headers: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: api.openai.com", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked(path: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    middle = len(body) // 2
    parts = [body[:middle], body[middle:]]
    return head.encode() + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


CHAT = json.dumps({"model": "gpt-test", "messages": [{"role": "user", "content": f"my key is {GITHUB_CANARY} ok"}]}).encode()
FORM = (b"--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\n"
        b"Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        + f"deploy with {GITHUB_CANARY}\n".encode() + b"\r\n--b--\r\n")
BASES = [
    request(f"/v1/chat/completions?trace=run-7+{GITHUB_CANARY}", CHAT, "Content-Type: application/json",
            f"X-Debug-Token: run-7 {GITHUB_CANARY}"),
    request("/v1/files", FORM, "Content-Type: multipart/form-data; boundary=b"),
    request("/v1/chat/completions", gzip.compress(CHAT), "Content-Type: application/json", "Content-Encoding: gzip"),
    chunked("/v1/chat/completions", CHAT),
]
# Bytes that change how a request is framed or read.
SPLICES = [
    b"\r\n", b"\n", b"\r", b":", b" ", b"\t", b"\x00", b"\"", b"\\", b"\xff\xfe", b"0\r\n\r\n", b"\r\n\r\n",
    b"Transfer-Encoding: chunked\r\n", b"Content-Length: 7\r\n", b"Content-Length: 99999999999999999999\r\n",
    b"Expect: 100-continue\r\n", b"Connection: close\r\n", b"Host: other.example\r\n", b"Content-Encoding: gzip\r\n",
    b"Content-Type: text/plain\r\n", b"Upgrade: websocket\r\n", b" folded\r\n", b"GET / HTTP/1.1\r\n",
]


def mangle(data: bytes, rng: random.Random) -> bytes:
    """One to three cuts, splices, flips or copies, in the head, the body or anywhere; a changed body usually gets
    its Content-Length fixed, as a client that built the body would have, so that its bytes are read."""
    head, _, body = data.partition(b"\r\n\r\n")
    where = rng.choices([0, 1, 2], weights=[3, 6, 1])[0]
    out = bytearray(head if where == 0 else body if where == 1 else data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(out) + 1)
        op = rng.choices(range(6), weights=[1, 1, 4 if where == 1 else 1, 2, 1, 1])[0]
        if op == 0 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif op == 1:
            out[at:at] = rng.choice(SPLICES)
        elif op == 2:
            # Printable text inside the body keeps JSON and forms readable, so these reach the scrubber.
            out[at:at] = bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randint(1, 8))).replace(b'"', b"'")
        elif op == 3:
            del out[at:at + rng.randint(1, 16)]
        elif op == 4:
            out[at:at] = out[rng.randrange(len(out) + 1):][: rng.randint(1, 64)]
        else:
            del out[at:]
    if where == 0:
        return bytes(out) + b"\r\n\r\n" + body
    if where == 1:
        if rng.random() < 0.8:
            head = re.sub(rb"(?im)^content-length: *\d+", b"Content-Length: %d" % len(out), head)
        return head + b"\r\n\r\n" + bytes(out)
    return bytes(out)


# Airlock closes a connection that has not sent a complete request head for HEAD_TIMEOUT seconds (also after an
# answered request on a kept-alive connection), and one that sent part of a body and then nothing for IDLE_TIMEOUT.
# Short here, so that every case ends with Airlock closing the connection: a case that gets neither an answer nor a
# close fails the test, as does a reset.
HEAD_TIMEOUT, IDLE_TIMEOUT = 1, 1


def exchange(airlock, data: bytes) -> tuple[bytes, float]:
    """Sends `data` inside a fresh intercepted tunnel and reads until Airlock closes it. Returns what came back and
    how long after the last byte was sent the connection was closed."""
    sock = intercepted(airlock)
    sock.settimeout(HEAD_TIMEOUT + IDLE_TIMEOUT + 10)
    received = b""
    try:
        sock.sendall(data)
        sent = time.monotonic()
        while chunk := sock.recv(65536):
            received += chunk
        return received, time.monotonic() - sent
    finally:
        sock.close()


def bytes_after_first_request(data: bytes) -> int:
    """How many bytes follow the first request in `data`, framed as its head says (Content-Length, chunked, or no
    body); 0 when the first request is not complete."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        return 0
    fields = [line.partition(b":") for line in head.split(b"\r\n")[1:]]
    lengths = [value.strip() for name, _, value in fields if name.lower() == b"content-length"]
    if any(name.lower() == b"transfer-encoding" for name, _, _ in fields):
        while True:
            size, separator, rest = rest.partition(b"\r\n")
            if not separator or not re.fullmatch(rb"[0-9a-fA-F]+", size):
                return 0
            if int(size, 16) == 0:
                end = rest.find(b"\r\n")  # no trailers in these requests
                return len(rest) - end - 2 if end >= 0 else 0
            if len(rest) < int(size, 16) + 2:
                return 0
            rest = rest[int(size, 16) + 2:]
    if len(lengths) == 1 and lengths[0].isdigit():
        return max(0, len(rest) - int(lengths[0]))
    return len(rest) if not lengths else 0


def responses(data: bytes) -> list[tuple[int, bytes]]:
    """Each HTTP response in `data`: status and body (Airlock's answers, and the stand-in's, carry a Content-Length).
    Fails when anything is left over: every response came whole."""
    found = []
    while data.startswith(b"HTTP/1.1 "):
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                       if line.lower().startswith(b"content-length:")), 0)
        assert len(rest) >= length, f"a response with status {status} was cut short"
        found.append((status, rest[:length]))
        data = rest[length:]
    assert not data, f"{len(data)} bytes came back that are not an HTTP response"
    return found


def test_mangled_requests_never_crash_leak_or_go_unanswered_in_json(tmp_path, standin):
    """Every case ends with Airlock closing the connection, never a reset or a hang, and most are answered. A case
    gets no answer, and only a close, in exactly two ways:
    - Airlock was still reading it (an unfinished head, or a body shorter than declared): the head or idle deadline
      closes it, never sooner than that after the last byte;
    - its first request was complete, but the bytes after it are not a request: the parser fails while the first is
      still being scanned or forwarded, and Airlock closes the connection at once, its framing lost.
    A close without an answer that is neither fails the test."""
    server, ca = standin
    server.state.reset()
    settings = tmp_path / "airlock.yaml"
    settings.write_text(f"timeouts:\n  request_head: {HEAD_TIMEOUT}s\n  idle: {IDLE_TIMEOUT}s\n")
    rng = random.Random(SEED)
    cases = [mangle(rng.choice(BASES), rng) for _ in range(CASES)]
    statuses: dict[int, int] = {}
    reasons: dict[str, int] = {}
    unanswered = 0
    with launched(tmp_path, server, ca, extra=["--config", str(settings)]) as airlock, ThreadPoolExecutor(12) as pool:
        for case, (received, closed_after) in enumerate(pool.map(lambda data: exchange(airlock, data), cases)):
            answers = responses(received)
            final = [status for status, _ in answers if status >= 200]
            if not final:
                unanswered += 1
                # Checked without `assert` on an expression: pytest would print the case, and the canary in it.
                by_deadline = closed_after >= min(HEAD_TIMEOUT, IDLE_TIMEOUT) * 0.9
                if not by_deadline and bytes_after_first_request(cases[case]) == 0:
                    raise AssertionError(f"case {case} of seed {SEED} was closed after {closed_after:.2f}s without an answer")
            for status, body in answers:
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400:
                    # The stand-in answers 200; every refusal is Airlock's, and in the error shape SDKs read.
                    error = json.loads(body)["error"]
                    if not (error.get("type") and error.get("message")):
                        raise AssertionError(f"case {case} of seed {SEED}: a refusal without a type or message")
                    reasons[error.get("reason")] = reasons.get(error.get("reason"), 0) + 1
        assert airlock.process.poll() is None, f"the proxy exited during the cases of seed {SEED}"
        check_after_cases(airlock, server, statuses, reasons, unanswered)


def check_after_cases(airlock, server, statuses, reasons, unanswered) -> None:
    # Both kinds of outcome were exercised: requests that went through and requests that were refused.
    assert statuses.get(200, 0) > 0 and sum(n for s, n in statuses.items() if s >= 400) > 0, (statuses, reasons)
    # Most cases are answered: the unanswered ones are those the mangling left unfinished.
    assert unanswered < CASES // 2, (unanswered, statuses, reasons)
    # Named by seed, position and place only (a match object would print the canary).
    leaks = []
    for index, received in enumerate(server.state.requests):
        target = urllib.parse.unquote_to_bytes(received.path.replace("+", " "))
        headers = b"\n".join(f"{name}: {value}".encode() for name, value in received.headers.items())
        leaks += [(index, place) for place, text in (("body", received.body), ("target", target), ("headers", headers))
                  if LEAKED.search(text) is not None]
    if leaks:
        raise AssertionError(f"requests of seed {SEED} reached the stand-in with the canary: {leaks}")
    # The proxy still serves, wrote nothing of the bodies to its logs, and its ledger is intact.
    reply = proxied_session(airlock).post("https://api.openai.com/v1/chat/completions", data=CHAT,
                                          headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 200
    assert ledger(airlock, "verify").returncode == 0
    assert airlock.stop() == 0  # the log is written out in full before Airlock exits
    assert_absent(airlock.output(), GITHUB_CANARY, where="the log")
