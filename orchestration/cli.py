"""Command-line entry points behind `make run` and `make demo`.

python -m orchestration.cli run       # the whole pipeline, once, through Dagster (today's partition)
python -m orchestration.cli backfill --start 2026-10-01 --end 2026-10-07   # rebuild those days, one run
python -m orchestration.cli summary   # KPI summary of the last 30 days, from the serving file
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.disks import NotEnoughSpaceError, check_free_space, human
from orchestration.failures import error_info_text, explain_crash, explain_steps, is_storage_error
from orchestration.locking import (
    WarehouseBusyError,
    check_warehouse_openable,
    errors_seen,
    forget_errors,
    warehouse_lock,
)
from orchestration.settings import (
    Settings,
    SettingsError,
    ensure_dagster_home,
    export_for_subprocesses,
    load_settings,
    load_shop_settings,
    partitions_start,
)


def backfill_range_problem(partitions, first_day: str, last_day: str) -> str | None:
    """Why first_day..last_day is no range of partitions, or None when it is one."""
    import dagster as dg

    first_key = partitions.get_first_partition_key()
    help_text = (
        f"give two days YYYY-MM-DD, the first not after the last, between {first_key} "
        f"and {partitions.get_last_partition_key()} (ECOM_PARTITIONS_START sets the first)"
    )
    # ISO days compare as text: say plainly how to reach days before the first partition
    if len(first_day) == len(first_key) == 10 and first_day[4] == first_day[7] == "-" and first_day < first_key:
        return (
            f"{first_day} is before the first partition, {first_key}: to rebuild older days set "
            f"ECOM_PARTITIONS_START={first_day} (a day YYYY-MM-DD, this one or earlier) and run the backfill again. "
            "`make run` needs no such setting: it loads orders and events of every date"
        )
    try:
        keys = partitions.get_partition_keys_in_range(dg.PartitionKeyRange(first_day, last_day))
    except Exception as error:  # noqa: BLE001 - Dagster raises ValueError or CheckError for a bad key
        return f"{first_day}..{last_day} is no range of partitions ({error}): {help_text}"
    return None if keys else f"{first_day}..{last_day} holds no partition: {help_text}"


@contextmanager
def quick_run_history(dagster_home: Path) -> Iterator[None]:
    """Dagster's SQLite run history without a disk sync per event, for the length of one run.

    Dagster (1.13) stores each event in its own connection and transaction: a commit syncs the
    write-ahead log, and closing the only connection checkpoints the log into the database and
    syncs again. A run stores about 1,100 events (a dbt model is 3, a dbt test 2), at some 40 to
    60 ms each on this disk: half a minute. Here every connection to a database in DAGSTER_HOME
    commits with synchronous=NORMAL, and one more connection per database stays open until
    the run ends, so there is one checkpoint at the end instead of one per event. In WAL mode
    that never corrupts a database; a power cut during the run can lose its last events, not
    the warehouse (DuckDB syncs its own commits) and not any earlier run.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    home = str(dagster_home.resolve())
    keepers: dict[str, sqlite3.Connection] = {}
    lock = threading.Lock()

    def on_connect(connection: object, _record: object) -> None:
        if not isinstance(connection, sqlite3.Connection):
            return
        path = connection.execute("pragma database_list").fetchone()[2]
        if not path or not path.startswith(home + os.sep):
            return
        connection.execute("pragma synchronous = normal")
        with lock:
            try:
                if path not in keepers:
                    keepers[path] = sqlite3.connect(path, check_same_thread=False)
                # a read opens the log's shared index: until then the keeper does not count as open,
                # and a database created a moment ago switches to WAL after its first connection
                keepers[path].execute("pragma schema_version").fetchall()
            except sqlite3.Error:
                pass  # the keeper only saves time: a busy database is written as without it

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)
        with lock:
            for keeper in keepers.values():
                keeper.close()


def prepare_disks(settings: Settings) -> None:
    """Under the writer lock, before the run: remove what a publish that did not finish left (no publish
    runs now), then check the free space against the run's estimate (orchestration/disks.py)."""
    from orchestration.assets.serving import remove_publish_leftovers

    for path, size in remove_publish_leftovers(settings.serving_db):
        print(f"removed {path} ({human(size)}), left by a publish that did not finish", file=sys.stderr)
    check_free_space(settings)


def report_broken_run(error: Exception, settings: Settings) -> int:
    """The `pipeline FAILED` line for a run that broke outside its steps, e.g. Dagster's run history
    on a full disk: a storage error in one line, anything else with its traceback first."""
    line = explain_crash(error, errors_seen(), settings)
    if not is_storage_error(error):
        traceback.print_exc()
    print(line, file=sys.stderr)
    return 1


def run_pipeline(first_day: str | None = None, last_day: str | None = None) -> int:
    """Materialises every asset in one Dagster run; non-zero if any step or error-severity check failed.
    Without days the run is today's partition (new loads of any day); with them, one run for the
    partition range first_day..last_day (both included), as a single-run backfill from the UI does."""
    try:
        # every environment variable, the shop settings (ECOM_CONFIG, ECOM_DBT_VARS) and the
        # partition start are checked before Dagster loads anything
        settings = load_settings()
        load_shop_settings()
        partitions_start()
    except SettingsError as error:
        print(f"pipeline NOT started: {error}", file=sys.stderr)
        return 2
    export_for_subprocesses(settings)
    ensure_dagster_home(settings)

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.partitions import today_partition_key
    from orchestration.run_history import quick_instance

    job = defs.resolve_job_def("full_pipeline")
    if first_day is None:
        partition = {"partition_key": today_partition_key()}
    else:
        problem = backfill_range_problem(job.partitions_def, first_day, last_day)
        if problem:
            print(f"backfill NOT started: {problem}", file=sys.stderr)
            return 2
        partition = {
            "tags": {
                "dagster/asset_partition_range_start": first_day,
                "dagster/asset_partition_range_end": last_day,
            }
        }
    forget_errors()
    try:
        # the whole run holds the writer lock: a second `make run` stops at once
        with warehouse_lock(settings.warehouse, wait_seconds=0):
            check_warehouse_openable(settings.warehouse)
            prepare_disks(settings)
            with quick_run_history(settings.dagster_home), quick_instance(settings.dagster_home) as instance:
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    # INFO keeps the console readable; the UI still has every DEBUG event.
                    run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
                    **partition,
                )
    except (WarehouseBusyError, NotEnoughSpaceError) as error:
        print(f"pipeline NOT started: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - the run broke outside a step: say why in one line
        return report_broken_run(error, settings)
    failed_checks = [
        event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and not event.asset_check_evaluation_data.passed
    ]
    errors = [c for c in failed_checks if c.severity == dg.AssetCheckSeverity.ERROR]
    for check in failed_checks:
        print(
            f"check {check.severity.value.lower()}: {check.asset_key.to_user_string()} {check.check_name}",
            file=sys.stderr,
        )
    if not result.success or errors:
        failures = [
            (e.step_key, error_info_text(e.step_failure_data.error))
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.STEP_FAILURE
        ]
        explained = explain_steps(failures, settings)
        print(
            f"pipeline FAILED (run {result.run_id}); failed steps: {[step for step, _ in failures] or 'none'}; "
            f"error checks: {len(errors)}" + "".join(f"; {line}" for line in explained),
            file=sys.stderr,
        )
        return 1
    print(f"pipeline succeeded (run {result.run_id}); serving copy at {settings.serving_db}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole pipeline once through Dagster")
    backfill = sub.add_parser("backfill", help="rebuild a range of days in one run (partitions, both included)")
    backfill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last day, YYYY-MM-DD (included)")
    summary = sub.add_parser("summary", help="print the KPI summary from the serving file")
    summary.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_pipeline()
    if args.command == "backfill":
        return run_pipeline(args.start, args.end)
    from orchestration.summary import print_summary

    try:
        serving_db = load_settings().serving_db
    except SettingsError as error:
        print(f"summary NOT printed: {error}", file=sys.stderr)
        return 2
    return print_summary(serving_db, args.days)


if __name__ == "__main__":
    raise SystemExit(main())
