"""The `ca` subcommands and start-up refusals of the real binary."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import requests
from cryptography import x509

from conftest import BINARY, assert_absent, launch, wait_for_log


def airlock_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *args], capture_output=True, timeout=30, env={**os.environ, **(env or {})})


def test_ca_init_path_show(tmp_path):
    state = tmp_path / "state"
    created = airlock_cli("ca", "init", "--state-dir", str(state))
    assert created.returncode == 0, created.stderr
    assert (state / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    path = airlock_cli("ca", "path", "--state-dir", str(state)).stdout.decode().strip()
    assert path == str(state / "ca.pem")
    certificate = x509.load_pem_x509_certificate((state / "ca.pem").read_bytes())
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    shown = airlock_cli("ca", "show", "--state-dir", str(state)).stdout.decode()
    fingerprint = certificate.fingerprint(certificate.signature_hash_algorithm.__class__()).hex().upper()
    assert ":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2)) in shown
    assert "Airlock Local CA" in shown and "not after" in shown
    # AIRLOCK_HOME is honoured when --state-dir is absent, and init keeps an existing CA
    again = airlock_cli("ca", "init", env={"AIRLOCK_HOME": str(state)})
    assert again.returncode == 0 and b"already exists" in again.stdout


def test_serve_refuses_a_readable_ca_key(tmp_path, standin):
    server, ca = standin
    state = tmp_path / "state"
    assert airlock_cli("ca", "init", "--state-dir", str(state)).returncode == 0
    (state / "ca-key.pem").chmod(0o644)
    instance = launch(tmp_path, server, ca, expect_ready=False)
    assert instance.process.wait(timeout=30) != 0
    assert "accessible by group or others" in instance.stderr_path.read_text()


# The first hour: start-up, files that cannot be read, --version, `env --proxy-user`, environment variables.


PASSWORD_CANARY = "pw-canary-Zx81:q/@ %&"


def serve(tmp_path: Path, *args: str, env: dict | None = None, wait: float = 15) -> tuple[subprocess.Popen, Path, Path]:
    """`serve` with the given flags, from `tmp_path`; returns once it announced itself or exited."""
    out, err = tmp_path / "serve.stdout", tmp_path / "serve.stderr"
    allow = tmp_path / "allow.yaml"
    allow.write_text("version: 1\nentries:\n  - host: api.openai.com\n    purpose: Tests\n")
    process = subprocess.Popen(
        [str(BINARY), "serve", "--state-dir", str(tmp_path / "state"), "--allowlist", str(allow), *args],
        stdout=open(out, "wb"), stderr=open(err, "wb"), stdin=subprocess.DEVNULL, cwd=tmp_path,
        env={**os.environ, **(env or {})})
    deadline = time.time() + wait
    while time.time() < deadline and process.poll() is None:
        if "airlock listening on" in out.read_text() and "admin listening on" in err.read_text(errors="replace"):
            break
        time.sleep(0.05)
    return process, out, err


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def test_a_port_in_use_is_named_before_anything_is_announced(tmp_path):
    for key, flag, variable in (("listen", "--listen", "AIRLOCK_LISTEN"), ("admin_listen", "--admin-listen", "AIRLOCK_ADMIN_LISTEN")):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        try:
            addresses = {"--listen": "127.0.0.1:0", "--admin-listen": "127.0.0.1:0"}
            addresses[flag] = f"127.0.0.1:{port}"
            process, out, err = serve(tmp_path, *[a for pair in addresses.items() for a in pair])
            assert process.wait(timeout=15) != 0
            message = err.read_text()
            assert f"cannot listen on 127.0.0.1:{port}" in message and "Address already in use" in message
            assert f"`{key}`" in message and flag in message and variable in message
            assert "airlock listening on" not in out.read_text()
        finally:
            busy.close()


def test_environment_variables_set_addresses_and_log_format_and_flags_win(tmp_path):
    process, out, err = serve(tmp_path, env={
        "AIRLOCK_LISTEN": "127.0.0.1:0", "AIRLOCK_ADMIN_LISTEN": "127.0.0.1:0", "AIRLOCK_LOG_FORMAT": "json"})
    try:
        assert "airlock listening on 127.0.0.1:" in out.read_text()
        records = [json.loads(line) for line in err.read_text().splitlines() if line.startswith("{")]
        assert any(r["message"].startswith("airlock admin listening on 127.0.0.1:") for r in records)
    finally:
        stop(process)
    process, out, err = serve(tmp_path, "--log-format", "text", env={
        "AIRLOCK_LISTEN": "127.0.0.1:0", "AIRLOCK_ADMIN_LISTEN": "127.0.0.1:0", "AIRLOCK_LOG_FORMAT": "json"})
    try:
        assert "airlock admin listening on 127.0.0.1:" in err.read_text() and not err.read_text().startswith("{")
    finally:
        stop(process)
    bad = airlock_cli("serve", "--state-dir", str(tmp_path / "state"), env={"AIRLOCK_LOG_FORMAT": "xml"})
    assert bad.returncode == 2 and b"AIRLOCK_LOG_FORMAT must be text or json" in bad.stderr
    # `airlock env` reads AIRLOCK_LISTEN too, and its flag wins.
    state = ["--state-dir", str(tmp_path / "state")]
    from_env = airlock_cli("env", *state, env={"AIRLOCK_LISTEN": "127.0.0.1:7311"}).stdout.decode()
    assert "export HTTPS_PROXY='http://127.0.0.1:7311'" in from_env
    from_flag = airlock_cli("env", *state, "--listen", "127.0.0.1:7312", env={"AIRLOCK_LISTEN": "127.0.0.1:7311"})
    assert "export HTTPS_PROXY='http://127.0.0.1:7312'" in from_flag.stdout.decode()


def test_files_that_cannot_be_read_are_named_with_the_reason(tmp_path):
    def run(*args: str) -> str:
        result = subprocess.run([str(BINARY), *args], capture_output=True, timeout=30, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        return (result.stdout + result.stderr).decode()

    # The default allowlist is relative: the working directory is named.
    text = run("allowlist", "check")
    assert f"cannot read {tmp_path}/Allowlist: No such file or directory" in text
    assert f"working directory {tmp_path}" in text and ":0:0" not in text
    text = run("serve", "--state-dir", str(tmp_path / "state"), "--config", "missing.yaml")
    assert f"{tmp_path}/missing.yaml: No such file or directory" in text and "--config" in text
    allow = tmp_path / "allow.yaml"
    allow.write_text("version: 1\nentries:\n  - host: api.openai.com\n    purpose: Tests\n")
    text = run("serve", "--state-dir", str(tmp_path / "state"), "--allowlist", str(allow), "--upstream-ca", "/nonexistent/ca.pem")
    assert "cannot read /nonexistent/ca.pem: No such file or directory" in text and "--upstream-ca" in text
    text = run("serve", "--state-dir", str(tmp_path / "state"), "--listen", "127.0.0.1:0", "--proxy-auth-file", "creds")
    assert f"cannot read {tmp_path}/creds: No such file or directory" in text


def test_version_names_the_commit():
    result = airlock_cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"airlock \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n", result.stdout.decode())


def test_env_writes_proxy_credentials_read_from_a_file_or_stdin(tmp_path, standin):
    server, ca = standin
    credentials = tmp_path / "credentials"
    credentials.write_text(f"alice:{PASSWORD_CANARY}\n")
    instance = launch(tmp_path, server, ca, extra=["--proxy-auth-file", str(credentials)])
    try:
        state = ["--state-dir", str(instance.state_dir), "--listen", f"127.0.0.1:{instance.port}", "--proxy-user", "alice"]
        password_file = tmp_path / "password"
        password_file.write_text(PASSWORD_CANARY + "\n")
        from_file = airlock_cli("env", *state, "--proxy-password-file", str(password_file))
        from_stdin = subprocess.run([str(BINARY), "env", *state, "--proxy-password-file", "-"], input=PASSWORD_CANARY.encode(),
                                    capture_output=True, timeout=30)
        assert from_file.returncode == 0 and from_file.stdout == from_stdin.stdout
        proxy = re.search(r"export HTTPS_PROXY='([^']+)'", from_file.stdout.decode()).group(1)
        assert proxy == f"http://alice:pw-canary-Zx81%3Aq%2F%40%20%25%26@127.0.0.1:{instance.port}"
        assert_absent([from_file.stderr, from_stdin.stderr], PASSWORD_CANARY, "pw-canary", where="airlock env's errors")
        # The printed proxy URL authenticates.
        session = requests.Session()
        session.trust_env = False
        session.proxies = {"https": proxy}
        session.verify = str(instance.ca)
        ok = session.post("https://api.openai.com/v1/chat/completions", json={"model": "gpt-test", "messages": []}, timeout=20)
        assert ok.status_code == 200
        # A password is never an argument; failures do not repeat it.
        assert airlock_cli("env", *state, "--proxy-password", PASSWORD_CANARY).returncode != 0
        missing = airlock_cli("env", *state)
        assert missing.returncode == 2 and b"--proxy-password-file" in missing.stderr
        empty = tmp_path / "empty"
        empty.write_text("")
        refused = airlock_cli("env", *state, "--proxy-password-file", str(empty))
        assert refused.returncode == 2 and refused.stdout == b""
        instance.stop()
        assert_absent(instance.output(), PASSWORD_CANARY, "pw-canary", where="the proxy's log")
    finally:
        if instance.process.poll() is None:
            instance.process.kill()


def test_intercept_lines_are_debug(tmp_path, standin):
    server, ca = standin
    for level, expected in (("info", False), ("debug", True)):
        directory = tmp_path / level
        directory.mkdir()
        instance = launch(directory, server, ca, extra=["--log-level", level])
        try:
            session = requests.Session()
            session.trust_env = False
            session.proxies = {"https": instance.proxy}
            session.verify = str(instance.ca)
            session.post("https://api.openai.com/v1/chat/completions", json={"model": "gpt-test", "messages": []}, timeout=20)
            output = wait_for_log(instance, "decision=allowed")
            assert ("decision=intercept" in output) == expected
        finally:
            instance.process.kill()
            instance.process.wait()


def test_a_state_directory_that_cannot_be_made_names_the_reason(tmp_path):
    (tmp_path / "plain-file").write_text("")
    result = subprocess.run([str(BINARY), "ca", "init", "--state-dir", "plain-file/state"], capture_output=True,
                            timeout=30, cwd=tmp_path)
    assert result.returncode != 0 and result.stdout == b""
    message = result.stderr.decode()
    assert f"{tmp_path}/plain-file/state: cannot create the state directory: Not a directory" in message
    assert f"working directory {tmp_path}" in message


def test_the_image_runs_as_a_numeric_user_and_nothing_names_the_old_admin_port():
    repo = Path(__file__).resolve().parents[2]
    dockerfile = (repo / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert users == ["10001:10001"]
    assert "install -d -o 10001 -g 10001" in dockerfile and "EXPOSE 8080 9479" in dockerfile
    assert "AIRLOCK_ADMIN_LISTEN=0.0.0.0:9479" in dockerfile and "AIRLOCK_LISTEN=0.0.0.0:8080" in dockerfile
    # The admin port moved off Prometheus's 9090 everywhere a newcomer looks.
    for path in [repo / "README.md", repo / "Config" / "airlock.yaml", repo / "Dockerfile", *(repo / "docs").glob("*.md")]:
        for line in path.read_text().splitlines():
            assert "9090" not in line or "Prometheus (9090)" in line, f"{path.name}: {line}"
