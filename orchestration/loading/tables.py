"""Shop tables: CSV, Parquet and NDJSON rows into raw.<source>, bad rows into raw.<source>_rejected.

Raw tables keep the landed text of every column (union by name), trimmed,
and a date column's date as ISO text (one spelling per key): the contract's
columns first, and any extra column a file brings is added as a text column
when it first appears, under a name stored_names gives it, so a new column in
a later file, whatever its name, breaks nothing. Staging casts the text; the
checks here make sure it can, so one bad row never fails a staging test.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.loading.contract import Column, TableContract, blank_as_null
from orchestration.loading.discovery import LandedFile
from orchestration.loading.readers import FileLayout, quote_identifier, table_rows_sql, union_sql

META_COLUMNS = "_file varchar, _line bigint, _load_id bigint, _loaded_at timestamp"
# What a landed name that starts with the loader's prefix `_` is stored under: `_file` -> `landed_file`.
LANDED_PREFIX = "landed"
# C0 control characters: never text in a key; tab and line breaks are text elsewhere (a quoted CSV
# field may span lines). RE2 reads the \x escapes.
KEY_CONTROLS = "[\\x00-\\x1f]"
TEXT_CONTROLS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"
# A date written as a date alone; anything more is a time part, accepted only at midnight.
DATE_ONLY = "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
INT32_MAX = 2**31 - 1


def raw_table_ddl(contract: TableContract) -> str:
    columns = ", ".join(f"{c.name} varchar" for c in contract.columns)
    return f"create table if not exists raw.{contract.source} ({columns}, {META_COLUMNS})"


def raw_columns(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
            "order by ordinal_position",
            [source],
        ).fetchall()
    ]


def _clean_name(name: str, position: int) -> str:
    # a control character in a name is replaced; surrounding space means nothing; a double quote is
    # dropped: DuckDB takes it (escaped), but dbt's unit tests write every raw column name unescaped
    # into their SQL, so one `size "EU"` column stopped every later dbt build
    cleaned = "".join("_" if ord(ch) < 32 else ch for ch in name if ch != '"').strip()
    if not cleaned:
        return f"column{position}"
    return LANDED_PREFIX + cleaned if cleaned.startswith("_") else cleaned


def stored_names(landed: list[str], known: list[str]) -> list[str]:
    """The raw column each landed column is stored in (the rule is in landing-contract.md, Column names):

    - a name that starts with `_`, the loader's prefix (`_file`, `_line`, `_load_id`, `_loaded_at`),
      gets `landed` in front: `_file` -> `landed_file`; double quotes are dropped (`size "EU"` ->
      `size EU`), control characters become `_`, surrounding space is dropped, an empty name is
      `column<position>`;
    - names are case-blind, as SQL's are: a name equal but for case to a column raw already has (the
      contract's, or an extra from an earlier file) takes that column's spelling (`ORDER_ID` is
      `order_id`);
    - a name that repeats within the file after this takes `_2`, `_3`, ... (the first free one).
    """
    spelling = {k.lower(): k for k in known}
    taken: set[str] = set()
    names = []
    for position, raw_name in enumerate(landed, start=1):
        base = _clean_name(raw_name, position)
        base = spelling.get(base.lower(), base)
        name, suffix = base, 1
        while name.lower() in taken:
            suffix += 1
            name = f"{base}_{suffix}"
        taken.add(name.lower())
        names.append(spelling.get(name.lower(), name))
    return names


def header_problem(contract: TableContract, columns: list[str]) -> str | None:
    """A file with none of the required columns is rejected whole: most likely a CSV without its header."""
    required = [c.name for c in contract.columns if c.required]
    if not set(required) & set(columns):
        return f"none of the required columns ({', '.join(required)}) in the header; found: {', '.join(columns[:8])}"
    return None


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _control_check(name: str, is_key: bool) -> str:
    """A `when` branch rejecting a row whose text holds a control character, naming it (U+0000 ...)."""
    value = blank_as_null(quote_identifier(name)) if is_key else quote_identifier(name)
    pattern = KEY_CONTROLS if is_key else TEXT_CONTROLS
    return (
        f"when regexp_matches({value}, '{pattern}') then "
        f"printf('control character U+%04X in %s', unicode(regexp_extract({value}, '{pattern}')), {_sql_text(name)})"
    )


def _date_value(value: str) -> str:
    """The date a date column's text names: ISO text, so two spellings of one day are one key."""
    return f"strftime(try_cast({value} as date), '%Y-%m-%d')"


def _check(column: Column, present: set[str]) -> list[str]:
    """SQL `when` branches that reject a row for this column; the first failure wins."""
    name = column.name
    if name not in present:
        return [f"when true then 'missing {name}'"] if column.required else []
    value = blank_as_null(quote_identifier(name))
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
    if column.type == "date":
        # A datetime at midnight (a spreadsheet's or a Parquet timestamp's way to write a day) is that
        # day; another time of day means the row is not one day's (an hourly export): rejected, as
        # keeping only the day's last row would silently drop the others.
        checks.append(
            f"when {value} is not null and not regexp_full_match({value}, '{DATE_ONLY}') "
            f"and coalesce(cast(try_cast({value} as timestamp) as time) <> time '00:00:00', true) "
            f"then printf('%s has a time of day (%s): a daily key takes a date', {_sql_text(name)}, {value})"
        )
    if column.int32:
        checks.append(f"when {cast} > {INT32_MAX} then '{name} too large (above {INT32_MAX})'")
    if column.positive:
        checks.append(f"when not ({cast} > 0 and isfinite({cast})) then '{name} not positive'")
    if column.minimum == 0 and column.maximum is None:
        checks.append(f"when {cast} < 0 then 'negative {name}'")
    elif column.minimum is not None or column.maximum is not None:
        low = column.minimum if column.minimum is not None else "-1e18"
        high = column.maximum if column.maximum is not None else "1e18"
        checks.append(f"when {cast} not between {low} and {high} then '{name} out of range'")
    return checks


def _stored_value(name: str, contract: TableContract, alias: str = "c.") -> str:
    """What raw keeps of a landed value: trimmed text, blank as null; a date column's date as ISO text."""
    value = blank_as_null(f"{alias}{quote_identifier(name)}")
    types = {c.name: c.type for c in contract.columns}
    return _date_value(value) if types.get(name) == "date" else value


def load_table_files(
    con: duckdb.DuckDBPyConnection,
    contract: TableContract,
    files: list[LandedFile],
    names: dict[str, list[str]],
    layouts: dict[str, FileLayout],
    load_id: int,
    loaded_at: dt.datetime,
) -> list[tuple[int, int, int, int]]:
    """Loads one batch (files already screened by header_problem; `names` maps each file's path to its
    stored column names, stored_names, and to its layout, read once: readers.table_file_layout); returns
    per-file counts."""
    source = contract.source
    scans = [table_rows_sql(layouts[f.relative_path], names[f.relative_path]) for f in files]
    con.execute(f"create or replace temp table table_rows as {union_sql(scans)}")
    present = {name for (name,) in con.execute("select name from pragma_table_info('table_rows')").fetchall()}
    present -= {"_file_idx", "_line"}
    existing = {name.lower() for name in raw_columns(con, source)}
    for extra in sorted(n for n in present if n.lower() not in existing):
        con.execute(f"alter table raw.{source} add column {quote_identifier(extra)} varchar")
    # control characters first: a key such as 'T11<NUL>X' is named for what it is, not parsed further
    controls = [_control_check(n, n in contract.key) for n in sorted(present)]
    branches = controls + [b for c in contract.columns for b in _check(c, present)]
    reason = "case " + " ".join(branches) + " end" if branches else "null::varchar"
    key_cols = [k for k in contract.key if k in present]
    # each key as raw stores it (a date as ISO text), so a restatement in another spelling is counted
    stored_keys = "".join(
        f", {_stored_value(k, contract, alias='table_rows.')} as _key{i}" for i, k in enumerate(key_cols)
    )
    con.execute(
        f"create or replace temp table table_checked as select *, {reason} as _reason{stored_keys} from table_rows"
    )
    key_list = ", ".join(f"_key{i}" for i in range(len(key_cols))) or "null"
    key_match = " and ".join(f"r.{quote_identifier(k)} = a._key{i}" for i, k in enumerate(key_cols)) or "false"
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
    columns = sorted(present)
    cleaned = ", ".join(f"{_stored_value(n, contract)} as {quote_identifier(n)}" for n in columns)
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
    record = ", ".join(f"c.{quote_identifier(n)}" for n in columns)
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
