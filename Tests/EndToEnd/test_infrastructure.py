"""Infrastructure files pasted into prompts, through the real proxy: a docker-compose file with a database password
and a Kubernetes manifest with one in its environment, in an OpenAI chat message, an Anthropic tool result and a
Gemini part. By default each file is removed as code named after its tool; with code only monitored, the file
passes and its password does not."""
from __future__ import annotations

import json
import secrets
import string

import pytest

from conftest import assert_absent, assert_present, launched
from test_ledger import records, wait_for
from test_proxy import proxied_session
from test_scrub import config


def password() -> str:
    """A fresh password of the shape a generator writes: never a real credential."""
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(22))
        if any(c.isdigit() for c in value) and any(c.isupper() for c in value) and any(c.islower() for c in value):
            return value


def compose(pw: str) -> str:
    return (
        "services:\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    environment:\n"
        "      POSTGRES_USER: orders\n"
        f"      POSTGRES_PASSWORD: {pw}\n"
        "    volumes:\n"
        "      - pgdata:/var/lib/postgresql/data\n"
        "  api:\n"
        "    build: .\n"
        "    depends_on:\n"
        "      - db\n"
        "    ports:\n"
        '      - "8080:8080"\n'
        "volumes:\n"
        "  pgdata: {}\n"
    )


def manifest(pw: str) -> str:
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: orders-api\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: orders-api\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: orders-api\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: api\n"
        "          image: registry.example.com/orders-api:1.4.2\n"
        "          env:\n"
        "            - name: DB_PASSWORD\n"
        f"              value: {pw}\n"
    )


FILES = {"docker-compose": compose, "kubernetes": manifest}
QUESTION = "Why does this keep restarting after the upgrade?"
AFTER = "It worked fine last week."


def openai_chat(text: str):
    return "https://api.openai.com/v1/chat/completions", {
        "model": "gpt-test", "messages": [{"role": "user", "content": text}]}


def anthropic_tool_result(text: str):
    return "https://api.anthropic.com/v1/messages", {
        "model": "claude-test", "max_tokens": 16,
        "messages": [
            {"role": "user", "content": "Read the deployment file."},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "read_file",
                                               "input": {"path": "deploy.yaml"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": text}]},
        ]}


def gemini_part(text: str):
    return "https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent", {
        "contents": [{"role": "user", "parts": [{"text": text}]}]}


SHAPES = {"openai-chat": openai_chat, "anthropic-tool-result": anthropic_tool_result, "gemini-part": gemini_part}


def send(airlock, server, shape: str, text: str) -> bytes:
    server.state.reset()
    url, body = SHAPES[shape](text)
    response = proxied_session(airlock).post(url, json=body, timeout=20)
    assert response.status_code == 200, response.text[:200]
    assert len(server.state.requests) == 1, "the request did not reach the stand-in exactly once"
    return server.state.requests[0].body


def forwarded_text(body: bytes) -> str:
    """Every string of the forwarded JSON, one after another, as the provider reads them."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(body))
    return "\n".join(out)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("tool", FILES)
def test_an_infrastructure_file_is_removed_as_code_named_after_its_tool(airlock, standin, tool, shape):
    server, _ = standin
    pw = password()
    text = f"{QUESTION}\n\n{FILES[tool](pw)}\n{AFTER}\n"
    sent = send(airlock, server, shape, text)
    assert_absent(sent, pw, pw[:12], pw[10:])
    readable = forwarded_text(sent)
    assert_present(readable, f"[REDACTED:code:{tool}:", QUESTION, AFTER, where="the forwarded text")
    assert_absent(readable, "POSTGRES_PASSWORD", "DB_PASSWORD", "image: ")
    row = wait_for(lambda: [r for r in records(airlock) if r.get("findings", {}).get(f"code-{tool}")])
    assert row, f"no ledger record names code-{tool}"
    assert_absent(json.dumps(row), pw)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("tool", FILES)
def test_with_code_monitored_the_file_passes_without_its_password(tmp_path, standin, tool, shape):
    server, ca = standin
    pw = password()
    text = f"{QUESTION}\n\n{FILES[tool](pw)}\n{AFTER}\n"
    options = config(tmp_path, "scrub:\n  code: monitor\n")
    with launched(tmp_path, server, ca, extra=options) as airlock:
        sent = send(airlock, server, shape, text)
        output = airlock.output()
    assert_absent(sent, pw, pw[:12], pw[10:])
    assert_absent(output, pw)
    readable = forwarded_text(sent)
    # Only the password is replaced: every other line of the file reaches the provider as it was written.
    kept = [line for line in FILES[tool]("\0").splitlines() if "\0" not in line]
    assert_present(readable, "[REDACTED:secret:", QUESTION, AFTER, *kept, where="the forwarded text")
