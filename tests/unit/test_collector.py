"""The stand-in collector (tests/collector.py): what it lands, what it refuses. Plain HTTP, no library."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.collector import Collector

CLOCK = dt.datetime(2026, 3, 2, 10, 0, 1, 500000, tzinfo=dt.UTC)


def post(url: str, body: bytes, key: str, gzipped: bool = False) -> int:
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode(),
    }
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy
    try:
        with opener.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_lands_each_message_with_received_at_and_the_batch_sent_at(tmp_path: Path) -> None:
    batch = {
        "batch": [
            {"type": "page", "messageId": "m1", "anonymousId": "a", "userId": None, "timestamp": "x"},
            # a message with its own sentAt keeps it
            {"type": "track", "event": "E", "messageId": "m2", "userId": "u", "sentAt": "own"},
        ],
        "sentAt": "2026-03-02T10:00:00.9+00:00",
        "writeKey": "k",
    }
    with Collector(tmp_path, "web", write_key="k", clock=lambda: CLOCK) as collector:
        assert post(collector.url + "/v1/batch", json.dumps(batch).encode(), "k", gzipped=True) == 200
        assert post(collector.url + "/v1/track", b'{"event": "E", "messageId": "m3", "userId": "u"}', "k") == 200
        # written under a name the loader ignores until the collector stops
        assert not collector.path.exists()
    lines = [json.loads(line) for line in collector.path.read_text().splitlines()]
    assert lines == [
        {"type": "page", "messageId": "m1", "anonymousId": "a", "userId": None, "timestamp": "x",
         "receivedAt": "2026-03-02T10:00:01.500Z", "sentAt": "2026-03-02T10:00:00.9+00:00"},
        {"type": "track", "event": "E", "messageId": "m2", "userId": "u", "sentAt": "own",
         "receivedAt": "2026-03-02T10:00:01.500Z"},
        {"type": "track", "event": "E", "messageId": "m3", "userId": "u", "receivedAt": "2026-03-02T10:00:01.500Z"},
    ]  # fmt: skip
    assert collector.path.name == "web.jsonl" and collector.path.parent == tmp_path / "events"


@pytest.mark.parametrize(
    ("path", "body", "key", "status"),
    [
        ("/v1/batch", b'{"batch": []}', "wrong", 401),
        ("/v1/batch", b"not json", "k", 400),
        ("/v1/batch", b'{"batch": {"type": "page"}}', "k", 400),
        ("/v1/nothing", b"{}", "k", 404),
    ],
)
def test_refuses_what_a_collector_refuses(tmp_path: Path, path: str, body: bytes, key: str, status: int) -> None:
    with Collector(tmp_path, "web", write_key="k") as collector:
        assert post(collector.url + path, body, key) == status
    assert collector.path.read_text() == ""
