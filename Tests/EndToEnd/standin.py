"""A local TLS stand-in for AI providers, with its own test CA, that records what reaches it."""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import json
import select
import socket
import ssl
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PROVIDER_HOSTS = ["api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com", "tunnel.test", "other.test"]


def make_test_pki(directory: Path) -> tuple[Path, Path, Path]:
    """Creates a test CA and a server certificate for the provider host names. Returns (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stand-in Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in PROVIDER_HOSTS]), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "standin-ca.pem", directory / "standin.pem", directory / "standin-key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Frame:
    """One WebSocket frame as it reached the stand-in."""

    path: str
    opcode: int
    data: bytes
    masked: bool
    rsv: int


@dataclass
class StandinState:
    requests: list[Recorded] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    # Paths of WebSocket sessions whose connection to the stand-in has ended (a close frame, or the end of the
    # stream): every frame of such a session is in `frames`.
    ws_ended: list[str] = field(default_factory=list)
    connections: int = 0
    sse_release: threading.Event = field(default_factory=threading.Event)
    sse_first_sent: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Provider replies gzip-compressed when the request accepts gzip, as the providers' CDNs do.
    compress: bool = False
    # OpenAI upload parts answered so far: each gets an id of its own.
    parts: int = 0
    # Seconds a streamed reply waits after its terminal event before it ends, or until the client has gone: a provider
    # whose stream ends a moment after its last event, as real ones do.
    linger: float = 0.0

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.frames.clear()
            self.ws_ended.clear()
            self.connections = 0
        self.compress = False
        self.linger = 0.0
        self.sse_release.clear()
        self.sse_first_sent.clear()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "StandinServer"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self, body: bytes) -> None:
        with self.server.state.lock:
            self.server.state.requests.append(
                Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )

    def _send(self, status: int, body: bytes, content_type: str = "application/json", extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        if (self.headers.get("Upgrade") or "").lower() == "websocket":
            self._record(b"")
            self._websocket(self.path.split("?", 1)[0])
            return
        body = self._body()
        self._record(body)
        path = self.path.split("?", 1)[0]
        provider = PROVIDER_ROUTES.get(path) or (
            "gemini" if path.split("/")[2:3] == ["models"] and (":generateContent" in path or ":streamGenerateContent" in path) else None
        )
        upload = UPLOAD_REPLIES.get((self.headers.get("Host", "").split(":")[0], path))
        if provider:
            self._provider(provider, path, body)
        elif path.startswith("/upload/") and path.endswith("/files"):
            self._resumable_upload(path, body)
        elif path.startswith("/v1/uploads/") and path.endswith("/parts"):
            with self.server.state.lock:
                self.server.state.parts += 1
                number = self.server.state.parts
            upload = path.split("/")[3]
            self._send(200, json.dumps({"id": f"part_{number}", "object": "upload.part", "created_at": 1, "upload_id": upload}).encode())
        elif upload:
            self._send(200, json.dumps(upload(len(body))).encode())
        elif path == "/sse":
            self._sse()
        elif path == "/chunked":
            self._chunked()
        elif path == "/big":
            self._big(int(self.path.split("n=", 1)[1]) if "n=" in self.path else 1 << 20)
        elif path == "/bytes":
            blob = bytes(range(256)) * 64
            self._send(200, blob, "application/octet-stream")
        else:
            echo = {
                "method": self.command,
                "path": path,
                "host": self.headers.get("Host"),
                "body_sha_len": len(body),
                "body": body.decode("utf-8", "replace"),
            }
            self._send(200, json.dumps(echo).encode(), extra={"X-Standin": "1"})

    def _websocket(self, path: str) -> None:
        """A WebSocket endpoint: OpenAI's Realtime API (`/v1/realtime`), Gemini's Live API (`…BidiGenerateContent`),
        or else an echo."""
        self.close_connection = True
        if path == "/ws-refused":
            self._send(403, json.dumps({"error": {"message": "no realtime for this key", "type": "invalid_request_error"}}).encode())
            return
        accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WS_GUID).encode()).digest()).decode()
        head = f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        # The Realtime API speaks first; its first event comes in the same write as the 101.
        first = ws_event({"type": "session.created", "event_id": "event_1", "session": {"id": "sess_1"}}) if path == "/v1/realtime" else b""
        self.wfile.write(head.encode() + first)
        try:
            self._websocket_frames(path)
        finally:
            with self.server.state.lock:
                self.server.state.ws_ended.append(path)

    def _websocket_frames(self, path: str) -> None:
        while (frame := ws_read(self.rfile)) is not None:
            fin, opcode, data, masked, rsv = frame
            with self.server.state.lock:
                self.server.state.frames.append(Frame(path, opcode, data, masked, rsv))
            if opcode == 8:
                self.wfile.write(ws_frame(8, data[:2]))
                return
            if opcode == 9:
                self.wfile.write(ws_frame(10, data))
            elif opcode in (1, 2):
                if data == b'{"type":"ping-me"}':
                    self.wfile.write(ws_frame(9, b"standin"))
                self.wfile.write(ws_reply(path, opcode, data))

    def _provider(self, provider: str, path: str, body: bytes) -> None:
        request = json.loads(body or b"{}")
        stream = bool(request.get("stream")) or ":streamGenerateContent" in path
        events = PROVIDER_REPLIES[provider](request, stream)
        compress = self.server.state.compress and "gzip" in (self.headers.get("Accept-Encoding") or "")
        if not stream:
            reply = json.dumps(events).encode()
            if compress:
                self._send(200, gzip.compress(reply), extra={"Content-Encoding": "gzip"})
            else:
                self._send(200, reply)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        # Compressed streams are flushed event by event, so each one still arrives as it is sent.
        compressor = zlib.compressobj(wbits=31) if compress else None
        for name, data in events:
            frame = (f"event: {name}\n" if name else "") + f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n"
            raw = frame.encode()
            if compressor:
                raw = compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))
            self.wfile.flush()
        if compressor:
            raw = compressor.flush()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))
        self.wfile.flush()
        if self.server.state.linger and select.select([self.connection], [], [], self.server.state.linger)[0]:
            # The other side closed (or sent more) before the stream's end: it is not sent.
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _resumable_upload(self, path: str, body: bytes) -> None:
        """Gemini's resumable upload: `start` answers with the URL to send the file's bytes to, and the last piece
        (`upload, finalize`) with the file."""
        command = self.headers.get("X-Goog-Upload-Command", "")
        if command == "start":
            url = f"https://generativelanguage.googleapis.com{path}?upload_id=standin"
            self._send(200, b"{}", extra={"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})
            return
        final = "finalize" in command
        file = {"name": "files/standin", "mimeType": "text/plain", "sizeBytes": str(len(body)), "state": "ACTIVE"}
        self._send(200, json.dumps({"file": file} if final else {}).encode(),
                   extra={"X-Goog-Upload-Status": "final" if final else "active"})

    def _big(self, size: int) -> None:
        block = bytes(range(256)) * 256
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        while sent < size:
            chunk = block[: min(len(block), size - sent)]
            self.wfile.write(chunk)
            sent += len(chunk)

    def _sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        chunk(b'data: {"n": 1}\n\n')
        self.server.state.sse_first_sent.set()
        # The rest is held until the test has seen the first event arrive through the proxy and says so; never on a
        # timer, so a proxy that held the stream back until its end would hold it forever, and the test's own
        # read timeout fails it. A stream nobody releases ends when the stand-in does.
        self.server.state.sse_release.wait()
        chunk(b'data: {"n": 2}\n\n')
        chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b'{"parts":', b"[1,2,", b"3]}"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
            time.sleep(0.01)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _openai(request: dict, stream: bool):
    model = request.get("model", "gpt-test")
    if not stream:
        return {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "stand-in reply"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        }
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model}
    return [
        (None, {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "stand-in "}, "finish_reason": None}]}),
        (None, {**base, "choices": [{"index": 0, "delta": {"content": "reply"}, "finish_reason": "stop"}]}),
        (None, {**base, "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}),
        (None, "[DONE]"),
    ]


def _anthropic(request: dict, stream: bool):
    model = request.get("model", "claude-test")
    usage = {"input_tokens": 12, "output_tokens": 4, "cache_read_input_tokens": 2, "cache_creation_input_tokens": 1}
    if not stream:
        return {
            "id": "msg_1", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "stand-in reply"}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage,
        }
    return [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "stand-in "}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "reply"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 4}}),
        ("message_stop", {"type": "message_stop"}),
    ]


def _gemini(request: dict, stream: bool):
    def chunk(text: str, final: bool) -> dict:
        out = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}], "modelVersion": "gemini-test"}
        if final:
            out["candidates"][0]["finishReason"] = "STOP"
            out["usageMetadata"] = {"promptTokenCount": 9, "candidatesTokenCount": 2, "totalTokenCount": 11}
        return out
    if not stream:
        return chunk("stand-in reply", True)
    return [(None, chunk("stand-in ", False)), (None, chunk("reply", True))]


# File uploads (multipart/form-data): each answered with what its SDK parses.
UPLOAD_REPLIES = {
    ("api.openai.com", "/v1/files"): lambda size: {
        "id": "file-standin", "object": "file", "bytes": size, "created_at": 1, "filename": "upload", "purpose": "batch",
        "status": "processed"},
    ("api.openai.com", "/v1/audio/transcriptions"): lambda size: {"text": "stand-in transcript"},
    ("api.openai.com", "/v1/uploads"): lambda size: {
        "id": "upload_standin", "object": "upload", "bytes": size, "created_at": 1, "expires_at": 2,
        "filename": "notes.txt", "purpose": "assistants", "status": "pending"},
    ("api.openai.com", "/v1/uploads/upload_standin/complete"): lambda size: {
        "id": "upload_standin", "object": "upload", "bytes": size, "created_at": 1, "expires_at": 2,
        "filename": "notes.txt", "purpose": "assistants", "status": "completed"},
    ("api.anthropic.com", "/v1/files"): lambda size: {
        "id": "file_standin", "type": "file", "filename": "upload", "mime_type": "text/plain", "size_bytes": size,
        "created_at": "2026-01-01T00:00:00Z", "downloadable": False},
}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_read(rfile):
    """One frame: (fin, opcode, unmasked data, whether it was masked, reserved bits), or None at the end."""
    header = rfile.read(2)
    if len(header) < 2:
        return None
    length = header[1] & 0x7F
    if length == 126:
        length = struct.unpack(">H", rfile.read(2))[0]
    elif length == 127:
        length = struct.unpack(">Q", rfile.read(8))[0]
    key = rfile.read(4) if header[1] & 0x80 else b""
    data = rfile.read(length)
    if key:
        mask = (key * (length // 4 + 1))[:length]
        data = (int.from_bytes(data, "big") ^ int.from_bytes(mask, "big")).to_bytes(length, "big")
    return bool(header[0] & 0x80), header[0] & 0x0F, data, bool(key), header[0] & 0x70


def ws_frame(opcode: int, data: bytes, fin: bool = True) -> bytes:
    """A server frame (unmasked)."""
    first = bytes([(0x80 if fin else 0) | opcode])
    if len(data) < 126:
        return first + bytes([len(data)]) + data
    if len(data) < 65536:
        return first + bytes([126]) + struct.pack(">H", len(data)) + data
    return first + bytes([127]) + struct.pack(">Q", len(data)) + data


def ws_event(event: dict) -> bytes:
    return ws_frame(1, json.dumps(event).encode())


def ws_reply(path: str, opcode: int, data: bytes) -> bytes:
    if path == "/v1/realtime":
        event = json.loads(data)
        if event.get("type") != "response.create":
            return b""
        done = json.dumps({
            "type": "response.done", "event_id": "event_2",
            "response": {"id": "resp_1", "object": "realtime.response", "status": "completed", "output": [],
                         "usage": {"total_tokens": 12, "input_tokens": 9, "output_tokens": 3}},
        }).encode()
        # Sent in three fragments, as a server may, to show that usage is read across them.
        third = len(done) // 3
        return ws_frame(1, done[:third], fin=False) + ws_frame(0, done[third:2 * third], fin=False) + ws_frame(0, done[2 * third:])
    if path.endswith("GenerativeService.BidiGenerateContent"):
        message = json.loads(data)
        if "setup" in message:
            return ws_event({"setupComplete": {}})
        # The Live API reads both spellings; Google's SDK sends snake_case.
        content = message.get("clientContent") or message.get("client_content") or {}
        if content.get("turnComplete") or content.get("turn_complete"):
            return ws_event({
                "serverContent": {"modelTurn": {"parts": [{"text": "ok"}]}, "turnComplete": True},
                "usageMetadata": {"promptTokenCount": 5, "responseTokenCount": 2, "totalTokenCount": 7},
            })
        return b""
    return ws_frame(opcode, data)


PROVIDER_ROUTES = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}
PROVIDER_REPLIES = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini}


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = StandinState()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.ssl_context = context

    def get_request(self):
        sock, address = super().get_request()
        with self.state.lock:
            self.state.connections += 1
        sock.settimeout(15)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ssl_context.wrap_socket(sock, server_side=True), address

    def handle_error(self, request, client_address) -> None:  # connection resets are expected in tests
        pass

    @property
    def port(self) -> int:
        return self.server_address[1]


def start_standin(directory: Path) -> tuple[StandinServer, Path]:
    ca, cert, key = make_test_pki(directory)
    server = StandinServer(cert, key)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ca


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PlainStandinServer(ThreadingHTTPServer):
    """The same stand-in without TLS, for entries that explicitly allow scheme http."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = StandinState()

    def handle_error(self, request, client_address) -> None:
        pass
