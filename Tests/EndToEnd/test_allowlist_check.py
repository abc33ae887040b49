"""`airlock allowlist check` and `render` as a CI job runs them: exit codes and every output format."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import BINARY, REPO

FIXTURES = REPO / "Tests" / "Fixtures" / "allowlist-check"

# The parts of SARIF 2.1.0 that code-scanning tools rely on, as a JSON Schema.
SARIF_STRUCTURE = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {"id": {"type": "string"}, "shortDescription": {"type": "object", "required": ["text"]}},
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {"type": "object", "required": ["uri"]},
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1},
                                                            "startColumn": {"type": "integer", "minimum": 1},
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "allowlist", "check", *args], capture_output=True, timeout=30, cwd=REPO)


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def test_clean_allowlist_passes():
    result = check(fixture("clean.yaml"), "--strict")
    assert result.returncode == 0, result.stdout
    assert result.stdout.decode().startswith("ok: 3 entries in 1 file")


def test_shipped_allowlist_passes_strictly():
    result = check("--strict")
    assert result.returncode == 0, result.stdout


def test_errors_exit_1_with_file_line_column():
    result = check(fixture("duplicate.yaml"))
    assert result.returncode == 1
    assert f"{fixture('duplicate.yaml')}:5:5: error consistency.duplicate" in result.stdout.decode()


def test_warnings_pass_unless_strict():
    assert check(fixture("ip-literal.yaml")).returncode == 0
    assert check(fixture("ip-literal.yaml"), "--strict").returncode == 1


@pytest.mark.parametrize("name", ["syntax-error.yaml", "no-such-file.yaml"])
def test_unreadable_input_exits_2_naming_the_file(name):
    result = check(fixture(name))
    assert result.returncode == 2
    assert name in result.stdout.decode()


def test_json_output_is_stable():
    result = check(fixture("conflicting-mode.yaml"), "--format", "json")
    report = json.loads(result.stdout)
    assert report["version"] == 1 and report["summary"]["errors"] == 1
    finding = report["findings"][0]
    assert set(finding) == {"rule", "severity", "message", "file", "line", "column"}
    assert (finding["rule"], finding["line"], finding["column"]) == ("consistency.conflicting-mode", 6, 5)


def test_sarif_output_validates():
    result = check(fixture("public-suffix-com.yaml"), fixture("ip-literal.yaml"), "--format", "sarif")
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, SARIF_STRUCTURE)
    run = sarif["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for item in run["results"]:
        assert rules[item["ruleIndex"]] == item["ruleId"]
    levels = {item["ruleId"]: item["level"] for item in run["results"]}
    assert levels == {"breadth.public-suffix-wildcard": "error", "breadth.ip-literal": "warning"}


def test_github_annotations():
    result = check(fixture("uppercase.yaml"), "--format", "github")
    line = result.stdout.decode().strip()
    assert line.startswith(f"::warning file={fixture('uppercase.yaml')},line=3,col=11,title=hygiene.uppercase::")


def test_manifest_and_statement_drift():
    result = check(fixture("clean.yaml"), "--manifest", fixture("manifest-drift.yml"), "--statement", fixture("statement-drift.md"))
    assert result.returncode == 1
    text = result.stdout.decode()
    for rule in ("manifest.not-allowlisted", "manifest.undeclared", "statement.not-allowlisted", "statement.undeclared"):
        assert rule in text
    ok = check(fixture("clean.yaml"), "--manifest", fixture("manifest.yml"), "--statement", fixture("statement.md"), "--strict")
    assert ok.returncode == 0, ok.stdout


def test_render_round_trips_through_statement(tmp_path):
    rendered = subprocess.run([str(BINARY), "allowlist", "render", fixture("clean.yaml")], capture_output=True, timeout=30)
    assert rendered.returncode == 0
    statement = tmp_path / "statement.md"
    statement.write_text("# Endpoints\n\n" + rendered.stdout.decode())
    assert check(fixture("clean.yaml"), "--statement", str(statement), "--strict").returncode == 0
    as_json = subprocess.run([str(BINARY), "allowlist", "render", fixture("clean.yaml"), "--format", "json"], capture_output=True, timeout=30)
    endpoints = json.loads(as_json.stdout)["endpoints"]
    assert [e["host"] for e in endpoints] == ["api.openai.com", "*.internal-tools.example.com", "metrics.example.com"]


TYPO_AND_PUBLIC_SUFFIX = """\
version: 1
entries:
  - host: "*.github.io"
    purpse: Pages for the documentation site
  - host: api.example.com
    purpose: The example API
"""


def test_a_typo_does_not_hide_a_public_suffix_wildcard(tmp_path):
    allowlist = tmp_path / "team.yaml"
    allowlist.write_text(TYPO_AND_PUBLIC_SUFFIX)
    result = check(str(allowlist))
    assert result.returncode == 1
    text = result.stdout.decode()
    assert f"{allowlist}:4:5: error schema.unknown-key unknown key 'purpse' in an entry; did you mean 'purpose'?" in text
    assert f"{allowlist}:3:11: error breadth.public-suffix-wildcard" in text
    assert text.endswith("3 errors, 0 warnings in 1 file (2 entries)\n")
    single = tmp_path / "single.yaml"
    single.write_text("version: 1\nentries:\n  - host: api.example.com\n    purpose: x\n    mode: sideways\n")
    assert check(str(single)).stdout.decode().endswith("1 error, 0 warnings in 1 file (1 entry)\n")


def test_render_refuses_an_allowlist_that_fails_check(tmp_path):
    allowlist = tmp_path / "team.yaml"
    allowlist.write_text(TYPO_AND_PUBLIC_SUFFIX)
    refused = subprocess.run([str(BINARY), "allowlist", "render", str(allowlist)], capture_output=True, timeout=30)
    assert refused.returncode == 1 and refused.stdout == b""
    assert b"fails `airlock allowlist check`" in refused.stderr and b"breadth.public-suffix-wildcard" in refused.stderr
    # Warnings do not stop it.
    rendered = subprocess.run([str(BINARY), "allowlist", "render", fixture("ip-literal.yaml")], capture_output=True, timeout=30)
    assert rendered.returncode == 0 and rendered.stdout


def test_a_missing_allowlist_names_its_absolute_path_and_the_reason(tmp_path):
    result = subprocess.run([str(BINARY), "allowlist", "check", "nope.yaml"], capture_output=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2
    text = result.stdout.decode()
    assert f"nope.yaml: error file.unreadable cannot read {tmp_path}/nope.yaml: No such file or directory" in text
    assert f"working directory {tmp_path}" in text
