"""A local stand-in for a tracking collector (Segment's or RudderStack's data plane), for tests.

Real tracking libraries POST batches to it on 127.0.0.1; it writes every
received message as one JSON line into `<landing>/events/<name>.jsonl`, as the
vendors' warehouse exports do: the message exactly as the library sent it, plus
`receivedAt` (this server's clock, ISO 8601 UTC) and, when the batch carries
one and the message has none, the batch's `sentAt`.

Endpoints: `POST /v1/batch` (Segment's and RudderStack's libraries both use it;
body `{"batch": [...], "sentAt": ..., "writeKey"?: ...}`), and the single-call
paths `/v1/track`, `/v1/page`, ... of both HTTP APIs. Bodies may be
gzip-encoded (`Content-Encoding: gzip`). Basic auth with the write key as the
user name is checked when the collector has a write key.

The file is written under a temporary name (`.inprogress`, ignored by the
loader) and renamed when the collector stops, as the landing contract asks of
writers. The server thread stops by itself after `max_seconds`.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

SINGLE_CALLS = ("track", "page", "screen", "identify", "alias", "group")
MAX_BODY_BYTES = 8 << 20


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_utc(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as Segment writes receivedAt."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Collector:
    """`with Collector(landing, "segment", write_key="k") as c:` then send to `c.url`."""

    def __init__(
        self,
        landing: Path,
        name: str,
        write_key: str | None = None,
        max_seconds: float = 120.0,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.path = landing / "events" / f"{name}.jsonl"
        self._partial = self.path.with_name(self.path.name + ".inprogress")
        self.write_key = write_key
        self.max_seconds = max_seconds
        self.clock = clock
        self.requests: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._deadline: threading.Timer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the collector first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Collector:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial.write_text("")
        self._server = HTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"collector-{self.path.stem}")
        self._thread.daemon = True
        self._thread.start()
        # bounded: a test that never stops the collector does not leave a server behind
        self._deadline = threading.Timer(self.max_seconds, self._server.shutdown)
        self._deadline.daemon = True
        self._deadline.start()
        return self

    def stop(self) -> Path:
        """Stops the server and publishes the file under its final name; returns it."""
        if self._server is not None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None
        if self._partial.exists():
            self._partial.rename(self.path)
        return self.path

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[HTTPStatus, dict[str, Any]]:
        """Handles one request: returns the status and the JSON answer."""
        received_at = iso_utc(self.clock())
        if not self._authorized(headers.get("authorization", "")):
            return HTTPStatus.UNAUTHORIZED, {"code": "unauthorized", "message": "wrong or missing write key"}
        try:
            if headers.get("content-encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            payload = json.loads(body)
        except (OSError, ValueError) as error:
            return self._bad(f"{path}: body is not (gzip-encoded) JSON: {error}")
        if not isinstance(payload, dict):
            return self._bad(f"{path}: body is not a JSON object")
        call = path.rstrip("/").rsplit("/", 1)[-1]
        if call == "batch":
            messages = payload.get("batch")
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                return self._bad(f"{path}: 'batch' is not a list of objects")
        elif call in SINGLE_CALLS:
            messages = [{"type": call, **payload}] if "type" not in payload else [payload]
        else:
            return HTTPStatus.NOT_FOUND, {"code": "not_found", "message": f"no endpoint {path}"}
        sent_at = payload.get("sentAt")
        lines = [self._exported(m, received_at, sent_at) for m in messages]
        with self._lock:
            self.requests.append(
                {"path": path, "content_encoding": headers.get("content-encoding"), "payload": payload}
            )
            with self._partial.open("a", encoding="utf-8") as out:
                out.writelines(line + "\n" for line in lines)
        return HTTPStatus.OK, {"success": True}

    @staticmethod
    def _exported(message: dict[str, Any], received_at: str, sent_at: Any) -> str:
        """The message as sent, with the collector's fields added after the library's own."""
        row = dict(message)
        row.pop("writeKey", None)
        row["receivedAt"] = received_at
        if sent_at is not None and "sentAt" not in row:
            row["sentAt"] = sent_at
        return json.dumps(row, ensure_ascii=False, separators=(",", ":"))

    def _authorized(self, authorization: str) -> bool:
        if self.write_key is None:
            return True
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user = base64.b64decode(encoded).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.write_key

    def _bad(self, message: str) -> tuple[HTTPStatus, dict[str, Any]]:
        with self._lock:
            self.errors.append(message)
        return HTTPStatus.BAD_REQUEST, {"code": "bad_request", "message": message}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # seconds a client may take to send a request

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"code": "too_large", "message": "body"})
                    return
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = collector.receive(self.path.split("?", 1)[0], headers, body)
                self._answer(status, answer)

            def _answer(self, status: HTTPStatus, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
                pass

        return Handler
