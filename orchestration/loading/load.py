"""Loads new landed files into `raw`, once each, with a quarantine for bad rows.

Every file version is loaded in one transaction together with its load-log
row: a crash leaves either the whole file and its log row, or neither, so a
rerun loads exactly what is missing. All parsing and checking is set-based
SQL over DuckDB's own readers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.loading.contract import EVENT_SOURCE, EVENT_TYPES, TABLES, Column, TableContract
from orchestration.loading.discovery import LandedFile, discover

META_COLUMNS = "_file varchar, _line bigint, _load_id bigint, _loaded_at timestamp"

# One extraction of all paths per line: per-field `->>` calls re-parse the document each time.
EVENT_PATHS = ("$.messageId", "$.type", "$.event", "$.timestamp", "$.receivedAt", "$.anonymousId", "$.userId")


@dataclass
class SourceStats:
    source: str
    files_loaded: int = 0
    files_skipped: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicate_rows: int = 0


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
    con.execute(
        f"""
        create table if not exists raw.events (
            message_id varchar, type varchar, event varchar, event_at timestamp, received_at timestamp,
            anonymous_id varchar, user_id varchar, message json, {META_COLUMNS}
        )
        """
    )
    for source in (EVENT_SOURCE, *TABLES):
        con.execute(
            f"create table if not exists raw.{source}_rejected (record varchar, reason varchar, {META_COLUMNS})"
        )
    for contract in TABLES.values():
        columns = ", ".join(f"{c.name} varchar" for c in contract.columns)
        con.execute(f"create table if not exists raw.{contract.source} ({columns}, {META_COLUMNS})")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from raw.load_log").fetchone()[0]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_to_load(con: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> list[tuple[LandedFile, str]]:
    """New files and new versions of known paths, with their checksums."""
    known = con.execute("select path, size_bytes, mtime, sha256 from raw.load_log").fetchall()
    by_stat = {(p, s, m) for p, s, m, _ in known}
    by_hash = {(p, h) for p, _, _, h in known}
    todo = []
    for f in files:
        mtime = dt.datetime.fromtimestamp(f.mtime, dt.UTC).replace(tzinfo=None)
        # Same path, size and mtime as a logged version: skip without reading it.
        if (f.relative_path, f.size, mtime) in by_stat:
            continue
        digest = sha256_of(f.path)
        if (f.relative_path, digest) not in by_hash:
            todo.append((f, digest))
    return todo


def _log(con, f: LandedFile, digest: str, load_id: int, loaded_at, loaded: int, rejected: int, dups: int, error):
    con.execute(
        "insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            f.source,
            f.relative_path,
            f.size,
            dt.datetime.fromtimestamp(f.mtime, dt.UTC).replace(tzinfo=None),
            digest,
            loaded_at,
            loaded,
            rejected,
            dups,
            error,
        ],
    )


def _union_of_reads(files: list[LandedFile], reader: Callable[[LandedFile], str], line_offset: int = 0) -> str:
    """One scan per file, each numbering its own lines, glued together by column name."""
    parts = []
    for idx, f in enumerate(files):
        path = str(f.path).replace("'", "''")
        offset = line_offset if f.format == "csv" else 0
        parts.append(
            f"select {idx} as _file_idx, row_number() over () + {offset} as _line, columns(*)::varchar "
            f"from {reader(f).format(path=path)}"
        )
    return "\nunion all by name\n".join(parts)


def _event_reader(f: LandedFile) -> str:
    # One VARCHAR column, no quoting: every line arrives as its raw text, with
    # its line number, whatever it holds (blank lines come back as null).
    return (
        "read_csv('{path}', columns = {{'line': 'VARCHAR'}}, header = false, quote = '', escape = '', "
        "delim = '\x01', auto_detect = false, compression = 'auto')"
    )


def _table_reader(f: LandedFile) -> str:
    if f.format == "csv":
        return "read_csv('{path}', all_varchar = true, header = true)"
    if f.format == "parquet":
        return "read_parquet('{path}')"
    return "read_json('{path}', format = 'newline_delimited')"


def _files_table(con: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> None:
    con.execute("create or replace temp table batch_files (_file_idx integer, _file varchar)")
    con.executemany("insert into batch_files values (?, ?)", [[i, f.relative_path] for i, f in enumerate(files)])


def _load_event_batch(con: duckdb.DuckDBPyConnection, files: list[LandedFile], load_id: int, loaded_at):
    _files_table(con, files)
    con.execute(f"create or replace temp table event_lines as {_union_of_reads(files, _event_reader)}")
    paths = "[" + ", ".join(f"'{p}'" for p in EVENT_PATHS) + "]"
    types = "(" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + ")"
    con.execute(
        f"""
        create or replace temp table event_checked as
        with parsed as (
            select
                _file_idx,
                _line,
                line,
                json_valid(line) as is_json,
                -- case, not and: json_type must never see an invalid document
                case when json_valid(line) then json_type(line) = 'OBJECT' else false end as is_object
            from event_lines
            where line is not null and trim(line) <> ''
        ),
        extracted as (
            select *, case when is_object then json_extract_string(line, {paths}) end as fields
            from parsed
        ),
        typed as (
            select
                _file_idx,
                _line,
                line,
                is_json,
                is_object,
                fields[1] as message_id,
                fields[2] as type,
                fields[3] as event,
                fields[4] as timestamp_text,
                try_cast(fields[4] as timestamptz) at time zone 'UTC' as event_at,
                try_cast(fields[5] as timestamptz) at time zone 'UTC' as received_at,
                fields[6] as anonymous_id,
                fields[7] as user_id
            from extracted
        )
        , checked as (
        select
            *,
            case
                when not is_json then 'invalid JSON'
                when not is_object then 'not a JSON object'
                when nullif(message_id, '') is null then 'missing messageId'
                when nullif(type, '') is null then 'missing type'
                when type not in {types} then 'unknown type ' || type
                when nullif(timestamp_text, '') is null then 'missing timestamp'
                when event_at is null then 'unparseable timestamp'
                when nullif(anonymous_id, '') is null and nullif(user_id, '') is null
                    then 'missing anonymousId and userId'
                when type = 'track' and nullif(event, '') is null then 'track without event'
                when event_at > ?::timestamp + interval 1 day then 'timestamp more than a day in the future'
            end as reason
        from typed
        )
        select
            *,
            reason is null and row_number() over (
                partition by reason is null, message_id order by _file_idx, _line) > 1 as is_repeat_in_batch
        from checked
        """,
        [loaded_at],
    )
    # Counted before the insert, so "seen before" means earlier batches and loads.
    stats = con.execute(
        """
        select
            c._file_idx,
            count(*) filter (where c.reason is null),
            count(*) filter (where c.reason is not null),
            count(*) filter (where c.reason is null and (c.is_repeat_in_batch or exists (
                select 1 from raw.events as e where e.message_id = c.message_id)))
        from event_checked as c
        group by c._file_idx
        """,
    ).fetchall()
    con.execute(
        """
        insert into raw.events
        select c.message_id, c.type, c.event, c.event_at, c.received_at, nullif(c.anonymous_id, ''),
               nullif(c.user_id, ''), c.line::json, f._file, c._line, ?, ?
        from event_checked as c
        inner join batch_files as f on f._file_idx = c._file_idx
        where c.reason is null
        """,
        [load_id, loaded_at],
    )
    con.execute(
        """
        insert into raw.events_rejected
        select c.line, c.reason, f._file, c._line, ?, ?
        from event_checked as c
        inner join batch_files as f on f._file_idx = c._file_idx
        where c.reason is not null
        """,
        [load_id, loaded_at],
    )
    return stats


def _check(column: Column, present: set[str]) -> list[str]:
    """SQL `when` branches that reject a row for this column; the first failure wins."""
    name = column.name
    if name not in present:
        return [f"when true then 'missing {name}'"] if column.required else []
    value = f"nullif(trim({name}), '')"
    checks = []
    if column.required:
        checks.append(f"when {value} is null then 'missing {name}'")
    cast = {
        "timestamp": f"try_cast({value} as timestamptz)",
        "date": f"try_cast({value} as date)",
        "decimal": f"try_cast({value} as decimal(18, 4))",
        # try_cast('1.5' as bigint) rounds to 2: integers must look like integers.
        "integer": f"case when regexp_full_match({value}, '[+-]?[0-9]+') then try_cast({value} as bigint) end",
        "boolean": f"try_cast({value} as boolean)",
    }.get(column.type)
    if cast:
        checks.append(f"when {value} is not null and {cast} is null then 'unparseable {name}'")
    if column.minimum == 0 and column.maximum is None:
        checks.append(f"when {cast} < 0 then 'negative {name}'")
    elif column.minimum is not None or column.maximum is not None:
        low = column.minimum if column.minimum is not None else "-1e18"
        high = column.maximum if column.maximum is not None else "1e18"
        checks.append(f"when {cast} not between {low} and {high} then '{name} out of range'")
    return checks


def _load_table_batch(
    con: duckdb.DuckDBPyConnection, contract: TableContract, files: list[LandedFile], load_id: int, loaded_at
):
    _files_table(con, files)
    # CSV data starts on line 2, after the header.
    con.execute(f"create or replace temp table table_rows as {_union_of_reads(files, _table_reader, line_offset=1)}")
    present = {name for (name,) in con.execute("select name from pragma_table_info('table_rows')").fetchall()}
    present -= {"_file_idx", "_line"}
    existing = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [contract.source],
        ).fetchall()
    }
    for extra in sorted(present - existing):
        # Extra columns are kept: the raw table grows a text column for them.
        con.execute(f'alter table raw.{contract.source} add column "{extra}" varchar')
    branches = [b for c in contract.columns for b in _check(c, present)]
    reason = "case " + " ".join(branches) + " end" if branches else "null::varchar"
    key_cols = [k for k in contract.key if k in present]
    partition = ", ".join(["_reason is null", *key_cols])
    con.execute(
        f"""
        create or replace temp table table_checked as
        with checked as (
            select *, {reason} as _reason from table_rows
        )
        select
            *,
            _reason is null and row_number() over (partition by {partition} order by _file_idx, _line) > 1
                as _is_repeat_in_batch
        from checked
        """
    )
    key = " and ".join(f"r.{k} = c.{k}" for k in key_cols) or "false"
    # Counted before the insert: a restatement is a row whose key was loaded before.
    stats = con.execute(
        f"""
        select
            c._file_idx,
            count(*) filter (where c._reason is null),
            count(*) filter (where c._reason is not null),
            count(*) filter (where c._reason is null and (c._is_repeat_in_batch
                or exists (select 1 from raw.{contract.source} as r where {key})))
        from table_checked as c
        group by c._file_idx
        """
    ).fetchall()
    names = sorted(present)
    cleaned = ", ".join(f'nullif(trim(c."{n}"), \'\') as "{n}"' for n in names)
    con.execute(
        f"""
        insert into raw.{contract.source} by name
        select {cleaned}, f._file as _file, c._line as _line, ? as _load_id, ? as _loaded_at
        from table_checked as c
        inner join batch_files as f on f._file_idx = c._file_idx
        where c._reason is null
        """,
        [load_id, loaded_at],
    )
    record = ", ".join(f'c."{n}"' for n in names)
    con.execute(
        f"""
        insert into raw.{contract.source}_rejected
        select to_json(struct_pack({record}))::varchar, c._reason, f._file, c._line, ?, ?
        from table_checked as c
        inner join batch_files as f on f._file_idx = c._file_idx
        where c._reason is not null
        """,
        [load_id, loaded_at],
    )
    return stats


def _load_batch(con, source: str, batch: list[tuple[LandedFile, str]], load_id: int) -> list[tuple[int, int, int]]:
    """Loads a batch in one transaction; returns (loaded, rejected, duplicates) per file."""
    files = [f for f, _ in batch]
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("begin transaction")
    try:
        if source == EVENT_SOURCE:
            rows = _load_event_batch(con, files, load_id, loaded_at)
        else:
            rows = _load_table_batch(con, TABLES[source], files, load_id, loaded_at)
        per_file = {idx: (loaded, rejected, dups) for idx, loaded, rejected, dups in rows}
        results = [per_file.get(i, (0, 0, 0)) for i in range(len(files))]
        for (f, digest), (loaded, rejected, dups) in zip(batch, results, strict=True):
            _log(con, f, digest, load_id, loaded_at, loaded, rejected, dups, None)
        con.execute("commit")
        return results
    except duckdb.Error as exc:
        con.execute("rollback")
        if len(batch) > 1:
            # Find the unreadable file(s): load the batch again one file at a time.
            return [r for item in batch for r in _load_batch(con, source, [item], load_id)]
        # An unreadable file is quarantined whole, with the reader's message,
        # and the run goes on; a fixed file (new checksum) loads as a new version.
        f, digest = batch[0]
        message = f"unreadable file: {str(exc).splitlines()[0]}"
        con.execute("begin transaction")
        con.execute(
            f"insert into raw.{source}_rejected values (null, ?, ?, null, ?, ?)",
            [message, f.relative_path, load_id, loaded_at],
        )
        _log(con, f, digest, load_id, loaded_at, 0, 1, 0, message)
        con.execute("commit")
        return [(0, 1, 0)]


def load_source(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    source: str,
    load_id: int,
    progress: Callable[[str], None] = lambda _: None,
    batch_size: int = 200,
) -> SourceStats:
    stats = SourceStats(source)
    files = discover(landing_dir, source)
    todo = files_to_load(con, files)
    stats.files_skipped = len(files) - len(todo)
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        for loaded, rejected, dups in _load_batch(con, source, batch, load_id):
            stats.files_loaded += 1
            stats.rows_loaded += loaded
            stats.rows_rejected += rejected
            stats.duplicate_rows += dups
        progress(
            f"{source}: {start + len(batch)}/{len(todo)} new files, {stats.rows_loaded:,} rows, "
            f"{stats.rows_rejected:,} rejected"
        )
    return stats


def connect(warehouse: Path, memory_limit: str = "4GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), config={"memory_limit": memory_limit, "threads": threads})
    con.execute("set TimeZone = 'UTC'")
    return con
