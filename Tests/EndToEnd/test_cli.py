"""The `ca` subcommands and start-up refusals of the real binary."""

from __future__ import annotations

import os
import subprocess

from cryptography import x509

from conftest import BINARY, launch


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
