"""Writes the generated shop as a landing directory (see landing-contract.md)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import duckdb

from orchestration.sample_shop.build import DUPLICATE_RATE, EVENT_FAULTS, LATE_RATE, ShopParams
from orchestration.sample_shop.tables import TABLE_FAULTS, fault_rows_query, products_query, table_queries

# Formats per source: the contract allows CSV, Parquet and NDJSON, each
# optionally gzipped; the sample uses all of them so the loader meets each.
TABLE_FORMATS = {
    "orders": "csv",
    "order_items": "csv",
    "customers": "csv",
    "refunds": "csv",
    "shipments": "csv",
    "inventory": "csv.gz",
    "marketing_spend": "csv",
    "support_tickets": "jsonl",
    "reviews": "csv",
    "nps_responses": "jsonl.gz",
    "social_posts": "csv",
}
EVENT_FILE_NAMES = {
    "web": "web-events.jsonl",
    "ios": "ios-events.json",
    "android": "android-events.jsonl.gz",
    "server": "server-events.ndjson",
}


def _write_bytes(path: Path, data: bytes) -> None:
    """Write like a careful exporter: a temporary name first, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        buf = io.BytesIO()
        # mtime=0 keeps the gzip header, and so the bytes, independent of the clock.
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
            gz.write(data)
        data = buf.getvalue()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_events(con: duckdb.DuckDBPyConnection, out: Path, progress: Callable[[str], None]) -> int:
    # a few days per query: string_agg holds every file of a query in memory at once,
    # which at 5M events (3 GB of text) would not fit a memory limit
    days = [day for (day,) in con.execute("select distinct file_day from event_lines order by 1").fetchall()]
    files = 0
    for start in range(0, len(days), 8):
        chunk = days[start : start + 8]
        rows = con.execute(
            """
            select file_day, stream, string_agg(line, chr(10) order by event_at, message_id, copy_no) || chr(10)
            from event_lines
            where file_day between ? and ?
            group by file_day, stream
            order by file_day, stream
            """,
            [chunk[0], chunk[-1]],
        ).fetchall()
        for file_day, stream, text in rows:
            _write_bytes(out / "events" / f"date={file_day}" / EVENT_FILE_NAMES[stream], text.encode())
            files += 1
        progress(f"events: {files} files written")
    return files


def _render(fmt: str, columns: list[str], rows: list[tuple]) -> bytes:
    if fmt.startswith("csv"):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue().encode()
    lines = []
    for row in rows:
        # Empty text means "absent" in NDJSON: the key is left out.
        lines.append(json.dumps({c: v for c, v in zip(columns, row, strict=True) if v not in ("", None)}))
    return ("\n".join(lines) + "\n").encode()


def write_tables(con: duckdb.DuckDBPyConnection, p: ShopParams, out: Path) -> dict[str, dict[str, int]]:
    """Writes each source's rows into one file per day; returns fault counts."""
    queries = table_queries(p)
    faults: dict[str, dict[str, int]] = {}
    for source, sql in queries.items():
        rel = con.sql(sql)
        columns = rel.columns[1:]
        by_day: dict[str, list[tuple]] = {}
        for row in rel.fetchall():
            by_day.setdefault(str(row[0]), []).append(tuple("" if v is None else v for v in row[1:]))
        for src, reason, column, replacement in TABLE_FAULTS:
            if src != source:
                continue
            bad = con.sql(fault_rows_query(source, column, replacement, columns, sql)).fetchall()
            for row in bad:
                by_day.setdefault(str(row[0]), []).append(tuple("" if v is None else v for v in row[1:]))
            faults.setdefault(source, {})[reason] = len(bad)
        fmt = TABLE_FORMATS[source]
        for day, rows in sorted(by_day.items()):
            _write_bytes(out / source / f"date={day}" / f"{source}.{fmt}", _render(fmt, columns, rows))
    products_dir = out / "products"
    products_dir.mkdir(parents=True, exist_ok=True)
    tmp = products_dir / "_products.parquet.tmp"
    con.execute(f"copy ({products_query()}) to '{tmp}' (format parquet)")
    tmp.replace(products_dir / "products.parquet")
    return faults


def write_manifest(con: duckdb.DuckDBPyConnection, p: ShopParams, out: Path, table_faults: dict) -> dict:
    """What the generator put in, so tests can check what the loader took out.

    The name starts with `_`, so the loader ignores it by contract.
    """
    event_faults = dict(
        con.execute("select fault, count(*) from event_lines where fault is not null group by fault").fetchall()
    )
    late = con.execute(
        "select count(*) from event_lines where copy_no = 0 and file_day <> cast(event_at as date)"
    ).fetchone()[0]
    manifest = {
        "seed": p.seed,
        "days": p.days,
        "visitors": p.visitors,
        "start_date": p.start_date.isoformat(),
        "end_date": p.end_date.isoformat(),
        "events": con.execute("select count(*) from events_rendered").fetchone()[0],
        "event_lines": con.execute("select count(*) from event_lines").fetchone()[0],
        "event_faults": {name: event_faults.get(name, 0) for name, _ in EVENT_FAULTS},
        "event_duplicates": event_faults.get("duplicate", 0),
        "late_events": late,
        "rates_per_10000": {"duplicate": DUPLICATE_RATE, "late": LATE_RATE, **dict(EVENT_FAULTS)},
        "table_faults": table_faults,
        "orders": con.execute("select count(*) from orders").fetchone()[0],
        "sessions": con.execute("select count(*) from sessions").fetchone()[0],
    }
    (out / "_generator_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def write_ignored_files(out: Path, p: ShopParams) -> None:
    """Files a loader must skip: an upload still in progress and a hidden file."""
    day = p.end_date.isoformat()
    _write_bytes(out / "events" / f"date={day}" / "web-events-2.jsonl.inprogress", b'{"messageId": "half-writ')
    _write_bytes(out / "orders" / ".orders-export.csv.partial", b"order_id,customer_id\nbroken")
