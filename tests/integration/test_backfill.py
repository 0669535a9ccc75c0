"""A backfill of a week rebuilds that week, equal to a full refresh, and leaves other days alone.

The pipeline runs once over a generated shop; a copy of that run's folder is
the fresh build of the landing folder the backfill is compared with (the same
command over the same files: a second fresh run would build the same marts).
Then the warehouse is damaged
the way a bug in a model would damage it: staged events of the week deleted,
landing pages and page paths overwritten in the week and on a day before it.
`orchestration.cli backfill` (what `make backfill` runs: one Dagster run over
the partition range, as a single-run backfill from the UI) rebuilds the week.
Every date-keyed mart row of the week must then equal a fresh build of the
same landing folder, and rows outside the window must be recomputed only where
the week's events reach them (a session running into the window, the later
sessions of a person active in it).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_run, generate_shop, run_pipeline

pytestmark = pytest.mark.slow

FIRST_DAY, LAST_DAY = "2026-10-19", "2026-10-25"
WINDOW = "timestamp '2026-10-19 00:00:00' and timestamp '2026-10-26 00:00:00'"
DAY_BEFORE = "2026-10-14"
SESSION_TIMEOUT_MINUTES = 30  # dbt var session_timeout_minutes

# date-keyed marts and their date column: the week's rows are compared with a fresh build
DATED_MARTS = {
    "fct_events": "event_date",
    "fct_sessions": "session_date",
    "funnel_daily": "session_date",
    "kpi_daily": "date_day",
    "kpi_daily_by_segment": "date_day",
    "marketing_daily": "date_day",
}
RUN_COLUMNS = {"sessionized_at"}


def week_rows(warehouse: Path, table: str, date_column: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            if c not in RUN_COLUMNS
        ]
        assert date_column in columns, f"{table} has no {date_column}"
        cols = ", ".join(columns)
        return con.execute(
            f"select {cols} from marts.{table} "
            f"where {date_column} between date '{FIRST_DAY}' and date '{LAST_DAY}' order by all"
        ).fetchall()


def test_a_week_backfill_equals_a_fresh_build_for_that_week(tmp_path: Path) -> None:
    work = tmp_path / "work"
    landing = work / "landing"
    generate_shop(landing, days=21, visitors=2500, seed=19)
    first = run_pipeline(work, landing)
    assert first.result.returncode == 0, first.result.stderr[-5000:]
    # the fresh build the backfill must equal: this run's folder, copied before the damage below
    fresh = copy_run(first, tmp_path / "fresh")

    with duckdb.connect(str(first.warehouse)) as con:
        built_at = con.execute("select max(sessionized_at) from marts.fct_events").fetchone()[0]
        deleted = con.execute(
            f"delete from staging.stg_tracking__events where event_at between {WINDOW} and hash(message_id) % 3 = 0"
        ).fetchone()[0]
        damaged_paths = con.execute(
            "update marts.fct_events set page_path = '/damaged' "
            f"where event_date between date '{FIRST_DAY}' and date '{LAST_DAY}' or event_date = date '{DAY_BEFORE}'"
        ).fetchone()[0]
        damaged_pages = con.execute(
            "update marts.fct_sessions set landing_page = '/damaged' "
            f"where session_date between date '{FIRST_DAY}' and date '{LAST_DAY}' "
            f"or session_date = date '{DAY_BEFORE}'"
        ).fetchone()[0]
    assert deleted > 100 and damaged_paths > 1000 and damaged_pages > 100, (deleted, damaged_paths, damaged_pages)

    backfill = run_pipeline(work, landing, ("backfill", "--start", FIRST_DAY, "--end", LAST_DAY))
    assert backfill.result.returncode == 0, backfill.result.stderr[-5000:]
    log = backfill.result.stdout + backfill.result.stderr
    # one run, one dbt invocation, the whole week as one window (UTC, end exclusive)
    assert log.count("partition window (UTC): 2026-10-19 00:00:00 to 2026-10-26 00:00:00") == 1, log[-3000:]

    for table, date_column in DATED_MARTS.items():
        rebuilt = week_rows(backfill.warehouse, table, date_column)
        assert rebuilt, f"{table} has rows in the week"
        assert rebuilt == week_rows(fresh.warehouse, table, date_column), f"{table} differs from a fresh build"

    with duckdb.connect(str(backfill.warehouse), read_only=True) as con:
        staged = con.execute(f"select count(*) from staging.stg_tracking__events where event_at between {WINDOW}")
        with duckdb.connect(str(fresh.warehouse), read_only=True) as fresh_con:
            expected = fresh_con.execute(
                f"select count(*) from staging.stg_tracking__events where event_at between {WINDOW}"
            ).fetchone()
        assert staged.fetchone() == expected, "the deleted staged events are back"

        # Before the window, an event is recomputed only when its session reaches within the session
        # timeout of the window; the rest keeps its first build, damage included.
        early = con.execute(
            f"""
            with sessions as (
                select session_id, max(event_at) as ended_at from marts.fct_events group by session_id
            )
            select
                count(*) filter (where e.sessionized_at > ?) as recomputed,
                count(*) filter (where e.sessionized_at > ?
                    and (s.ended_at is null
                         or s.ended_at < timestamp '2026-10-19 00:00:00'
                            - interval {SESSION_TIMEOUT_MINUTES} minute)) as recomputed_far_from_window,
                count(*) filter (where e.page_path = '/damaged') as still_damaged
            from marts.fct_events as e
            left join sessions as s on s.session_id = e.session_id
            where e.event_at < timestamp '2026-10-19 00:00:00'
            """,
            [built_at, built_at],
        ).fetchone()
        recomputed, recomputed_far, still_damaged = early
        assert recomputed_far == 0, f"{recomputed_far} events far before the window were recomputed"
        assert still_damaged > 0, "damage before the window stays: the backfill did not rebuild other days"

        # After the window, only the people active in it are recomputed (their later sessions renumber).
        late = con.execute(
            f"""
            select
                count(*) filter (where sessionized_at > ?
                    and person_id not in (
                        select person_id from marts.fct_events
                        where event_at between {WINDOW} and person_id is not null
                    )) as recomputed_strangers,
                count(*) filter (where sessionized_at <= ?) as untouched
            from marts.fct_events
            where event_at >= timestamp '2026-10-26 00:00:00'
            """,
            [built_at, built_at],
        ).fetchone()
        assert late[0] == 0, f"{late[0]} events after the window of people not active in it were recomputed"
        assert late[1] > 0, "events after the window of other people keep their first build"
