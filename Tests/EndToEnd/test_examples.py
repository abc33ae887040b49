"""The offline demo in Examples/ runs as the README says, and shows what it promises."""

import os
import subprocess
from pathlib import Path

from conftest import BINARY

ROOT = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "ghp_" + "Cz7Qm2Lk9Vt4Rx8Wn3Bp6Hs1Dj5Fg0Ya9EeK"


def test_the_offline_demo_shows_what_left_what_the_app_was_told_and_what_was_recorded():
    result = subprocess.run(
        [str(ROOT / "Examples" / "offline-demo")], capture_output=True, text=True, timeout=180,
        env={**os.environ, "AIRLOCK_BIN": str(BINARY)})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    sent, rest = out.split("== the provider received ==", 1)
    # The token is shown once, as the app sent it; never in what left, in what the app was told or in the ledger.
    assert FAKE_TOKEN in sent and FAKE_TOKEN not in rest
    assert "[REDACTED:secret:github-pat:1]" in rest and "[REDACTED:code:python:5-lines:1]" in rest
    assert "X-Airlock-Scrubbed: github-pat:1,code-python:1" in rest
    ledger = rest.split("== the ledger recorded", 1)[1]
    assert '"decision": "redacted"' in ledger and '"entry": "api.openai.com"' in ledger
