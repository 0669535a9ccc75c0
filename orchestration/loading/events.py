"""Events: Segment JSON lines into raw.events, bad lines into raw.events_rejected."""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.loading.contract import EVENT_TYPES, blank_as_null
from orchestration.loading.discovery import LandedFile
from orchestration.loading.readers import event_batch_lines_sql

# One extraction of all paths per line: per-field `->>` calls re-parse the document each time.
EVENT_PATHS = (
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


def _text(position: int) -> str:
    """Field `position` of EVENT_PATHS, trimmed; "" and whitespace-only mean absent, as the empty
    `document.referrer` that analytics.js forwards does."""
    return blank_as_null(f"fields[{position}]")


def _timestamp(position: int) -> str:
    return f"try_cast({_text(position)} as timestamptz) at time zone 'UTC'"


RAW_EVENTS_DDL = """
    create table if not exists raw.events (
        message_id varchar, type varchar, event varchar, event_at timestamp, received_at timestamp,
        anonymous_id varchar, user_id varchar,
        -- the whole line, validated JSON text (varchar: a second JSON cast of every line costs ~2 s per 1M)
        message varchar,
        _file varchar, _line bigint, _load_id bigint, _loaded_at timestamp
    )
"""


def load_event_files(
    con: duckdb.DuckDBPyConnection, files: list[LandedFile], load_id: int, loaded_at: dt.datetime
) -> list[tuple[int, int, int, int]]:
    """Loads one batch; returns (file index, rows loaded, rows rejected, duplicate rows) per file."""
    paths = "[" + ", ".join(f"'{p}'" for p in EVENT_PATHS) + "]"
    types = "(" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + ")"
    con.execute(f"create or replace temp table event_lines as {event_batch_lines_sql(files)}")
    con.execute(
        f"""
        create or replace temp table event_checked as
        with file_starts as (
            select _path, min(_batch_line) - 1 as lines_before
            from event_lines
            group by _path
        ),
        lines as (
            select
                batch_files._file_idx,
                event_lines._batch_line - file_starts.lines_before as _line,
                event_lines.line
            from event_lines
            inner join file_starts on file_starts._path = event_lines._path
            inner join batch_files on batch_files._path = event_lines._path
        ),
        parsed as (
            select
                _file_idx,
                _line,
                line,
                json_valid(line) as is_json
            from lines
            where line is not null and trim(line) <> ''
        ),
        extracted as (
            select
                _file_idx,
                _line,
                line,
                is_json,
                -- a valid document that starts with '{{' is an object: no json_type parse needed
                is_json and starts_with(ltrim(line), '{{') as is_object,
                -- case, not a filter: json_extract_string must never see an invalid document
                case when is_json and starts_with(ltrim(line), '{{') then json_extract_string(line, {paths}) end
                    as fields
            from parsed
        ),
        typed as (
            select
                _file_idx,
                _line,
                line,
                is_json,
                is_object,
                {_text(1)} as message_id,
                lower({_text(2)}) as type,
                {_text(3)} as event,
                coalesce({_text(4)}, {_text(8)}) as timestamp_text,
                -- Segment's rule: `timestamp` as sent (an export's is already corrected for
                -- clock skew); without it, the device's originalTimestamp corrected by
                -- receivedAt - (sentAt - originalTimestamp), or as it is without sentAt or receivedAt
                case
                    when {_text(4)} is not null then {_timestamp(4)}
                    when {_timestamp(5)} is not null and {_timestamp(9)} is not null
                        then {_timestamp(5)} - ({_timestamp(9)} - {_timestamp(8)})
                    else {_timestamp(8)}
                end as event_at,
                {_timestamp(5)} as received_at,
                {_text(6)} as anonymous_id,
                {_text(7)} as user_id
            from extracted
        )
        select
            *,
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
                when event_at > ?::timestamp + interval 1 day then 'timestamp more than a day after the load'
            end as reason
        from typed
        """,
        [loaded_at],
    )
    # Per-file counts; a duplicate is a messageId seen before, in raw or earlier
    # in this batch. Windowed on the key columns only, never on the wide rows.
    stats = con.execute(
        """
        with keys as (
            select _file_idx, _line, message_id, reason is null as is_accepted
            from event_checked
        ),
        accepted as (
            select
                _file_idx,
                message_id,
                row_number() over (partition by message_id order by _file_idx, _line) > 1 as is_repeat
            from keys
            where is_accepted
        ),
        seen_before as (
            select distinct accepted.message_id
            from accepted
            semi join raw.events on raw.events.message_id = accepted.message_id
        ),
        duplicates as (
            select accepted._file_idx, count(*) as duplicate_rows
            from accepted
            left join seen_before on seen_before.message_id = accepted.message_id
            where accepted.is_repeat or seen_before.message_id is not null
            group by accepted._file_idx
        ),
        counts as (
            select
                _file_idx,
                count(*) filter (where is_accepted) as rows_loaded,
                count(*) filter (where not is_accepted) as rows_rejected
            from keys
            group by _file_idx
        )
        select counts._file_idx, counts.rows_loaded, counts.rows_rejected, coalesce(duplicates.duplicate_rows, 0)
        from counts
        left join duplicates on duplicates._file_idx = counts._file_idx
        """
    ).fetchall()
    con.execute(
        """
        insert into raw.events
        select c.message_id, c.type, c.event, c.event_at, c.received_at, c.anonymous_id, c.user_id,
               c.line, f._file, c._line, ?, ?
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
    con.execute("drop table event_lines")
    con.execute("drop table event_checked")
    return stats
