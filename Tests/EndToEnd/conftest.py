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


def assert_absent(text: bytes | str, *canaries: str) -> None:
    """Fails when any canary is in `text`, naming it by position: a failure prints neither the canary nor the text."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = [index for index, canary in enumerate(canaries) if canary in text]
    assert not found, f"canary {found} reached the output"


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
