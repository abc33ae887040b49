"""The detection benchmark (Benchmarks/Detection) through the real scanner: no figure may move the wrong way by more
than half a point from the figures recorded in Benchmarks/Detection/baseline.json. Accuracy is deterministic, so a
drop is a regression, not noise."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import BINARY

HERE = Path(__file__).parent
DETECTION = HERE.parent.parent / "Benchmarks" / "Detection"
TOLERANCE = 0.5  # percentage points


def test_detection_figures_hold(tmp_path):
    summary = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, str(DETECTION / "score.py"), "--airlock", str(BINARY), "--json", str(summary)],
        capture_output=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    measured = json.loads(summary.read_text())["splits"]
    baseline = json.loads((DETECTION / "baseline.json").read_text())["splits"]
    regressions = []
    for split, targets in baseline.items():
        now = {t["target"]: round(t["value"] * 100, 2) for t in measured[split]["targets"]}
        for target, recorded in targets.items():
            value = now[target]
            worse = recorded["value"] - value if recorded["op"] == ">=" else value - recorded["value"]
            if worse > TOLERANCE:
                regressions.append(f"{split}: {target} {recorded['value']} -> {value}")
    assert not regressions, "detection figures fell: " + "; ".join(regressions)
