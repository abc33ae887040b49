"""File uploads through the real proxy: the OpenAI and Anthropic SDKs' files APIs, an OpenAI transcription and
curl's -F (multipart/form-data), and the pieces of Gemini resumable uploads and OpenAI upload parts. Every part is
read for what it is, and a form that another parser could split differently never leaves."""
from __future__ import annotations

import json
import shlex
import sys
from email.parser import BytesParser
from email.policy import HTTP

import pytest

from sdk_client import WAV
from conftest import assert_absent, assert_present, assert_same
from test_clients import HERE, with_airlock_env
from test_ledger import records, wait_for
from test_proxy import curl, proxied_session, split
from test_scrub import CODE, GITHUB_CANARY, PROMPT, assert_no_canary, log_after, scan, sdk_reply, with_binary_policy


def form_parts(received) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body as the upstream got it, by field name: (filename, content)."""
    head = f"Content-Type: {received.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + received.body)
    assert message.is_multipart()
    return {part.get_param("name", header="content-disposition"): (part.get_filename(), part.get_payload(decode=True))
            for part in message.iter_parts()}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_uploaded_files_reach_the_provider_redacted(airlock, standin, provider):
    server, _ = standin
    reply = sdk_reply(airlock, server, provider, "upload")
    assert reply["text"] in ("file-standin", "file_standin")
    received = server.state.requests[-1]
    assert received.path == "/v1/files"
    assert received.headers["content-length"] == str(len(received.body))
    assert_no_canary(received.body)
    filename, content = form_parts(received)["file"]
    if provider == "openai":
        # A batch input file: each line is read as JSON, and the request inside it redacted where the prompt is.
        assert filename == "batch.jsonl"
        line = json.loads(content)
        text = line["body"]["messages"][0]["content"]
        assert form_parts(received)["purpose"] == (None, b"batch")
    else:
        assert filename == "notes.txt"
        text = content.decode()
    assert text.startswith("My key is [REDACTED:secret:github-pat:1]") and text.endswith("Thanks!")
    assert "[REDACTED:code:python:5-lines:1]" in text
    output = log_after(airlock, "decision=redacted")
    assert_no_canary(output)
    assert_present(output, "path=/v1/files", "findings=github-pat:1,aws-access-key-id:1,code-python:1")


@pytest.mark.parametrize("provider", ["gemini", "openai"])
def test_pieces_of_uploads_are_redacted_without_changing_their_length(airlock, standin, provider):
    """Gemini's resumable uploads and OpenAI's Uploads API declare a file's length before its bytes are sent, so
    the redacted bytes keep that length: placeholders are padded."""
    server, _ = standin
    if provider == "gemini":
        assert sdk_reply(airlock, server, "gemini", "upload")["text"] == "files/standin"
        start, piece = server.state.requests[-2:]
        assert start.headers["x-goog-upload-command"] == "start"
        assert piece.headers["x-goog-upload-command"] == "upload, finalize"
        assert int(start.headers["x-goog-upload-header-content-length"]) == len(PROMPT.encode())
        content = piece.body
    else:
        assert sdk_reply(airlock, server, "openai", "upload-part")["text"].startswith("part_")
        content = form_parts(server.state.requests[-1])["data"][1]
    assert_no_canary(server.state.requests[-1].body)
    assert_no_canary(content)
    assert len(content) == len(PROMPT.encode())
    text = content.decode()
    assert text.startswith("My key is [REDACTED:secret:github-pat:1]   ") and text.endswith("Thanks!")
    assert "[REDACTED:code:python:5-lines:1]" in text


@pytest.mark.parametrize("provider", ["gemini", "openai"])
def test_a_secret_cut_by_a_piece_boundary_does_not_leave_whole(airlock, standin, provider):
    """Each SDK sends the file in 100-byte pieces, and the boundary cuts the token after its first ten characters:
    neither half matches a rule alone. Airlock reads each piece after the end of the one before it, so the rest of
    the token is redacted in the second piece and the provider never gets it whole."""
    server, _ = standin
    server.state.reset()
    text = ("Release notes for the deploy job.\nIt runs each night and pushes the newest image.\n"
            f"The key {GITHUB_CANARY} is the deploy token.\nThanks!\n")
    cut = text.index(GITHUB_CANARY) + 10
    assert cut == 100
    command = (f"export AIRLOCK_TEST_PROMPT={shlex.quote(text)} AIRLOCK_TEST_PIECE=100\n"
               f"{shlex.quote(sys.executable)} {HERE / 'sdk_client.py'} {provider} upload-pieces")
    result = with_airlock_env(airlock, command)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] in ("files/standin", "completed")
    if provider == "gemini":
        pieces = [r.body for r in server.state.requests if r.headers.get("x-goog-upload-command", "").startswith("upload")]
    else:
        pieces = [form_parts(r)["data"][1] for r in server.state.requests if r.path.endswith("/parts")]
    assert [len(p) for p in pieces] == [100, len(text) - 100]
    received = b"".join(pieces).decode()
    assert_no_canary(received)
    assert len(received) == len(text)
    # The first ten characters left with the first piece; the other 30 were redacted where the second one starts.
    assert_same(received[:cut], text[:cut], "the first piece")
    assert_same(received[cut:cut + 51], "[REDACTED:secret:github-pat:1] is the deploy token.", "the second piece's start")
    output = log_after(airlock, "findings=github-pat:1")
    assert_no_canary(output)
    assert_present(output, "decision=redacted")


def test_a_piece_whose_predecessor_airlock_does_not_hold_is_refused(airlock, standin):
    """A piece of a Gemini resumable upload at an offset past 0 is read after the end of the piece before it. When
    Airlock does not hold that end (the upload was started before Airlock was, or the piece is out of place), the
    piece is refused rather than read on its own, in Google's error shape, and recorded in the ledger."""
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    url = "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=before-airlock"

    def piece(offset: int, content: bytes, command: str = "upload"):
        return session.post(url, data=content, timeout=20, headers={
            "X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset), "Content-Type": "text/plain"})

    # The rest of a token whose first ten characters left in a piece Airlock never saw.
    rest = GITHUB_CANARY[10:]
    refused = piece(100, f"{rest} is the deploy token.\n".encode(), "upload, finalize")
    assert refused.status_code == 409
    assert_absent(refused.content, rest)
    error = refused.json()["error"]
    assert error["status"] == "ABORTED" and error["code"] == 409
    assert error["reason"] == "upload_predecessor_unknown" and "start the upload again" in error["message"]
    assert server.state.requests == []
    row = wait_for(lambda: [r for r in records(airlock) if r.get("reason") == "upload_predecessor_unknown"])
    assert row and row[0]["decision"] == "error" and row[0]["upstream_status"] is None
    # Started through Airlock, the same upload goes on piece by piece; a piece out of place is refused.
    first = "Release notes for the deploy job.\n".encode()
    assert piece(0, first).status_code == 200
    assert piece(len(first) + 7, b"more notes\n").status_code == 409
    assert piece(len(first), b"more notes\n", "upload, finalize").status_code == 200
    assert [r.body for r in server.state.requests] == [first, b"more notes\n"]
    output = log_after(airlock, "upload_predecessor_unknown")
    assert_absent(output, rest, "Release notes", "more notes")
    assert_absent(json.dumps(records(airlock)), rest, "Release notes", "more notes")


def test_a_completion_that_joins_parts_airlock_did_not_read_together_is_refused(airlock, standin):
    """OpenAI's upload parts are joined in the order the completion lists them. Airlock reads each part after the one
    before it as they arrive, so a completion is forwarded only when it lists them in that order: parts sent in
    another order could join a token's halves that were never read together."""
    server, _ = standin
    server.state.reset()
    session = proxied_session(airlock)
    upload = "https://api.openai.com/v1/uploads/upload_reordered"
    rest = GITHUB_CANARY[10:]
    first = f"The deploy key is {GITHUB_CANARY[:10]}".encode()
    second = f"{rest} and it runs each night.\n".encode()

    def part(content: bytes) -> str:
        reply = session.post(f"{upload}/parts", files={"data": ("blob", content)}, timeout=20)
        assert reply.status_code == 200, reply.text
        return reply.json()["id"]

    def complete(ids: list[str]):
        return session.post(f"{upload}/complete", json={"part_ids": ids}, timeout=20)

    # The second half first: each part alone holds half a token, and the first is read after the second's end.
    second_id, first_id = part(second), part(first)
    refused = complete([first_id, second_id])
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "upload_parts_unjoined" and "part after part in order" in error["message"]
    assert not [r for r in server.state.requests if r.path.endswith("/complete")]
    row = wait_for(lambda: [r for r in records(airlock) if r.get("reason") == "upload_parts_unjoined"])
    assert row and row[0]["decision"] == "error" and row[0]["upstream_status"] is None
    # A part Airlock never read is never joined, nor are two parts with the one read between them left out.
    third_id = part(b"more notes\n")
    assert complete(["part_before_airlock", second_id, first_id, third_id]).status_code == 409
    assert complete([second_id, third_id]).status_code == 409
    assert not [r for r in server.state.requests if r.path.endswith("/complete")]
    # In the order Airlock read them, the parts join as they were scanned.
    assert complete([second_id, first_id, third_id]).status_code == 200
    assert [r.path for r in server.state.requests][-1] == "/v1/uploads/upload_reordered/complete"
    output = log_after(airlock, "upload_parts_unjoined")
    assert_absent(output, rest, "deploy key", "more notes")
    assert_absent(json.dumps(records(airlock)), rest, "deploy key", "more notes")


@pytest.mark.parametrize("binary", ["monitor", "block"])
def test_transcriptions_have_their_prompt_scanned_and_their_audio_counted(tmp_path, standin, binary):
    server, _ = standin
    result, output, recorded = with_binary_policy(tmp_path, standin, binary, "transcribe")
    assert recorded["request_model"] == "whisper-1" and recorded["path"] == "/v1/audio/transcriptions"
    assert recorded["findings"]["binary-audio"] == 1 and recorded["findings"]["github-pat"] == 1
    assert_no_canary(output)
    if binary == "monitor":
        assert json.loads(result.stdout)["text"] == "stand-in transcript"
        assert_no_canary(server.state.requests[-1].body)
        parts = form_parts(server.state.requests[-1])
        assert parts["file"] == ("speech.wav", WAV)
        assert parts["model"] == (None, b"whisper-1")
        assert parts["prompt"][1].decode().startswith("My key is [REDACTED:secret:github-pat:1]")
    else:
        error = json.loads(result.stdout)["error"]
        assert error["status"] == 403 and error["class"] == "PermissionDeniedError"
        assert "binary-audio at $.file" in error["message"]
        assert server.state.requests == []


def test_curl_form_upload_of_a_source_file_is_redacted(airlock, standin, tmp_path):
    server, _ = standin
    server.state.reset()
    source = tmp_path / "charge.py"
    source.write_text(CODE)
    env_file = tmp_path / "settings.txt"
    env_file.write_text(f"GITHUB_TOKEN={GITHUB_CANARY}\n")
    body, code = split(curl(airlock, "https://api.openai.com/v1/files", "-F", "purpose=assistants",
                            "-F", f"file=@{source}", "-F", f"notes=@{env_file};type=text/plain"))
    assert code == 200, body
    assert_no_canary(server.state.requests[-1].body)
    parts = form_parts(server.state.requests[-1])
    assert_same(parts["file"], ("charge.py", b"[REDACTED:code:python:5-lines:1]"), "the source file part")
    assert_same(parts["notes"], ("settings.txt", b"GITHUB_TOKEN=[REDACTED:secret:github-pat:1]\n"), "the settings part")
    assert parts["purpose"] == (None, b"assistants")


BOUNDARY = "airlock-e2e-boundary"
PART = 'Content-Disposition: form-data; name="{}"\r\n\r\n{}'


@pytest.mark.parametrize(
    "content_type, body, status, reason",
    [
        # A second part hidden behind LF-only line breaks, which lenient parsers split out and strict ones do not.
        (f"multipart/form-data; boundary={BOUNDARY}",
         f"--{BOUNDARY}\r\n{PART.format('prompt', 'hi')}\n--{BOUNDARY}\n{PART.format('file', GITHUB_CANARY)}\r\n--{BOUNDARY}--\r\n",
         400, "invalid_multipart"),
        (f"multipart/form-data; boundary={BOUNDARY}", f"{GITHUB_CANARY}\r\n--{BOUNDARY}\r\n{PART.format('a', 'b')}\r\n--{BOUNDARY}--\r\n",
         400, "invalid_multipart"),
        (f"multipart/form-data; boundary={BOUNDARY}", f"--{BOUNDARY}\r\n{PART.format('a', GITHUB_CANARY)}", 400, "invalid_multipart"),
        ("multipart/form-data", f"--{BOUNDARY}\r\n{PART.format('a', GITHUB_CANARY)}\r\n--{BOUNDARY}--\r\n", 400, "invalid_multipart"),
        (f"multipart/related; boundary={BOUNDARY}", f"--{BOUNDARY}\r\n{PART.format('a', GITHUB_CANARY)}\r\n--{BOUNDARY}--\r\n",
         415, "unsupported_media_type"),
    ],
    ids=["lf-smuggled-part", "preamble", "no-closing-delimiter", "no-boundary", "multipart-related"],
)
def test_forms_that_cannot_be_read_unambiguously_are_refused(airlock, standin, content_type, body, status, reason):
    server, _ = standin
    server.state.reset()
    response = proxied_session(airlock).post(
        "https://api.openai.com/v1/files", data=body.encode(), headers={"Content-Type": content_type}, timeout=20)
    assert response.status_code == status
    assert_no_canary(response.text)
    error = response.json()["error"]
    assert error["type"] == "airlock_error" and error["reason"] == reason
    assert server.state.requests == []
    assert_no_canary(log_after(airlock, f"reason={reason}"))


def test_two_content_types_are_refused(airlock, standin):
    server, _ = standin
    server.state.reset()
    body, code = split(curl(airlock, "https://api.openai.com/v1/chat/completions", "-H", "Content-Type: application/json",
                            "-H", f"Content-Type: multipart/form-data; boundary={BOUNDARY}", "--data", "{}"))
    assert code == 400 and json.loads(body)["error"]["reason"] == "conflicting_content_type"
    assert server.state.requests == []


def test_scan_reads_a_saved_form_part_by_part(tmp_path):
    body = f"--{BOUNDARY}\r\n{PART.format('prompt', 'key ' + GITHUB_CANARY)}\r\n--{BOUNDARY}--\r\n"
    saved = tmp_path / "form.bin"
    saved.write_bytes(body.encode())
    found = scan("--format", "json", "--content-type", f"multipart/form-data; boundary={BOUNDARY}", str(saved))
    assert found.returncode == 1
    assert_no_canary(found.stdout)
    report = json.loads(found.stdout)
    assert_same(report["output"], body.replace(GITHUB_CANARY, "[REDACTED:secret:github-pat:1]"), "the scanned form")
    assert [(f["detector"], f["path"]) for f in report["findings"]] == [("github-pat", "$.prompt")]
    assert scan("--content-type", "multipart/form-data", str(saved)).returncode == 2
