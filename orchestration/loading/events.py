"""Events: Segment JSON lines into raw.events, bad lines into raw.events_rejected.

Each line is parsed once, here: the fields staging needs come out of one
`json_extract_string` call over a list of paths (per-field `->>` calls
re-parse the document each time) and land as typed and text columns, so no
model parses JSON again. The whole line is not stored: the landing folder
keeps it, and the rest of the message (context.ip, traits, integrations) is
what a model never reads; it cost 5x the warehouse's size and half the load
time at 1M events.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.loading.contract import EVENT_TYPES, blank_as_null
from orchestration.loading.discovery import LandedFile
from orchestration.loading.readers import event_batch_lines_sql

# What validation needs, and what becomes the typed columns of raw.events.
CORE_PATHS = (
    "$.messageId",
    "$.type",
    "$.event",
    "$.timestamp",
    "$.receivedAt",
    "$.anonymousId",
    "$.userId",
    "$.originalTimestamp",
    "$.sentAt",
)

# Text fields stored as landed (trimmed, blank as null): staging types,
# coalesces and renames them. (column, JSON path); `properties` is the
# object's JSON text.
TEXT_FIELDS = (
    ("previous_id", "$.previousId"),
    ("message_channel", "$.channel"),
    ("screen_name", "$.name"),
    ("page_path", "$.context.page.path"),
    ("page_url", "$.context.page.url"),
    ("page_referrer", "$.context.page.referrer"),
    ("page_title", "$.context.page.title"),
    ("utm_source", "$.context.campaign.source"),
    ("utm_medium", "$.context.campaign.medium"),
    ("utm_campaign", "$.context.campaign.name"),
    ("user_agent", "$.context.userAgent"),
    ("device_type", "$.context.device.type"),
    ("device_model", "$.context.device.model"),
    ("os_name", "$.context.os.name"),
    ("library_name", "$.context.library.name"),
    ("library_version", "$.context.library.version"),
    ("properties_path", "$.properties.path"),
    ("properties_url", "$.properties.url"),
    ("properties_referrer", "$.properties.referrer"),
    ("properties_title", "$.properties.title"),
    ("product_id", "$.properties.product_id"),
    ("v1_product_id", "$.properties.id"),
    ("sku", "$.properties.sku"),
    ("price", "$.properties.price"),
    ("quantity", "$.properties.quantity"),
    ("order_id", "$.properties.order_id"),
    ("v1_order_id", "$.properties.orderId"),
    ("revenue", "$.properties.revenue"),
    ("total", "$.properties.total"),
    ("discount", "$.properties.discount"),
    ("currency", "$.properties.currency"),
    ("properties", "$.properties"),
)
TEXT_COLUMNS = tuple(name for name, _ in TEXT_FIELDS)

RAW_EVENTS_DDL = f"""
    create table if not exists raw.events (
        message_id varchar, type varchar, event varchar, event_at timestamp, received_at timestamp,
        anonymous_id varchar, user_id varchar,
        {", ".join(f"{name} varchar" for name in TEXT_COLUMNS)},
        _file varchar, _line bigint, _load_id bigint, _loaded_at timestamp
    )
"""


def _field(position: int) -> str:
    """Field `position` (1-based) of the extracted list, trimmed; "" and whitespace-only mean absent, as
    the empty `document.referrer` that analytics.js forwards does."""
    return blank_as_null(f"fields[{position}]")


def _parsed(column: str) -> str:
    return f"try_cast({column} as timestamptz) at time zone 'UTC'"


def _all_paths() -> str:
    return "[" + ", ".join(f"'{p}'" for p in (*CORE_PATHS, *(path for _, path in TEXT_FIELDS))) + "]"


def upgrade_raw_events(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Upgrades a raw.events made before the text columns existed (it kept the whole line in `message`):
    adds the columns, fills them from `message` with the extraction a load runs, and drops `message`.
    One parse of the stored lines, once, in one transaction; returns the columns it added."""
    present = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'events'"
        ).fetchall()
    }
    if "message" not in present:
        return []
    missing = [name for name in TEXT_COLUMNS if name not in present]
    positions = {name: len(CORE_PATHS) + index + 1 for index, name in enumerate(TEXT_COLUMNS)}
    con.execute("begin transaction")
    try:
        for name in missing:
            con.execute(f"alter table raw.events add column {name} varchar")
        if missing:
            con.execute(
                f"""
                update raw.events set {", ".join(f"{name} = {_field(positions[name])}" for name in missing)}
                from (
                    select rowid as row_ref, json_extract_string(message, {_all_paths()}) as fields
                    from raw.events
                ) as extracted
                where extracted.row_ref = raw.events.rowid
                """
            )
        con.execute("alter table raw.events drop column message")
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise
    return missing


def _checked_rows_sql(files: list[LandedFile], accepted_pass: bool) -> str:
    """Every non-blank line of the batch, numbered in its file, with its extracted fields and the reason it
    is rejected (null when accepted). Placeholders $loaded_at, $load_id. The quarantine pass
    (accepted_pass false) checks only the lines the accepted pass did not load, and extracts only what
    the checks read: it parses no accepted line again."""
    text_fields = accepted_pass
    types = "(" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + ")"
    paths = _all_paths() if text_fields else "[" + ", ".join(f"'{p}'" for p in CORE_PATHS) + "]"
    text_columns = "".join(
        f",\n                {_field(len(CORE_PATHS) + index + 1)} as {name}" for index, name in enumerate(TEXT_COLUMNS)
    )
    # Lines are numbered in the scan (it keeps insertion order); a file's
    # first line number in the batch gives its offset. `lines` is read twice,
    # so DuckDB materializes it for this statement only: nothing outlives it.
    return f"""
        with lines as materialized (
            {event_batch_lines_sql(files)}
        ),
        file_starts as (
            select _path, min(_batch_line) - 1 as lines_before
            from lines
            group by _path
        ),
        parsed as (
            select
                batch_files._file,
                lines._batch_line - file_starts.lines_before as _line,
                lines.line,
                json_valid(lines.line) as is_json
            from lines
            inner join file_starts on file_starts._path = lines._path
            inner join batch_files on batch_files._path = lines._path
            {"" if accepted_pass else _NOT_LOADED}
            -- blank lines are skipped; trim() (spaces and Unicode white space, not tabs) only for a
            -- line that does not start with printable ASCII: trimming every 700-byte line was a
            -- quarter of the load's CPU
            where lines.line is not null
                and case when ascii(lines.line) between 33 and 126 then true else trim(lines.line) <> '' end
        ),
        extracted as (
            select
                *,
                -- a valid document that starts with '{{' is an object: no json_type parse needed
                is_json and starts_with(ltrim(line), '{{') as is_object,
                -- case, not a filter: json_extract_string must never see an invalid document
                case when is_json and starts_with(ltrim(line), '{{') then json_extract_string(line, {paths}) end
                    as fields
            from parsed
        ),
        -- each field cleaned once (blank as null), then each timestamp parsed once
        cleaned as (
            select
                _file,
                _line,
                line,
                is_json,
                is_object,
                {_field(1)} as message_id,
                lower({_field(2)}) as type,
                {_field(3)} as event,
                {_field(4)} as timestamp_text,
                {_field(5)} as received_at_text,
                {_field(6)} as anonymous_id,
                {_field(7)} as user_id,
                {_field(8)} as original_timestamp_text,
                {_field(9)} as sent_at_text{text_columns if text_fields else ""}
            from extracted
        ),
        typed as (
            select
                * exclude (timestamp_text, received_at_text, original_timestamp_text, sent_at_text),
                coalesce(timestamp_text, original_timestamp_text) as timestamp_text,
                -- Segment's rule: `timestamp` as sent (an export's is already corrected for
                -- clock skew); without it, the device's originalTimestamp corrected by
                -- receivedAt - (sentAt - originalTimestamp), or as it is without sentAt or receivedAt.
                -- The casts sit in the branches: DuckDB evaluates a branch only for its rows.
                case
                    when timestamp_text is not null then {_parsed("timestamp_text")}
                    when received_at_text is not null and {_parsed("received_at_text")} is not null
                         and {_parsed("sent_at_text")} is not null
                        then {_parsed("received_at_text")}
                             - ({_parsed("sent_at_text")} - {_parsed("original_timestamp_text")})
                    else {_parsed("original_timestamp_text")}
                end as event_at,
                {_parsed("received_at_text")} as received_at
            from cleaned
        )
        select
            * exclude (timestamp_text, is_json, is_object),
            case
                when not is_json then 'invalid JSON'
                when not is_object then 'not a JSON object'
                when message_id is null then 'missing messageId'
                when type is null then 'missing type'
                when type not in {types} then 'unknown type ' || type
                when timestamp_text is null then 'missing timestamp'
                when event_at is null then 'unparseable timestamp'
                when anonymous_id is null and user_id is null then 'missing anonymousId and userId'
                when type = 'track' and event is null then 'track without event'
                when event_at > $loaded_at::timestamp + interval 1 day then 'timestamp more than a day after the load'
            end as reason
        from typed
    """


_NOT_LOADED = """
            anti join (
                -- this batch's rows only: every row of the load, rebuilt as a hash table in each
                -- batch, made a load quadratic in its batches
                select _file, _line from raw.events
                where _load_id = $load_id and _file in (select _file from batch_files)
            ) as loaded
                on loaded._file = batch_files._file
                and loaded._line = lines._batch_line - file_starts.lines_before"""


def load_event_files(
    con: duckdb.DuckDBPyConnection, files: list[LandedFile], load_id: int, loaded_at: dt.datetime
) -> tuple[int, int]:
    """Loads one batch (table batch_files names its files); returns (rows loaded, rows rejected).

    Two streaming statements, no intermediate table: accepted lines go from
    the reader straight into raw.events; then a second scan of the text sends
    the lines it did not load, checked again, to the quarantine. A temp
    table of the checked batch, dropped inside the load's transaction, kept
    its memory until the commit: every batch of a load stayed in memory (650
    MB per million events, out of memory at 5M under a 2 GB limit)."""
    parameters = {"loaded_at": loaded_at, "load_id": load_id}
    (loaded,) = con.execute(
        f"""
        insert into raw.events by name
        select
            * exclude (line, reason),
            $load_id as _load_id,
            $loaded_at as _loaded_at
        from ({_checked_rows_sql(files, accepted_pass=True)})
        where reason is null
        """,
        parameters,
    ).fetchone()
    (rejected,) = con.execute(
        f"""
        insert into raw.events_rejected
        select line, reason, _file, _line, $load_id, $loaded_at
        from ({_checked_rows_sql(files, accepted_pass=False)})
        where reason is not null
        """,
        parameters,
    ).fetchone()
    return loaded, rejected


def event_counts_per_file(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, tuple[int, int, int]]:
    """(rows loaded, rows rejected, duplicate rows) per file of this load, from what it wrote."""
    loaded = dict(
        con.execute("select _file, count(*) from raw.events where _load_id = ? group by _file", [load_id]).fetchall()
    )
    rejected = dict(
        con.execute(
            "select _file, count(*) from raw.events_rejected where _load_id = ? group by _file", [load_id]
        ).fetchall()
    )
    duplicates = event_duplicates_per_file(con, load_id)
    return {
        path: (loaded.get(path, 0), rejected.get(path, 0), duplicates.get(path, 0))
        for path in loaded.keys() | rejected.keys()
    }


def event_duplicates_per_file(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, int]:
    """Rows of this load whose messageId was loaded before: in an earlier load, or earlier in this one
    (files in path order, then lines). Keys only, one pass over the load and one over the stored ids."""
    rows = con.execute(
        """
        with this_load as (
            select _file, _line, message_id from raw.events where _load_id = $load_id
        ),
        repeats as (
            select
                _file,
                message_id,
                row_number() over (partition by message_id order by _file, _line) > 1 as is_repeat
            from this_load
        ),
        seen_before as (
            select distinct this_load.message_id
            from this_load
            semi join (select message_id from raw.events where _load_id <> $load_id) as stored
                on stored.message_id = this_load.message_id
        )
        select repeats._file, count(*)
        from repeats
        left join seen_before on seen_before.message_id = repeats.message_id
        where repeats.is_repeat or seen_before.message_id is not null
        group by repeats._file
        """,
        {"load_id": load_id},
    ).fetchall()
    return dict(rows)
