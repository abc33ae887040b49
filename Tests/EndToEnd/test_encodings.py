"""Secrets and code in encodings and containers that once left unread, through the real proxy: percent-encoded
text and `data:` URLs, UTF-16 files, token ids, invisible characters, wrapped tokens, fences labelled as text,
and a secret split across two messages."""
from __future__ import annotations

import base64
import json
import ssl
import urllib.parse

import httpx
import openai
import pytest

from conftest import assert_absent, assert_present
from test_ledger import records, wait_for
from test_proxy import proxied_session

# Random-shaped canaries, never real credentials.
TOKEN = "ghp_" + "Vq3Lk8Zt2Rm7Xw4Pn9Bc6Hd1Sj5Fg0Ya8EeN"
AWS_ID = "AKIA" + "R8ZK3M2Q9X4T6W7P"
AWS_SECRET = "t7Vd2RkQ9mW1xZp4Lc8Hs0bNf3Gy6Ju5Ea2Ko9Mx"
CODE = (
    "def rotate(vault, name):\n    secret = vault.read(name)\n    for replica in vault.replicas():\n"
    "        replica.write(name, secret.next())\n    return secret.version\n"
)
CANARIES = (TOKEN, TOKEN[4:24], TOKEN[24:], AWS_ID, AWS_SECRET, "vault.replicas()")
CHAT = "https://api.openai.com/v1/chat/completions"


def forwarded(server) -> bytes:
    assert len(server.state.requests) == 1, "the request did not reach the stand-in exactly once"
    return server.state.requests[0].body


def post(airlock, server, url: str, body: dict):
    server.state.reset()
    return proxied_session(airlock).post(url, json=body, timeout=20)


def chat(content) -> dict:
    return {"model": "gpt-test", "messages": [{"role": "user", "content": content}]}


@pytest.mark.parametrize(
    "text",
    [
        f"GET /search?q=token%20{TOKEN}&page=2",
        f"id0{TOKEN} in the access log",
        "curl 'https://x.test/?dsn=" + urllib.parse.quote(f"postgres://ops:{AWS_SECRET}@db.internal/app", safe="") + "'",
        f"use {TOKEN[:14]}\u200b{TOKEN[14:]} for the build",
        f"use {TOKEN[:9]}\u00ad{TOKEN[9:]} for the build",
        f"the deploy script on the build host printed this line and then: {TOKEN[:24]}\n{TOKEN[24:]} and it stopped",
        f"Access key ID,Secret access key\n{AWS_ID},{AWS_SECRET}\n",
    ],
    ids=["percent-encoded", "glued-prefix", "percent-encoded-url", "zero-width-space", "soft-hyphen", "hard-wrapped", "credentials-csv"],
)
def test_secrets_in_reading_encodings_reach_the_provider_redacted(airlock, standin, text):
    server, _ = standin
    response = post(airlock, server, CHAT, chat(text))
    assert response.status_code == 200
    assert_absent(forwarded(server), *CANARIES)
    assert_present(forwarded(server), "[REDACTED:secret:", where="the forwarded body")


@pytest.mark.parametrize(
    "url, body",
    [
        ("https://api.openai.com/v1/chat/completions", lambda u: chat([{"type": "image_url", "image_url": {"url": u}}])),
        ("https://api.openai.com/v1/responses", lambda u: {"model": "gpt-test", "input": [{"role": "user", "content": [{"type": "input_image", "image_url": u}]}]}),
        ("https://api.anthropic.com/v1/messages", lambda u: {"model": "claude-test", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "url", "url": u}}]}]}),
        ("https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent", lambda u: {"contents": [{"role": "user", "parts": [{"fileData": {"mimeType": "text/plain", "fileUri": u}}]}]}),
    ],
    ids=["chat-image-url", "responses-input-image", "anthropic-document", "gemini-file-uri"],
)
def test_percent_encoded_data_urls_are_read_in_every_field(airlock, standin, url, body):
    server, _ = standin
    payload = f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n\n{CODE}"
    data_url = "data:text/plain," + urllib.parse.quote(payload, safe="")
    response = post(airlock, server, url, body(data_url))
    assert response.status_code == 200
    sent = forwarded(server)
    assert_absent(sent, *CANARIES)
    assert_absent(urllib.parse.unquote(sent.decode()), *CANARIES)


def test_utf16_files_are_read_as_text(airlock, standin):
    server, _ = standin
    # Windows PowerShell 5's default output: UTF-16LE with a byte-order mark.
    text = f"PS C:\\app> type .env\r\nGITHUB_TOKEN={TOKEN}\r\nREGION=eu-west-1\r\n"
    data = base64.b64encode(text.encode("utf-16")).decode()
    body = {"contents": [{"parts": [{"inlineData": {"mimeType": "application/octet-stream", "data": data}}]}]}
    response = post(airlock, server, "https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent", body)
    assert response.status_code == 200
    sent = json.loads(forwarded(server))["contents"][0]["parts"][0]["inlineData"]["data"]
    decoded = base64.b64decode(sent).decode("utf-16")
    assert_absent(decoded, *CANARIES)
    assert_present(decoded, "GITHUB_TOKEN=[REDACTED", "REGION=eu-west-1\r\n", where="the decoded file")


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/v1/embeddings", {"model": "text-embedding-3-small", "input": [[8586, 374, 264, 6130]]}, "input"),
        ("/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": [8586, 374, 264], "max_tokens": 5}, "prompt"),
    ],
)
def test_token_ids_are_refused_in_openais_error_shape(airlock, standin, path, body, field):
    server, _ = standin
    response = post(airlock, server, "https://api.openai.com" + path, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "token_ids_unreadable" and f"$.{field}" in error["message"]
    assert server.state.requests == []
    rows = wait_for(lambda: [r for r in records(airlock) if r.get("reason") == "token_ids_unreadable"])
    assert rows and rows[-1]["decision"] == "error"


def test_langchain_style_embeddings_are_refused(airlock, standin):
    """The official SDK sends what LangChain's OpenAIEmbeddings sends by default: token ids."""
    server, _ = standin
    server.state.reset()
    client = openai.OpenAI(
        api_key="sk-test", max_retries=0,
        http_client=httpx.Client(
            proxy=airlock.proxy, verify=ssl.create_default_context(cafile=str(airlock.ca)), trust_env=False),
    )
    with pytest.raises(openai.BadRequestError) as raised:
        client.embeddings.create(model="text-embedding-3-small", input=[[8586, 374, 264]])
    assert raised.value.code == "token_ids_unreadable"
    assert server.state.requests == []


@pytest.mark.parametrize("label", ["text", "log", "json", "plaintext", "md", "markdown"])
def test_code_in_a_fence_labelled_as_text_is_redacted(airlock, standin, label):
    server, _ = standin
    response = post(airlock, server, CHAT, chat(f"What is wrong here?\n```{label}\n{CODE}```\nThanks"))
    assert response.status_code == 200
    sent = json.loads(forwarded(server))["messages"][0]["content"]
    assert_absent(sent, *CANARIES)
    assert_present(sent, "[REDACTED:code:python:", "```\nThanks", where="the forwarded message")


def test_a_secret_split_across_two_messages_is_redacted_in_both(airlock, standin):
    server, _ = standin
    body = {"model": "gpt-test", "messages": [
        {"role": "user", "content": f"my token starts {TOKEN[:20]}"},
        {"role": "user", "content": f"{TOKEN[20:]} is the rest"},
    ]}
    response = post(airlock, server, CHAT, body)
    assert response.status_code == 200
    assert_absent(forwarded(server), *CANARIES)


def test_a_secret_split_across_two_embeddings_inputs_is_redacted_in_both(airlock, standin):
    server, _ = standin
    body = {"model": "text-embedding-3-small", "input": [f"chunk one ends {TOKEN[:20]}", f"{TOKEN[20:]} starts chunk two"]}
    response = post(airlock, server, "https://api.openai.com/v1/embeddings", body)
    assert response.status_code == 200
    assert_absent(forwarded(server), *CANARIES)
