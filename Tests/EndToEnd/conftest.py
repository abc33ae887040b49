"""Fixtures that start the real `airlock` binary in front of a local TLS stand-in for the providers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from standin import PROVIDER_HOSTS, StandinServer, start_standin

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("AIRLOCK_BIN", REPO / ".build" / "debug" / "airlock"))

TEST_ALLOWLIST = """\
version: 1
entries:
  - host: api.openai.com
    provider: openai
    purpose: OpenAI stand-in for tests
  - host: api.anthropic.com
    provider: anthropic
    purpose: Anthropic stand-in for tests
  - host: generativelanguage.googleapis.com
    provider: gemini
    purpose: Gemini stand-in for tests
  - host: tunnel.test
    mode: tunnel
    purpose: Byte tunnel without inspection, for tests
  - host: other.test
    methods: [POST]
    paths: [/v1/]
    purpose: Method and path restrictions, for tests
"""


def _search(text, needle):
    """`needle` in `text`, comparing bytes with bytes: a binary file (SQLite pages) is searched as it is."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return (needle.encode() if isinstance(needle, str) else needle) in bytes(text)
    return (needle.decode() if isinstance(needle, bytes) else needle) in text


def assert_absent(text, *canaries, where: str = "the output") -> None:
    """Fails when any canary is in `text` (a str, bytes, or a list of them), naming it by position and `where`: a
    failure prints neither the canary nor the text around it. Every canary check of the suite goes through here."""
    __tracebackhide__ = True
    texts = text if isinstance(text, (list, tuple)) else [text]
    found = sorted({index for index, canary in enumerate(canaries) for t in texts if _search(t, canary)})
    if found:
        raise AssertionError(f"canary {found} reached {where}")


def assert_present(text, *markers, where: str = "the output", by_position: bool = False) -> None:
    """Fails when a marker is missing from `text`, never printing `text`, which may hold what a test sent. Missing
    markers are named, or only numbered with `by_position` (a canary a monitoring policy must let through)."""
    __tracebackhide__ = True
    missing = [index if by_position else marker for index, marker in enumerate(markers) if not _search(text, marker)]
    if missing:
        raise AssertionError(f"{where} lacks {'marker ' if by_position else ''}{missing}")


def assert_same(actual, expected, what: str) -> None:
    """Equality without printing either side (a redacted text that was not redacted holds the canary): a failure
    names `what`, the lengths, and where the two first differ."""
    __tracebackhide__ = True
    if actual == expected:
        return
    try:
        at = next((i for i, (a, b) in enumerate(zip(actual, expected)) if a != b), min(len(actual), len(expected)))
        detail = f"lengths {len(actual)} and {len(expected)}, first difference at {at}"
    except TypeError:
        detail = f"a {type(actual).__name__} where a {type(expected).__name__} was expected"
    raise AssertionError(f"{what} is not as expected ({detail})")


def wait_for_log(airlock: "Airlock", marker: str, count: int = 1, timeout: float = 10) -> str:
    """The proxy's output once `count` lines containing `marker` were written (the log is written in the
    background, so a check for what must not be there waits for what must be there first). Fails, without printing
    the output, when they are not written in time."""
    __tracebackhide__ = True
    deadline = time.time() + timeout
    while True:
        output = airlock.output()
        if output.count(marker) >= count:
            return output
        if time.time() >= deadline:
            raise AssertionError(f"the log did not get {count} line(s) with {marker!r} within {timeout}s")
        time.sleep(0.05)


def sweep_state_directory(state_dir: Path, *canaries: str, require_wal: bool) -> list[str]:
    """Reads every file of the state directory (the ledger's SQLite database and, while it is open or after a
    crash, its -wal and -shm files) as bytes and fails if a canary is in any of them. Returns the names read."""
    __tracebackhide__ = True
    files = sorted(p for p in state_dir.iterdir() if p.is_file())
    names = [p.name for p in files]
    if require_wal:
        wal = state_dir / "ledger.sqlite-wal"
        assert wal.exists() and wal.stat().st_size > 0, f"no write-ahead log to search: {names}"
    for path in files:
        assert_absent(path.read_bytes(), *canaries, where=f"the state file {path.name}")
    return names


@pytest.fixture(scope="session")
def standin(tmp_path_factory) -> tuple[StandinServer, Path]:
    directory = tmp_path_factory.mktemp("standin")
    server, ca = start_standin(directory)
    yield server, ca
    server.shutdown()


@dataclass
class Airlock:
    process: subprocess.Popen
    port: int
    state_dir: Path
    stdout_path: Path
    stderr_path: Path
    allowlist: Path
    admin_port: int = 0

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca(self) -> Path:
        return self.state_dir / "ca.pem"

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def launch(
    tmp_path: Path,
    standin: StandinServer,
    standin_ca: Path,
    allowlist: str = TEST_ALLOWLIST,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
    expect_ready: bool = True,
) -> Airlock:
    state = tmp_path / "state"
    allow = tmp_path / "allowlist.yaml"
    allow.write_text(allowlist)
    args = [
        str(BINARY), "serve",
        "--listen", "127.0.0.1:0",
        "--state-dir", str(state),
        "--allowlist", str(allow),
        "--upstream-ca", str(standin_ca),
        "--admin-listen", "127.0.0.1:0",
    ]
    for host in PROVIDER_HOSTS:
        args += ["--connect-to", f"{host}:443:127.0.0.1:{standin.port}"]
    args += extra or []
    out, err = tmp_path / "airlock.stdout", tmp_path / "airlock.stderr"
    process = subprocess.Popen(
        args, stdout=open(out, "wb"), stderr=open(err, "wb"), stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, cwd=tmp_path,
    )
    airlock = Airlock(process, 0, state, out, err, allow)
    if not expect_ready:
        return airlock
    deadline = time.time() + 30
    while time.time() < deadline:
        text = out.read_text()
        errors = err.read_text(errors="replace")
        if "airlock listening on " in text and "airlock admin listening on " in errors:
            airlock.port = int(text.split("airlock listening on ", 1)[1].split()[0].rsplit(":", 1)[1])
            # A bare line, or the message of a JSON log record with --log-format json.
            airlock.admin_port = int(re.search(r"airlock admin listening on \S+?:(\d+)", errors).group(1))
            return airlock
        if process.poll() is not None:
            raise AssertionError(f"airlock exited early ({process.returncode}): {err.read_text()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError("airlock did not announce its address")


@contextmanager
def launched(tmp_path: Path, standin: StandinServer, standin_ca: Path, **options):
    """A proxy for one test with its own allowlist or flags; killed when the block ends."""
    instance = launch(tmp_path, standin, standin_ca, **options)
    try:
        yield instance
    finally:
        if instance.process.poll() is None:
            instance.process.kill()
            instance.process.wait()


@pytest.fixture
def airlock(tmp_path, standin) -> Airlock:
    server, ca = standin
    server.state.reset()
    instance = launch(tmp_path, server, ca)
    yield instance
    if instance.process.poll() is None:
        instance.process.kill()
        instance.process.wait()
