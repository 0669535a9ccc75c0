"""Command-line entry points behind `make run` and `make demo`.

python -m orchestration.cli run       # the whole pipeline, once, through Dagster
python -m orchestration.cli summary   # KPI summary of the last 30 days, from the serving file
"""

from __future__ import annotations

import argparse
import sys

from orchestration.locking import WarehouseBusyError, check_warehouse_openable, warehouse_lock
from orchestration.settings import ensure_dagster_home, export_for_subprocesses, load_settings


def run_pipeline() -> int:
    """Materialises every asset in one Dagster run; non-zero if any step or error-severity check failed."""
    settings = load_settings()
    export_for_subprocesses(settings)
    ensure_dagster_home(settings)

    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def("full_pipeline")
    try:
        # the whole run holds the writer lock: a second `make run` stops at once
        with warehouse_lock(settings.warehouse, wait_seconds=0), dg.DagsterInstance.get() as instance:
            check_warehouse_openable(settings.warehouse)
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                # INFO keeps the console readable; the UI still has every DEBUG event.
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            )
    except WarehouseBusyError as error:
        print(f"pipeline NOT started: {error}", file=sys.stderr)
        return 2
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
        failed_steps = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        print(
            f"pipeline FAILED (run {result.run_id}); failed steps: {failed_steps or 'none'}; "
            f"error checks: {len(errors)}",
            file=sys.stderr,
        )
        return 1
    print(f"pipeline succeeded (run {result.run_id}); serving copy at {settings.serving_db}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole pipeline once through Dagster")
    summary = sub.add_parser("summary", help="print the KPI summary from the serving file")
    summary.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_pipeline()
    from orchestration.summary import print_summary

    return print_summary(load_settings().serving_db, args.days)


if __name__ == "__main__":
    raise SystemExit(main())
