"""Discovery follows the contract's naming rules."""

from __future__ import annotations

from pathlib import Path

from orchestration.loading.discovery import discover


def touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_formats_nesting_and_ignored_names(tmp_path: Path) -> None:
    for name in [
        "events/date=2026-01-01/a.jsonl",
        "events/date=2026-01-01/b.jsonl.gz",
        "events/c.ndjson",
        "events/d.json",
        "events/e.jsonl.tmp",
        "events/f.jsonl.partial",
        "events/g.jsonl.inprogress",
        "events/.hidden.jsonl",
        "events/_staging/h.jsonl",
        "events/i.csv",
        "orders/2026/01/o.csv",
        "orders/o.parquet",
        "orders/o.csv.gz",
    ]:
        touch(tmp_path / name)
    assert [f.relative_path for f in discover(tmp_path, "events")] == [
        "events/c.ndjson",
        "events/d.json",
        "events/date=2026-01-01/a.jsonl",
        "events/date=2026-01-01/b.jsonl.gz",
    ]
    assert [f.relative_path for f in discover(tmp_path, "orders")] == [
        "orders/2026/01/o.csv",
        "orders/o.csv.gz",
        "orders/o.parquet",
    ]
    assert discover(tmp_path, "refunds") == []


def test_order_is_bytewise(tmp_path: Path) -> None:
    # 'B' (0x42) sorts before 'a' (0x61) byte-wise, unlike a case-insensitive sort
    touch(tmp_path / "orders/a.csv")
    touch(tmp_path / "orders/B.csv")
    assert [f.path.name for f in discover(tmp_path, "orders")] == ["B.csv", "a.csv"]
