"""WebSocket benchmark: what Airlock adds to a Realtime-style session.

The end-to-end tests' TLS stand-in echoes each message; a `websockets` client sends ~1 KiB JSON events
(`conversation.item.create` with prose, no secrets), first straight to the stand-in, then through Airlock's
interception (release build, ledger on). It prints the round-trip time of one message at a time (p50, p99) and
the rate of a burst of messages sent without waiting for each reply (up to WINDOW in flight), for both, and
Airlock's CPU time per message.

    swift build -c release --product airlock
    .build/e2e-venv/bin/python Benchmarks/websocket-bench.py            # 5,000 round trips, bursts of 20,000
    MESSAGES=20000 .build/e2e-venv/bin/python Benchmarks/websocket-bench.py
    SECRET=1 .build/e2e-venv/bin/python Benchmarks/websocket-bench.py   # every message redacted and recorded

`Tests/run` creates `.build/e2e-venv` (the `websockets` package and the stand-in's `cryptography`).
"""

from __future__ import annotations

import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "EndToEnd"))

from websockets.sync.client import connect  # noqa: E402

from conftest import launch  # noqa: E402
from standin import start_standin  # noqa: E402

MESSAGES = int(os.environ.get("MESSAGES", "5000"))
BURST = int(os.environ.get("BURST", str(4 * MESSAGES)))
WINDOW = int(os.environ.get("WINDOW", "32"))
PROSE = (
    "Please summarise the meeting notes below for the weekly report. The team agreed to move the release to "
    "Thursday, to run the migration on the staging cluster first, and to ask the support desk which customers "
    "reported slow exports last week. "
) * 4
# SECRET=1: every event also carries a (made-up) GitHub token, so every message is redacted and waits for its
# own ledger record before it is forwarded.
if os.environ.get("SECRET") == "1":
    PROSE += " The deploy token is ghp_" + "Cz7Qm2Lk9Vt4Rx8Wn3Bp6Hs1Dj5Fg0Ya9EeK."
EVENT = json.dumps({
    "type": "conversation.item.create", "event_id": "event_123",
    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROSE}]},
})


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_seconds(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (event loops, the ledger writer, the WAL copier, the log writer…)."""
    totals: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[name] = totals.get(name, 0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return totals


def measure(open_session) -> tuple[list[float], float]:
    with open_session() as ws:
        for _ in range(200):  # warm up
            ws.send(EVENT)
            ws.recv(timeout=10)
        times = []
        for _ in range(MESSAGES):
            start = time.perf_counter()
            ws.send(EVENT)
            ws.recv(timeout=10)
            times.append(time.perf_counter() - start)
        # A burst: a writer thread sends while this one reads, so both directions stay busy. At most WINDOW
        # messages are in flight: the client library sends while holding the lock its reader needs, so against an
        # echo server that blocks on its own writes, an unbounded burst would stall both.
        window = threading.Semaphore(WINDOW)

        def write() -> None:
            for _ in range(BURST):
                window.acquire()
                ws.send(EVENT)

        start = time.perf_counter()
        writer = threading.Thread(target=write)
        writer.start()
        for _ in range(BURST):
            ws.recv(timeout=30)
            window.release()
        writer.join()
        rate = BURST / (time.perf_counter() - start)
    return times, rate


def report(name: str, times: list[float], rate: float) -> None:
    ordered = sorted(times)
    p50 = statistics.median(ordered) * 1e6
    p99 = ordered[int(len(ordered) * 0.99)] * 1e6
    print(f"{name:<16} round trip p50 {p50:7.0f} µs  p99 {p99:7.0f} µs   burst {rate:8.0f} messages/s")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="airlock-ws-bench-"))
    server, ca = start_standin(work)
    trust = ssl.create_default_context(cafile=str(ca))
    url = f"wss://127.0.0.1:{server.port}/v1/echo-ws"

    def direct():
        return connect(url, ssl=trust, server_hostname="api.openai.com", compression=None, max_size=None)

    times, rate = measure(direct)
    report("direct", times, rate)

    import conftest

    # The release build unless AIRLOCK_BIN names another.
    conftest.BINARY = Path(os.environ.get("AIRLOCK_BIN", REPO / ".build" / "release" / "airlock"))
    (work / "airlock").mkdir()
    airlock = launch(work / "airlock", server, ca)
    try:
        proxied = ssl.create_default_context(cafile=str(airlock.ca))

        def through():
            return connect(
                "wss://api.openai.com/v1/echo-ws", proxy=airlock.proxy, ssl=proxied, compression=None, max_size=None
            )

        before, threads = cpu_seconds(airlock.process.pid), thread_seconds(airlock.process.pid)
        times, rate = measure(through)
        spent = cpu_seconds(airlock.process.pid) - before
        report("through Airlock", times, rate)
        count = MESSAGES + BURST + 200
        print(f"Airlock CPU per message: {spent / count * 1e6:.0f} µs (ledger on)")
        after = thread_seconds(airlock.process.pid)
        by_thread = sorted(((after[n] - threads.get(n, 0)) / count * 1e6, n) for n in after)
        print("  by thread: " + ", ".join(f"{name} {micros:.0f} µs" for micros, name in reversed(by_thread) if micros >= 1))
    finally:
        airlock.process.terminate()
        airlock.process.wait()
        server.shutdown()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
