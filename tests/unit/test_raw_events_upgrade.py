"""A warehouse from before the one-parse loader (raw.events kept the whole line in `message`) is upgraded in
place: the extracted columns are filled from the stored lines, by the rule a load applies, and `message` goes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from orchestration.loading.load import connect, ensure_raw_schema, load_source

OLD_LAYOUT = """
    create table raw.events (
        message_id varchar, type varchar, event varchar, event_at timestamp, received_at timestamp,
        anonymous_id varchar, user_id varchar, message varchar,
        _file varchar, _line bigint, _load_id bigint, _loaded_at timestamp
    )
"""


def test_old_raw_events_are_upgraded_in_place(tmp_path: Path) -> None:
    con = connect(tmp_path / "warehouse.duckdb")
    con.execute("create schema raw")
    con.execute(OLD_LAYOUT)
    old_line = {
        "messageId": "m1",
        "type": "track",
        "event": "Product Viewed",
        "timestamp": "2026-01-01T10:00:00Z",
        "anonymousId": "a1",
        "context": {"page": {"path": "/p/1", "referrer": "  "}, "campaign": {"source": " Google "}},
        "properties": {"product_id": "P1", "price": 9.5, "sku": ""},
    }
    con.execute(
        "insert into raw.events values ('m1', 'track', 'Product Viewed', '2026-01-01 10:00:00', null, 'a1', null, "
        "?, 'events/old.jsonl', 1, 1, ?)",
        [json.dumps(old_line), dt.datetime(2026, 1, 1, 12)],
    )
    ensure_raw_schema(con)
    con.execute(
        "insert into raw.load_log values (1, 'events', 'events/old.jsonl', 1, ?, 'x', ?, 1, 0, 0, null)",
        [dt.datetime(2026, 1, 1, 12), dt.datetime(2026, 1, 1, 12)],
    )
    columns = [name for (name,) in con.execute("select column_name from (describe raw.events)").fetchall()]
    assert "message" not in columns
    row = con.execute(
        "select page_path, page_referrer, utm_source, product_id, price, sku, properties::json->>'$.product_id' "
        "from raw.events"
    ).fetchone()
    # trimmed, blank as null, numbers as their JSON text: what a load of the same line stores
    assert row == ("/p/1", None, "Google", "P1", "9.5", None, "P1")

    # the same line landed now loads into the upgraded table with the same values (a duplicate messageId)
    landing = tmp_path / "landing"
    (landing / "events").mkdir(parents=True)
    (landing / "events" / "new.jsonl").write_text(json.dumps(old_line) + "\n")
    stats = load_source(con, landing, "events")
    assert (stats.rows_loaded, stats.duplicate_rows) == (1, 1)
    rows = con.execute(
        "select distinct page_path, page_referrer, utm_source, product_id, price, sku from raw.events"
    ).fetchall()
    assert rows == [("/p/1", None, "Google", "P1", "9.5", None)]

    # a second call finds nothing left to upgrade
    ensure_raw_schema(con)
    assert con.execute("select count(*) from raw.events").fetchone() == (2,)
