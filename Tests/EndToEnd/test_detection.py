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


def test_every_gitleaks_rule_has_a_row():
    """The coverage table of Benchmarks/Detection/README.md (written by audit_gitleaks.py) names every gitleaks
    rule of the corpus, and none is left uncovered."""
    readme = (DETECTION / "README.md").read_text()
    table = readme.split("<!-- gitleaks-coverage:start -->", 1)[1].split("<!-- gitleaks-coverage:end -->", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1]
    families = set()
    with open(DETECTION / "corpora" / "secrets-gitleaks.jsonl") as corpus:
        for line in corpus:
            families.add(json.loads(line)["family"])
    assert families - rows.keys() == set(), "gitleaks rules without a row in the coverage table"
    uncovered = sorted(rule for rule, kind in rows.items() if kind in ("not covered", "no generated sample"))
    assert not uncovered, f"gitleaks rules not covered: {uncovered}"
