"""Shop tables: CSV, Parquet and NDJSON rows into raw.<source>, bad rows into raw.<source>_rejected.

Raw tables keep the landed text of every column (union by name): the
contract's columns first, and any extra column a file brings is added as a
text column when it first appears, so a new column in a later file breaks
nothing. Staging casts the text; the checks here make sure it can.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.loading.contract import Column, TableContract, blank_as_null
from orchestration.loading.discovery import LandedFile
from orchestration.loading.readers import table_rows_sql, union_sql

META_COLUMNS = "_file varchar, _line bigint, _load_id bigint, _loaded_at timestamp"


def raw_table_ddl(contract: TableContract) -> str:
    columns = ", ".join(f"{c.name} varchar" for c in contract.columns)
    return f"create table if not exists raw.{contract.source} ({columns}, {META_COLUMNS})"


def file_columns(con: duckdb.DuckDBPyConnection, f: LandedFile) -> list[str]:
    return [d[0] for d in con.execute(f"select * from ({table_rows_sql(f)}) limit 0").description if d[0] != "_line"]


def header_problem(contract: TableContract, columns: list[str]) -> str | None:
    """A file with none of the required columns is rejected whole: most likely a CSV without its header."""
    required = [c.name for c in contract.columns if c.required]
    if not set(required) & set(columns):
        return f"none of the required columns ({', '.join(required)}) in the header; found: {', '.join(columns[:8])}"
    return None


def _check(column: Column, present: set[str]) -> list[str]:
    """SQL `when` branches that reject a row for this column; the first failure wins."""
    name = column.name
    if name not in present:
        return [f"when true then 'missing {name}'"] if column.required else []
    value = blank_as_null(name)
    checks = []
    if column.required:
        checks.append(f"when {value} is null then 'missing {name}'")
    cast = {
        "timestamp": f"try_cast({value} as timestamptz)",
        "date": f"try_cast({value} as date)",
        "decimal": f"try_cast({value} as decimal(18, 4))",
        # a rate such as 0.0000612 (USD per IDR) keeps its digits
        "double": f"try_cast({value} as double)",
        # try_cast('1.5' as bigint) rounds to 2: integers must look like integers.
        "integer": f"case when regexp_full_match({value}, '[+-]?[0-9]+') then try_cast({value} as bigint) end",
        "boolean": f"try_cast({value} as boolean)",
    }.get(column.type)
    if column.pattern:
        checks.append(
            f"when {value} is not null and not regexp_full_match({value}, '{column.pattern}') then 'invalid {name}'"
        )
    if cast:
        checks.append(f"when {value} is not null and {cast} is null then 'unparseable {name}'")
    if column.positive:
        checks.append(f"when not ({cast} > 0 and isfinite({cast})) then '{name} not positive'")
    if column.minimum == 0 and column.maximum is None:
        checks.append(f"when {cast} < 0 then 'negative {name}'")
    elif column.minimum is not None or column.maximum is not None:
        low = column.minimum if column.minimum is not None else "-1e18"
        high = column.maximum if column.maximum is not None else "1e18"
        checks.append(f"when {cast} not between {low} and {high} then '{name} out of range'")
    return checks


def load_table_files(
    con: duckdb.DuckDBPyConnection,
    contract: TableContract,
    files: list[LandedFile],
    load_id: int,
    loaded_at: dt.datetime,
) -> list[tuple[int, int, int, int]]:
    """Loads one batch (files already screened by header_problem); returns per-file counts."""
    source = contract.source
    con.execute(f"create or replace temp table table_rows as {union_sql(files, table_rows_sql)}")
    present = {name for (name,) in con.execute("select name from pragma_table_info('table_rows')").fetchall()}
    present -= {"_file_idx", "_line"}
    existing = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [source],
        ).fetchall()
    }
    for extra in sorted(present - existing):
        con.execute(f'alter table raw.{source} add column "{extra}" varchar')
    branches = [b for c in contract.columns for b in _check(c, present)]
    reason = "case " + " ".join(branches) + " end" if branches else "null::varchar"
    key_cols = [k for k in contract.key if k in present]
    con.execute(f"create or replace temp table table_checked as select *, {reason} as _reason from table_rows")
    key_list = ", ".join(key_cols) or "null"
    key_match = " and ".join(f"r.{k} = a.{k}" for k in key_cols) or "false"
    # A restatement (duplicate row) is an accepted row whose key was loaded
    # before, in raw or earlier in this batch.
    stats = con.execute(
        f"""
        with accepted as (
            select
                _file_idx,
                {key_list},
                row_number() over (partition by {key_list} order by _file_idx, _line) > 1 as is_repeat
            from table_checked
            where _reason is null
        ),
        duplicates as (
            select _file_idx, count(*) as duplicate_rows
            from accepted as a
            where a.is_repeat or exists (select 1 from raw.{source} as r where {key_match})
            group by _file_idx
        ),
        counts as (
            select
                _file_idx,
                count(*) filter (where _reason is null) as rows_loaded,
                count(*) filter (where _reason is not null) as rows_rejected
            from table_checked
            group by _file_idx
        )
        select counts._file_idx, counts.rows_loaded, counts.rows_rejected, coalesce(duplicates.duplicate_rows, 0)
        from counts
        left join duplicates on duplicates._file_idx = counts._file_idx
        """
    ).fetchall()
    names = sorted(present)
    cleaned = ", ".join(blank_as_null(f'c."{n}"') + f' as "{n}"' for n in names)
    con.execute(
        f"""
        insert into raw.{source} by name
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
        insert into raw.{source}_rejected
        select to_json(struct_pack({record}))::varchar, c._reason, f._file, c._line, ?, ?
        from table_checked as c
        inner join batch_files as f on f._file_idx = c._file_idx
        where c._reason is not null
        """,
        [load_id, loaded_at],
    )
    con.execute("drop table table_rows")
    con.execute("drop table table_checked")
    return stats
