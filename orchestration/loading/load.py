"""Loads new landed files into `raw`, once each, with a quarantine for bad rows.

One load is one DuckDB transaction over every new file of every selected
source, their rows, their quarantine rows and their load-log rows: a crash
(even a SIGKILL) leaves `raw` as it was, and the rerun loads exactly what is
missing. Parsing and checking are set-based SQL over DuckDB's own readers;
no Python loop touches a row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.loading.contract import EVENT_SOURCE, TABLES
from orchestration.loading.discovery import LandedFile, discover
from orchestration.loading.events import RAW_EVENTS_DDL, event_counts_per_file, load_event_files, upgrade_raw_events
from orchestration.loading.readers import FileLayout, event_lines_sql, table_file_layout, table_rows_sql
from orchestration.loading.tables import (
    META_COLUMNS,
    header_problem,
    load_table_files,
    raw_columns,
    raw_table_ddl,
    stored_names,
)

# Uncompressed bytes per batch: bounds the temp tables, not the transaction.
BATCH_BYTES = 256 * 1024 * 1024
TABLE_FILES_PER_BATCH = 16
GZIP_RATIO = 8  # a rough guess of how much a .gz file grows when read
HASH_THREADS = 2

Progress = Callable[[str], None]


@dataclass
class SourceStats:
    source: str
    files_loaded: int = 0
    files_skipped: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicate_rows: int = 0
    files_rejected: int = 0


def connect(warehouse: Path, memory_limit: str = "2GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), config={"memory_limit": memory_limit, "threads": threads})
    con.execute("set TimeZone = 'UTC'")
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        """
        create table if not exists raw.load_log (
            load_id bigint, source varchar, path varchar, size_bytes bigint, mtime timestamp,
            sha256 varchar, loaded_at timestamp, rows_loaded bigint, rows_rejected bigint,
            duplicate_rows bigint, error varchar
        )
        """
    )
    con.execute(RAW_EVENTS_DDL)
    upgrade_raw_events(con)
    for source in (EVENT_SOURCE, *TABLES):
        con.execute(
            f"create table if not exists raw.{source}_rejected (record varchar, reason varchar, {META_COLUMNS})"
        )
    for contract in TABLES.values():
        con.execute(raw_table_ddl(contract))


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from raw.load_log").fetchone()[0]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


def files_to_load(con: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> list[tuple[LandedFile, str | None]]:
    """New files and new versions of known paths, with their checksums; and names that cannot be read
    (checksum None), unless one was logged before with the same reason."""
    known = con.execute("select path, size_bytes, mtime, sha256, error from raw.load_log").fetchall()
    by_stat = {(p, s, m) for p, s, m, h, _ in known if h is not None}
    by_hash = {(p, h) for p, _, _, h, _ in known if h is not None}
    # an unreadable name is logged once per reason, not on every run while it stays as it is
    set_aside = {(p, e) for p, _, _, h, e in known if h is None}
    # Same path, size and mtime as a logged version: skip without reading it.
    unseen = [f for f in files if f.problem is not None or (f.relative_path, f.size, _utc(f.mtime)) not in by_stat]
    # hashlib lets go of the GIL while it hashes: two threads read and hash two files at once (2.9 GB
    # of landed files at 5M events took 2.7 s on one core)
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        digests = list(pool.map(_digest_or_problem, unseen))
    todo: list[tuple[LandedFile, str | None]] = []
    for f, (digest, problem) in zip(unseen, digests, strict=True):
        if problem is not None:
            f = dataclasses.replace(f, problem=problem)
        if f.problem is not None:
            if (f.relative_path, f.problem) not in set_aside:
                todo.append((f, None))
        elif (f.relative_path, digest) not in by_hash:
            todo.append((f, digest))
    return todo


def _digest_or_problem(f: LandedFile) -> tuple[str | None, str | None]:
    """(checksum, None) of a readable file, (None, why not) of one that cannot be read."""
    if f.problem is not None:
        return None, None
    try:
        return sha256_of(f.path), None
    except OSError as exc:
        return None, f"unreadable file: {exc.strerror}; fix its permissions or remove it"


def _log(con, f: LandedFile, digest: str, load_id: int, loaded_at, counts: tuple[int, int, int], error=None):
    con.execute(
        "insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, f.source, f.relative_path, f.size, _utc(f.mtime), digest, loaded_at, *counts, error],
    )


def _reject_file(con, f: LandedFile, digest: str | None, load_id: int, loaded_at, message: str) -> None:
    """A file no reader can take is quarantined whole: one row with the reason, and its log row."""
    con.execute(
        f"insert into raw.{f.source}_rejected values (null, ?, ?, null, ?, ?)",
        [message, f.relative_path, load_id, loaded_at],
    )
    _log(con, f, digest, load_id, loaded_at, (0, 1, 0), message)


def _batches(
    items: list[tuple[LandedFile, str | None]], max_files: int | None = None
) -> list[list[tuple[LandedFile, str | None]]]:
    batches: list[list[tuple[LandedFile, str | None]]] = [[]]
    size = 0
    for item in items:
        f = item[0]
        grown = f.size * (GZIP_RATIO if f.path.name.endswith(".gz") else 1)
        if batches[-1] and (size + grown > BATCH_BYTES or (max_files is not None and len(batches[-1]) >= max_files)):
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += grown
    return [b for b in batches if b]


def unreadable_reason(con: duckdb.DuckDBPyConnection, f: LandedFile) -> str | None:
    """The reader's error for a file it cannot scan, else None (reads the file once)."""
    try:
        if f.source == EVENT_SOURCE:
            scan = event_lines_sql(f)
        else:
            # the scan the load runs, under the names it stores
            layout = table_file_layout(con, f)
            scan = table_rows_sql(layout, stored_names(layout.columns, raw_columns(con, f.source)))
        con.execute(f"select count(*) from ({scan})").fetchone()
    except duckdb.Error as exc:
        return f"unreadable file: {str(exc).splitlines()[0]}"
    return None


def _load_source(
    con: duckdb.DuckDBPyConnection,
    source: str,
    todo: list[tuple[LandedFile, str | None]],
    load_id: int,
    unreadable: dict[str, str],
    stats: SourceStats,
    progress: Progress,
) -> None:
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    readable = []
    # landed header -> stored column name, per file, one naming across the source (tables.stored_names)
    names: dict[str, list[str]] = {}
    layouts: dict[str, FileLayout] = {}
    known = raw_columns(con, source) if source != EVENT_SOURCE else []
    for f, digest in todo:
        # a name that cannot be read is never opened (a FIFO would block): quarantined whole
        problem = f.problem
        if problem is None and f.size == 0:
            # Nothing to load and nothing to quarantine: the log says so.
            _log(con, f, digest, load_id, loaded_at, (0, 0, 0), "empty file")
            continue
        if problem is None:
            problem = unreadable.get(f.relative_path)
        if problem is None and source != EVENT_SOURCE:
            layouts[f.relative_path] = table_file_layout(con, f)
            names[f.relative_path] = stored_names(layouts[f.relative_path].columns, known)
            known += [n for n in names[f.relative_path] if n.lower() not in {k.lower() for k in known}]
            problem = header_problem(TABLES[source], names[f.relative_path])
        if problem:
            _reject_file(con, f, digest, load_id, loaded_at, problem)
            stats.files_rejected += 1
            stats.rows_rejected += 1
        else:
            readable.append((f, digest))
    done = 0
    logged: list[tuple[LandedFile, str, tuple[int, int, int]]] = []
    # A shop batch scans each file on its own (union by name), and every scan
    # holds its reader's buffer (32 MB for JSON) at once: capped in files.
    for batch in _batches(readable, None if source == EVENT_SOURCE else TABLE_FILES_PER_BATCH):
        files = [f for f, _ in batch]
        con.execute("create or replace temp table batch_files (_file_idx integer, _file varchar, _path varchar)")
        con.executemany(
            "insert into batch_files values (?, ?, ?)", [[i, f.relative_path, str(f.path)] for i, f in enumerate(files)]
        )
        if source == EVENT_SOURCE:
            # counted per load, after the last batch (event_counts_per_file)
            rows_loaded, rows_rejected = load_event_files(con, files, load_id, loaded_at)
            stats.rows_loaded += rows_loaded
            stats.rows_rejected += rows_rejected
            logged += [(f, digest, (0, 0, 0)) for f, digest in batch]
        else:
            rows = load_table_files(con, TABLES[source], files, names, layouts, load_id, loaded_at)
            per_file = {idx: (loaded, rejected, dups) for idx, loaded, rejected, dups in rows}
            for idx, (f, digest) in enumerate(batch):
                counts = per_file.get(idx, (0, 0, 0))
                logged.append((f, digest, counts))
                stats.rows_loaded += counts[0]
                stats.rows_rejected += counts[1]
                stats.duplicate_rows += counts[2]
        done += len(batch)
        progress(
            f"{source}: {done}/{len(readable)} files, {stats.rows_loaded:,} rows, {stats.rows_rejected:,} rejected"
        )
    if source == EVENT_SOURCE and logged:
        per_path = event_counts_per_file(con, load_id)
        logged = [(f, digest, per_path.get(f.relative_path, (0, 0, 0))) for f, digest, _ in logged]
        stats.duplicate_rows += sum(counts[2] for _, _, counts in logged)
    for f, digest, counts in logged:
        _log(con, f, digest, load_id, loaded_at, counts)
    stats.files_loaded = len(todo)


def load_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    sources: list[str],
    progress: Progress = lambda _: None,
) -> tuple[int, dict[str, SourceStats]]:
    """Loads every new file of the given sources as one load (one transaction); returns its id and counts."""
    ensure_raw_schema(con)
    load_id = next_load_id(con)
    todo: dict[str, list[tuple[LandedFile, str | None]]] = {}
    skipped: dict[str, int] = {}
    for source in sources:
        files = discover(landing_dir, source)
        todo[source] = files_to_load(con, files)
        skipped[source] = len(files) - len(todo[source])
    unreadable: dict[str, str] = {}
    for attempt in (1, 2):
        stats = {s: SourceStats(s, files_skipped=skipped[s]) for s in sources}
        con.execute("begin transaction")
        try:
            for source in sources:
                _load_source(con, source, todo[source], load_id, unreadable, stats[source], progress)
            con.execute("commit")
            return load_id, stats
        except duckdb.Error:
            con.execute("rollback")
            if attempt == 2:
                raise
            # Some file broke a reader mid-load: find every such file (each
            # scanned on its own), then load again with them quarantined whole.
            unreadable = {
                f.relative_path: reason
                for items in todo.values()
                for f, _ in items
                # a name already set aside is never opened (a FIFO would block)
                if f.problem is None and (reason := unreadable_reason(con, f)) is not None
            }
            if not unreadable:
                raise
            progress(f"{len(unreadable)} unreadable file(s) set aside; loading again")
    raise AssertionError("unreachable")


def load_source(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, source: str, progress: Progress = lambda _: None
) -> SourceStats:
    """One source as its own load (tests and ad-hoc use)."""
    return load_landing(con, landing_dir, [source], progress)[1][source]
