"""The generator: deterministic bytes, every source of the contract, known faults."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import generate_shop
from tools.sample_shop import build, generate, write

SOURCES = {
    "events",
    "orders",
    "order_items",
    "customers",
    "products",
    "refunds",
    "shipments",
    "inventory",
    "marketing_spend",
    "support_tickets",
    "reviews",
    "nps_responses",
    "social_posts",
}


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shops")
    generate_shop(root / "a", days=20, visitors=1500, seed=3)
    generate_shop(root / "b", days=20, visitors=1500, seed=3)
    generate_shop(root / "c", days=20, visitors=1500, seed=4)
    return {name: root / name for name in "abc"}


def test_same_seed_same_bytes(shops: dict[str, Path]) -> None:
    a, b = digests(shops["a"]), digests(shops["b"])
    assert len(a) > 100
    assert a == b


def test_chunked_generation_same_bytes(shops: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering a day of sessions at a time and writing a few rows at a time changes no byte."""
    chunks = functools.partial(build.session_day_chunks, sessions_per_chunk=100)
    monkeypatch.setattr(build, "session_day_chunks", chunks)
    monkeypatch.setattr(write, "FETCH_ROWS", 7)
    params = build.ShopParams(seed=3, days=20, visitors=1500, end_date=dt.date(2026, 10, 31))
    assert len(chunks(params)) == 20  # one day per chunk, where the default renders all 20 at once
    generate.generate(tmp_path, days=20, visitors=1500, seed=3, end_date=dt.date(2026, 10, 31))
    assert digests(tmp_path) == digests(shops["a"])


def test_other_seed_other_data(shops: dict[str, Path]) -> None:
    a, c = digests(shops["a"]), digests(shops["c"])
    assert a["events/date=2026-10-20/web-events.jsonl"] != c["events/date=2026-10-20/web-events.jsonl"]


def test_every_source_lands(shops: dict[str, Path]) -> None:
    assert {p.name for p in shops["a"].iterdir() if p.is_dir()} == SOURCES


def test_faults_are_present_and_counted(shops: dict[str, Path]) -> None:
    manifest = json.loads((shops["a"] / "_generator_manifest.json").read_text())
    assert manifest["event_duplicates"] > 0
    assert manifest["late_events"] > 0
    assert all(count > 0 for count in manifest["event_faults"].values()), manifest["event_faults"]
    assert all(n >= 1 for reasons in manifest["table_faults"].values() for n in reasons.values())


def test_believable_traffic(shops: dict[str, Path]) -> None:
    manifest = json.loads((shops["a"] / "_generator_manifest.json").read_text())
    # a few percent of sessions buy; most of the rest bounce or browse
    assert 0.01 < manifest["orders"] / manifest["sessions"] < 0.08
    text = (shops["a"] / "events" / "date=2026-10-20" / "web-events.jsonl").read_text()
    assert '"utm_source=' not in text or "utm_campaign" in text
    assert '"type":"identify"' in text
    assert "google." in text and "facebook.com" in text or "instagram.com" in text


def test_orders_in_several_currencies_and_restated(shops: dict[str, Path]) -> None:
    currencies, statuses = set(), set()
    for path in (shops["a"] / "orders").rglob("*.csv"):
        for line in path.read_text().splitlines()[1:]:
            fields = line.split(",")
            statuses.add(fields[3])
            currencies.add(fields[4])
    assert {"USD", "EUR", "GBP"} <= currencies
    assert {"paid", "fulfilled", "cancelled"} <= statuses
