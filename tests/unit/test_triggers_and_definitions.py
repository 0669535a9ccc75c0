"""The code location loads, and the sensor and schedule decide as they should (Dagster's test contexts)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration import triggers


def test_definitions_load_with_every_layer_checks_and_triggers() -> None:
    from orchestration.definitions import defs

    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/events", "raw/orders", "staging/stg_tracking__events", "marts/fct_sessions"} <= keys
    assert {"serving/serving_db", "serving/kpi_summary"} <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    # our own checks beside the dbt tests
    assert ("marts/fct_events", "events_fresh") in checks
    assert ("raw/orders", "quarantine_rate") in checks
    assert ("marts/fct_orders", "order_completed_revenue_matches") in checks
    assert ("marts/kpi_daily", "row_count_anomaly") in checks
    # a dbt test is a check too
    assert any(name.startswith("unique_fct_orders_order_id") for key, name in checks if key == "marts/fct_orders")
    # singular tests over several models are checks of the model they guard (meta dagster.ref)
    assert ("marts/kpi_daily", "assert_kpi_daily_net_sales_equals_fct_orders") in checks
    assert ("marts/attribution_credits", "assert_attribution_credits_sum_to_net_sales") in checks
    assert defs.resolve_sensor_def("landing_sensor").job_name == "full_pipeline"
    # the Parquet export for Spark is its own job, not a cost of every pipeline run
    export_nodes = {node.name for node in defs.resolve_job_def("export_raw").graph.nodes}
    pipeline_nodes = {node.name for node in defs.resolve_job_def("full_pipeline").graph.nodes}
    assert export_nodes == {"export__raw_parquet"} and not export_nodes & pipeline_nodes
    assert defs.resolve_schedule_def("daily_pipeline").job_name == "full_pipeline"


@pytest.fixture()
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "landing"
    (folder / "orders").mkdir(parents=True)
    monkeypatch.setenv("ECOM_LANDING_DIR", str(folder))
    monkeypatch.setenv("ECOM_SENSOR_SETTLE_SECONDS", "5")
    return folder


def evaluate(cursor: str | None) -> tuple[object, str | None]:
    context = dg.build_sensor_context(cursor=cursor)
    result = triggers.landing_sensor(context)
    return result, context.cursor


def age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_sensor_waits_for_files_to_settle_then_requests_one_run(landing: Path) -> None:
    result, cursor = evaluate(None)
    assert isinstance(result, dg.SkipReason) and cursor is None

    new = landing / "orders" / "2026-03-02.csv"
    new.write_text("order_id,customer_id,created_at,status,currency\n")
    # written just now: the exporter may still be writing it
    result, cursor = evaluate(None)
    assert isinstance(result, dg.SkipReason) and "settle" in result.skip_message and cursor is None

    age(new, 60)
    result, cursor = evaluate(None)
    assert isinstance(result, dg.RunRequest) and cursor == result.run_key
    # a run of today's partition (reporting time zone UTC): new loads of any day, today re-derived
    assert result.partition_key == dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")

    # nothing changed: no second run
    again, same_cursor = evaluate(cursor)
    assert isinstance(again, dg.SkipReason) and same_cursor == cursor

    # another file lands (and settles): a new request with a new key
    second = landing / "orders" / "2026-03-03.csv"
    second.write_text("order_id,customer_id,created_at,status,currency\n")
    age(second, 60)
    third, new_cursor = evaluate(cursor)
    assert isinstance(third, dg.RunRequest) and new_cursor not in (None, cursor)


def test_sensor_ignores_files_the_contract_ignores(landing: Path) -> None:
    ignored = landing / "orders" / "_manifest.json"
    ignored.write_text("{}")
    age(ignored, 60)
    result, _ = evaluate(None)
    assert isinstance(result, dg.SkipReason)


def test_schedule_requests_the_pipeline_daily() -> None:
    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def("daily_pipeline")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC), repository_def=defs.get_repository_def()
    )
    data = schedule.evaluate_tick(context)
    assert len(data.run_requests) == 1
    assert data.run_requests[0].partition_key == "2026-03-02"


def test_dbt_assets_are_daily_partitions_backfilled_in_one_run() -> None:
    from orchestration.assets.dbt import dbt_models

    partitions = dbt_models.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition) and partitions.timezone == "UTC"
    # a backfill of any range is one run, so one dbt invocation holds the writer lock
    assert dbt_models.backfill_policy == dg.BackfillPolicy.single_run()
    window = partitions.time_window_for_partition_key("2026-10-19")
    assert (window.start.isoformat(), window.end.isoformat()) == (
        "2026-10-19T00:00:00+00:00",
        "2026-10-20T00:00:00+00:00",
    )


def test_a_partition_window_reaches_dbt_as_utc_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration import partitions

    class Context:
        has_partition_key = False
        has_partition_key_range = True
        # a week in Asia/Tokyo (UTC+9): its UTC window starts 9 hours earlier
        partition_time_window = dg.TimeWindow(
            dt.datetime(2026, 10, 19, tzinfo=dt.timezone(dt.timedelta(hours=9))),
            dt.datetime(2026, 10, 26, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        )

    assert partitions.backfill_vars(Context()) == {
        "ecom__backfill_start": "2026-10-18 15:00:00",
        "ecom__backfill_end": "2026-10-25 15:00:00",
    }

    class NoPartition:
        has_partition_key = False
        has_partition_key_range = False

    assert partitions.backfill_vars(NoPartition()) == {}
    assert partitions.dbt_vars_args({}) == []


@pytest.mark.parametrize(
    ("first_day", "last_day", "accepted"),
    [
        ("2026-10-19", "2026-10-25", True),
        ("2026-10-19", "2026-10-19", True),
        ("2026-10-25", "2026-10-19", False),  # reversed
        ("2024-01-01", "2024-01-07", False),  # before ECOM_PARTITIONS_START's default 2025-01-01
        ("19.10.2026", "2026-10-25", False),  # not YYYY-MM-DD
    ],
)
def test_a_backfill_range_is_checked_before_anything_runs(first_day: str, last_day: str, accepted: bool) -> None:
    from orchestration.cli import backfill_range_problem
    from orchestration.partitions import daily_partitions

    problem = backfill_range_problem(daily_partitions(), first_day, last_day)
    assert (problem is None) == accepted, problem
    if not accepted:
        assert first_day in problem and "YYYY-MM-DD" in problem
