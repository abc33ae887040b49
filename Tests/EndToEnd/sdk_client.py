"""Calls each provider through the official SDK with no proxy or CA settings of its own: only the environment
that `eval "$(airlock env)"` produced. Prints one JSON line of what it got back."""

import base64
import io
import json
import os
import struct
import sys

# Run as a script; the tests import it only for its constants.
provider, mode = (sys.argv[1], sys.argv[2]) if __name__ == "__main__" else ("", "")
stream = mode == "stream"
# "file": the prompt goes as an attached text file (base64), the way each SDK attaches documents; "file-as-image":
# the same file declared as a PNG image.
attach = mode in ("file", "file-as-image")
file_type = "image/png" if mode == "file-as-image" else "text/plain"
# "image": the prompt with a one-pixel PNG attached as a data URL.
# "upload": the prompt goes in a file uploaded with the SDK's files API (multipart/form-data): for OpenAI a batch
# input file (JSON Lines), for Anthropic a text file; for Gemini a text file sent with its resumable upload protocol
# (the file's bytes in pieces, their total length declared first). "upload-part": the prompt as one part of an
# OpenAI upload (Uploads API), whose total length was declared when the upload was created. "upload-pieces": the
# prompt as a file uploaded in pieces of AIRLOCK_TEST_PIECE bytes (Gemini's resumable upload, OpenAI's
# `upload_file_chunked`). "transcribe": an OpenAI transcription of a short WAV clip, with the prompt as its `prompt`
# field. "parts": the prompt cut in two at byte AIRLOCK_TEST_CUT, sent as two text parts of one message (or, with
# AIRLOCK_TEST_CUT=lines, one text part per line).
# "realtime": OpenAI's Realtime API over a WebSocket (the prompt as the session's instructions and as a user message,
# then a response); "live": Gemini's Live API over a WebSocket (the prompt as the system instruction and as a turn).
WAV = b"RIFF" + struct.pack("<I4s4sIHHIIHH4sI", 36 + 1600, b"WAVE", b"fmt ", 16, 1, 1, 8000, 16000, 2, 16, b"data", 1600) + bytes(1600)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
prompt = os.environ.get("AIRLOCK_TEST_PROMPT", "hello")
cut = os.environ.get("AIRLOCK_TEST_CUT", "0")
text_parts = prompt.split("\n") if cut == "lines" else [prompt[: int(cut)], prompt[int(cut) :]]
# How often the OpenAI SDK retries a failed request (it waits as long as `Retry-After` says); none unless a test asks.
retries = int(os.environ.get("AIRLOCK_TEST_RETRIES", "0"))
# The API key the SDK sends, when a test sets one.
api_key = os.environ.get("AIRLOCK_TEST_API_KEY")
result: dict = {}


def sdk_error(error: Exception) -> None:
    """What the SDK made of a refusal: status, the message it parsed out of the error JSON, and its type."""
    status = getattr(error, "status_code", None) or getattr(error, "code", None)
    # Gemini's Live API errors are a close frame's code and reason: the reason is the SDK's `details`.
    message = getattr(error, "message", None) or getattr(error, "details", None) or error
    result["error"] = {"status": status, "message": str(message), "class": type(error).__name__}


try:
    import openai  # noqa: F401
    import anthropic  # noqa: F401
    from google.genai import errors as genai_errors
    SDK_ERRORS = (openai.APIStatusError, anthropic.APIStatusError, genai_errors.APIError)
except ImportError:  # pragma: no cover
    SDK_ERRORS = ()

class Pieces(io.RawIOBase):
    """A blocking, seekable raw file that hands out at most `piece` bytes per read, as a pipe or a socket may (a raw
    stream's read returns what is there). The SDK sends what each read returns as one piece of a resumable upload,
    so the file decides the pieces; no SDK setting does."""

    def __init__(self, data: bytes, piece: int) -> None:
        super().__init__()
        self.data, self.piece, self.position = data, piece, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.data[self.position:self.position + min(len(buffer), self.piece)]
        buffer[:len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: len(self.data)}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position


def realtime(client) -> None:
    """One Realtime session: every event the SDK yields until the response is done, by type; errors in full."""
    events = []
    with client.realtime.connect(model="gpt-realtime") as connection:
        connection.session.update(session={"type": "realtime", "instructions": prompt})
        connection.conversation.item.create(item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]})
        connection.response.create()
        for event in connection:
            events.append(event.type)
            if event.type == "error":
                result.setdefault("errors", []).append({"code": event.error.code, "type": event.error.type, "message": event.error.message})
            if event.type == "response.done":
                result["usage"] = event.response.usage.model_dump(exclude_none=True)
                break
    result["text"] = ",".join(events)


def live(client) -> None:
    """One Live session with a text turn: the messages' text and usage, or the error the SDK raised."""
    import asyncio

    async def session() -> None:
        config = {"response_modalities": ["TEXT"], "system_instruction": prompt}
        async with client.aio.live.connect(model="gemini-live-test", config=config) as live_session:
            await live_session.send_client_content(turns={"role": "user", "parts": [{"text": prompt}]}, turn_complete=True)
            text = ""
            async for message in live_session.receive():
                if message.text:
                    text += message.text
                if message.usage_metadata:
                    result["usage"] = message.usage_metadata.model_dump(exclude_none=True)
                if message.server_content and message.server_content.turn_complete:
                    break
            result["text"] = text

    asyncio.run(session())


def run() -> None:
    if provider == "openai" and mode == "realtime":
        import openai

        realtime(openai.OpenAI(api_key=api_key or "sk-test-not-a-real-key", max_retries=0))
    elif provider == "gemini" and mode == "live":
        from google import genai

        live(genai.Client(api_key=api_key or "test-not-a-real-key"))
    elif provider == "openai":
        import openai

        client = openai.OpenAI(api_key=api_key or "sk-test-not-a-real-key", max_retries=retries)
        messages = [{"role": "user", "content": prompt}]
        if attach:
            data_url = f"data:{file_type};base64," + base64.b64encode(prompt.encode()).decode()
            file_part = {"type": "file", "file": {"filename": "notes.txt", "file_data": data_url}}
            messages = [{"role": "user", "content": [{"type": "text", "text": "Summarise the file."}, file_part]}]
        if mode == "parts":
            messages = [{"role": "user", "content": [{"type": "text", "text": part} for part in text_parts]}]
        if mode == "image":
            image_part = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}}
            messages = [{"role": "user", "content": [{"type": "text", "text": prompt}, image_part]}]
        if mode == "upload":
            line = {"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-test", "messages": messages}}
            result["text"] = client.files.create(file=("batch.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch").id
        elif mode == "upload-part":
            result["text"] = client.uploads.parts.create(upload_id="upload_standin", data=prompt.encode()).id
        elif mode == "upload-pieces":
            data = prompt.encode()
            result["text"] = client.uploads.upload_file_chunked(
                file=data, filename="notes.txt", bytes=len(data), mime_type="text/plain", purpose="assistants",
                part_size=int(os.environ["AIRLOCK_TEST_PIECE"])).status
        elif mode == "transcribe":
            result["text"] = client.audio.transcriptions.create(model="whisper-1", file=("speech.wav", WAV, "audio/wav"), prompt=prompt).text
        elif stream:
            text = ""
            for chunk in client.chat.completions.create(model="gpt-test", messages=messages, stream=True, stream_options={"include_usage": True}):
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
            result["text"] = text
        else:
            result["text"] = client.chat.completions.create(model="gpt-test", messages=messages).choices[0].message.content
    elif provider == "anthropic":
        import anthropic

        client = anthropic.Anthropic(api_key=api_key or "sk-ant-test-not-a-real-key", max_retries=0)
        messages = [{"role": "user", "content": prompt}]
        if mode == "parts":
            messages = [{"role": "user", "content": [{"type": "text", "text": part} for part in text_parts]}]
        if mode == "upload":
            result["text"] = client.beta.files.upload(file=("notes.txt", prompt.encode(), "text/plain")).id
        elif stream:
            with client.messages.stream(model="claude-test", max_tokens=10, messages=messages) as s:
                result["text"] = "".join(s.text_stream)
        else:
            reply = client.messages.create(model="claude-test", max_tokens=10, messages=messages)
            result["text"] = reply.content[0].text
    elif provider == "gemini":
        from google import genai

        client = genai.Client(api_key=api_key or "test-not-a-real-key")
        if mode in ("upload", "upload-pieces"):
            import io

            file = io.BytesIO(prompt.encode())
            if mode == "upload-pieces":
                file = Pieces(prompt.encode(), int(os.environ["AIRLOCK_TEST_PIECE"]))
            result["text"] = client.files.upload(file=file, config={"mime_type": "text/plain"}).name
        elif attach:
            from google.genai import types

            file_part = types.Part.from_bytes(data=prompt.encode(), mime_type=file_type)
            result["text"] = client.models.generate_content(model="gemini-test", contents=[file_part, "Summarise the file."]).text
        elif mode == "parts":
            from google.genai import types

            content = types.Content(role="user", parts=[types.Part.from_text(text=part) for part in text_parts])
            result["text"] = client.models.generate_content(model="gemini-test", contents=[content]).text
        elif stream:
            result["text"] = "".join(c.text or "" for c in client.models.generate_content_stream(model="gemini-test", contents=prompt))
        else:
            result["text"] = client.models.generate_content(model="gemini-test", contents=prompt).text
    elif provider == "httpx":
        import httpx

        result["text"] = httpx.post("https://api.openai.com/v1/echo", json={"via": "httpx"}).json()["body"]
    elif provider == "requests":
        import requests

        result["text"] = requests.post("https://api.openai.com/v1/echo", json={"via": "requests"}).json()["body"]
    elif provider == "denied":
        import httpx

        try:
            httpx.get("https://evil.example.com/")
            result["text"] = "reached"
        except httpx.ProxyError as error:
            result["text"] = "proxy refused: " + str(error)



if __name__ == "__main__":
    try:
        run()
    except SDK_ERRORS as error:
        sdk_error(error)
    print(json.dumps(result))
