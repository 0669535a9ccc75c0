"""Writes the generated shop as a landing directory (see landing-contract.md)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb

from tools.sample_shop.build import DUPLICATE_RATE, EVENT_FAULTS, LATE_RATE, ShopParams
from tools.sample_shop.tables import TABLE_FAULTS, fault_rows_query, products_query, table_queries

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
# Rows fetched from DuckDB, and rendered, at a time: enough to keep the calls
# few, few enough that no source's or day's rows need be in memory at once.
FETCH_ROWS = 20_000


@contextmanager
def _landed_file(path: Path) -> Iterator[BinaryIO]:
    """Open a file to write like a careful exporter: a temporary name first, then a rename.

    Written as it goes, so no whole file has to be held in memory; gzip output
    does not depend on how the text is split into writes, so the bytes are the
    same as compressing the whole file at once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as raw:
            if path.name.endswith(".gz"):
                # mtime=0 keeps the gzip header, and so the bytes, independent of the clock.
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                    yield gz
            else:
                yield raw
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)


def _write_bytes(path: Path, data: bytes) -> None:
    with _landed_file(path) as file:
        file.write(data)


def _fetch_rows(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple]:
    """The rows of an executed query, fetched a batch at a time rather than all at once."""
    while batch := cursor.fetchmany(FETCH_ROWS):
        yield from batch


@dataclass
class EventCounts:
    """What the manifest reports about events, summed over the rendered chunks."""

    events: int = 0
    lines: int = 0
    late: int = 0
    faults: dict[str, int] = field(default_factory=dict)


class EventFiles:
    """Lands the event lines chunk by chunk, each day's files once no later chunk can add to them.

    A chunk holds the sessions started on some days; their events land on
    those days or a few days later (sessions past midnight, late events,
    redeliveries), so lines for later days wait in `pending_event_lines`.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, out: Path, progress: Callable[[str], None]) -> None:
        self.con = con
        self.out = out
        self.progress = progress
        self.files = 0
        self.counts = EventCounts()
        con.execute(
            "create or replace table pending_event_lines (file_day date, stream varchar, event_at timestamp, "
            "message_id varchar, copy_no integer, line varchar)"
        )

    def add_chunk(self, complete_through: dt.date) -> None:
        """Takes the chunk in `event_lines`; writes every day up to `complete_through`."""
        self._count_chunk()
        self.con.execute(
            "insert into pending_event_lines "
            "select file_day, stream, event_at, message_id, copy_no, line from event_lines"
        )
        self._write_days_through(complete_through)
        self.con.execute(
            "create or replace table pending_event_lines as select * from pending_event_lines where file_day > ?",
            [complete_through],
        )

    def finish(self) -> EventCounts:
        self._write_days_through(None)
        self.con.execute("drop table pending_event_lines")
        return self.counts

    def _count_chunk(self) -> None:
        counts = self.counts
        counts.events += self.con.execute("select count(*) from events_rendered").fetchone()[0]
        counts.lines += self.con.execute("select count(*) from event_lines").fetchone()[0]
        counts.late += self.con.execute(
            "select count(*) from event_lines where copy_no = 0 and file_day <> cast(event_at as date)"
        ).fetchone()[0]
        for fault, n in self.con.execute(
            "select fault, count(*) from event_lines where fault is not null group by fault"
        ).fetchall():
            counts.faults[fault] = counts.faults.get(fault, 0) + n

    def _write_days_through(self, last_day: dt.date | None) -> None:
        days = self.con.execute(
            "select distinct file_day from pending_event_lines where ? is null or file_day <= ? order by 1",
            [last_day, last_day],
        ).fetchall()
        for (day,) in days:
            self._write_day(day)
        if days:
            self.progress(f"events: {self.files} files written")

    def _write_day(self, day: dt.date) -> None:
        # Each file holds its lines in time order, one line each, ending in a newline.
        cursor = self.con.execute(
            """
            select stream, line
            from pending_event_lines
            where file_day = ? and line is not null
            order by stream, event_at, message_id, copy_no
            """,
            [day],
        )
        for stream, rows in itertools.groupby(_fetch_rows(cursor), key=lambda row: row[0]):
            with _landed_file(self.out / "events" / f"date={day}" / EVENT_FILE_NAMES[stream]) as file:
                for batch in _batches(rows):
                    file.write(("\n".join(line for _, line in batch) + "\n").encode())
            self.files += 1


def _batches(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, FETCH_ROWS)):
        yield batch


def _render(fmt: str, columns: list[str], rows: list[tuple]) -> bytes:
    """Rows as file text, without the CSV header (`_write_table_file` writes it once)."""
    if fmt.startswith("csv"):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue().encode()
    lines = []
    for row in rows:
        # Empty text means "absent" in NDJSON: the key is left out.
        lines.append(json.dumps({c: v for c, v in zip(columns, row, strict=True) if v not in ("", None)}))
    return ("\n".join(lines) + "\n").encode()


def _write_table_file(path: Path, fmt: str, columns: list[str], rows: Iterable[tuple]) -> None:
    with _landed_file(path) as file:
        if fmt.startswith("csv"):
            file.write(_render(fmt, columns, [tuple(columns)]))
        for batch in _batches(rows):
            file.write(_render(fmt, columns, batch))


def _as_text(row: tuple) -> tuple:
    return tuple("" if v is None else v for v in row[1:])


def write_tables(con: duckdb.DuckDBPyConnection, p: ShopParams, out: Path) -> dict[str, dict[str, int]]:
    """Writes each source's rows into one file per day, a day at a time; returns fault counts."""
    queries = table_queries(p)
    faults: dict[str, dict[str, int]] = {}
    for source, sql in queries.items():
        rel = con.sql(sql)
        columns = rel.columns[1:]
        # The few spoiled rows go after the real rows of their day's file.
        bad_by_day: dict[str, list[tuple]] = {}
        for src, reason, column, replacement in TABLE_FAULTS:
            if src != source:
                continue
            bad = con.sql(fault_rows_query(source, column, replacement, columns, sql)).fetchall()
            for row in bad:
                bad_by_day.setdefault(str(row[0]), []).append(_as_text(row))
            faults.setdefault(source, {})[reason] = len(bad)
        fmt = TABLE_FORMATS[source]
        written: set[str] = set()
        # every query orders by file_day first, so each day's rows come as one run
        for day, rows in itertools.groupby(_fetch_rows(con.execute(sql)), key=lambda row: str(row[0])):
            if day in written:
                raise ValueError(f"{source}: rows of {day} are not contiguous; order the query by file_day first")
            written.add(day)
            all_rows = itertools.chain((_as_text(row) for row in rows), bad_by_day.pop(day, []))
            _write_table_file(out / source / f"date={day}" / f"{source}.{fmt}", fmt, columns, all_rows)
        for day, rows in sorted(bad_by_day.items()):
            _write_table_file(out / source / f"date={day}" / f"{source}.{fmt}", fmt, columns, rows)
    products_dir = out / "products"
    products_dir.mkdir(parents=True, exist_ok=True)
    tmp = products_dir / "_products.parquet.tmp"
    con.execute(f"copy ({products_query()}) to '{tmp}' (format parquet)")
    tmp.replace(products_dir / "products.parquet")
    return faults


def write_manifest(
    con: duckdb.DuckDBPyConnection, p: ShopParams, out: Path, events: EventCounts, table_faults: dict
) -> dict:
    """What the generator put in, so tests can check what the loader took out.

    The name starts with `_`, so the loader ignores it by contract.
    """
    manifest = {
        "seed": p.seed,
        "days": p.days,
        "visitors": p.visitors,
        "start_date": p.start_date.isoformat(),
        "end_date": p.end_date.isoformat(),
        "events": events.events,
        "event_lines": events.lines,
        "event_faults": {name: events.faults.get(name, 0) for name, _ in EVENT_FAULTS},
        "event_duplicates": events.faults.get("duplicate", 0),
        "late_events": events.late,
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
