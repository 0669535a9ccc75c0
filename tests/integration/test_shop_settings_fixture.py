"""Shop settings reach the marts end to end: `python -m orchestration.cli run` (Dagster, dbt build,
serving copy) on tests/fixtures/tiny_shop with settings from a file and from ECOM_DBT_VARS.

Settings (README "Shop settings"):
  ECOM_CONFIG file: session_timeout_minutes 10, funnel_steps [Product Added, Order Completed], and
                    other settings that move no figure checked here but must not break the build (the
                    dbt unit tests pin the values their expected rows assume): reporting_timezone
                    Europe/London (UTC+0 until 2026-03-29, so the same days as UTC), churn_days 60,
                    attribution lookback 10 and half-life 3 days, lateness 5 days, two shop domains.
  ECOM_DBT_VARS:    session_timeout_minutes 45 (wins over the file's 10)

Sessions with a 45-minute timeout (events in tests/fixtures/tiny_shop/README.md):
  a1: 10:00:00, 10:00:20, 10:30:20, 11:00:21 - gaps 0:20, 30:00, 30:01, all under 45 minutes:
      ONE session of 3 page views and a track (no bounce). The default 30 splits it at the 30:01 gap
      (2 sessions, the second a bounce); the file's 10 would split it at both 30-minute gaps.
  a2: 23:50 on 03-02 and 00:10 on 03-03, 20 minutes apart: one session dated 03-02 (with 10: two).
  bot1: left out. a3 (03-03): one session (08:00, 08:01, 08:05).
  => kpi_daily 03-02: 2 sessions (default 3, with 10 it would be 4), bounce rate 0/2 = 0 (default 1/3);
     03-03: 1 session.
Funnel with steps session start, Product Added, Order Completed (strict order):
  03-02: a1 (Product Viewed only) and a2 (pages only) reach step 1: [2, 0, 0]
  03-03: a3: screen 08:00, Product Added 08:01, Order Completed 08:05: [1, 1, 1]
  (With the default steps a3 stops at step 1: it never sends Product Viewed.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, pipeline_env, run_dbt, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "tiny_shop"


@pytest.fixture(scope="module")
def settings_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("shop_settings")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing, ignore=shutil.ignore_patterns("README.md"))
    config = workdir / "shop.yml"
    config.write_text(
        "session_timeout_minutes: 10\n"
        "funnel_steps: [Product Added, Order Completed]\n"
        "reporting_timezone: Europe/London\n"
        "churn_days: 60\n"
        "ecom__attribution_lookback_days: 10\n"
        "ecom__attribution_half_life_days: 3\n"
        "ecom__max_event_lateness_days: 5\n"
        "ecom__shop_domains: [shop.example, checkout.shop.example]\n"
    )
    run = run_pipeline(
        workdir,
        landing,
        extra_env={"ECOM_CONFIG": str(config), "ECOM_DBT_VARS": '{"session_timeout_minutes": 45}'},
    )
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def query(run: PipelineRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_session_timeout_of_the_variable_wins_over_the_file(settings_run: PipelineRun) -> None:
    days = query(
        settings_run,
        "select date_day, sessions, bounce_rate from marts.kpi_daily "
        "where date_day in ('2026-03-02', '2026-03-03') order by date_day",
    )
    assert [(str(day), sessions, rate) for day, sessions, rate in days] == [
        ("2026-03-02", 2, 0.0),
        ("2026-03-03", 1, 0.0),
    ]


def test_the_funnel_has_the_steps_of_the_file(settings_run: PipelineRun) -> None:
    funnel = query(
        settings_run,
        "select session_date, step_number, step_name, sum(sessions_reached) from marts.funnel_daily "
        "group by all order by 1, 2",
    )
    assert [(str(day), number, name, int(reached)) for day, number, name, reached in funnel] == [
        ("2026-03-02", 1, "session start", 2),
        ("2026-03-02", 2, "Product Added", 0),
        ("2026-03-02", 3, "Order Completed", 0),
        ("2026-03-03", 1, "session start", 1),
        ("2026-03-03", 2, "Product Added", 1),
        ("2026-03-03", 3, "Order Completed", 1),
    ]


def test_the_serving_copy_records_the_settings_and_the_summary_names_them(settings_run: PipelineRun) -> None:
    recorded = {
        name: (json.loads(value), origin)
        for name, value, origin in query(settings_run, "select setting, value_json, origin from docs.settings")
    }
    config = settings_run.landing.parent / "shop.yml"
    assert recorded["session_timeout_minutes"] == (45, "ECOM_DBT_VARS")
    assert recorded["funnel_steps"] == (["Product Added", "Order Completed"], f"ECOM_CONFIG={config}")
    assert recorded["reporting_currency"] == ("USD", "dbt_project.yml")
    env = pipeline_env(settings_run.landing.parent, settings_run.landing)
    summary = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "summary"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "(money in USD, days in Europe/London)" in summary.stdout


def test_a_hand_started_dbt_command_without_the_settings_stops(settings_run: PipelineRun, tmp_path) -> None:
    result = run_dbt(
        ["run", "--select", "fct_sessions"],
        tmp_path / "target",
        {"ECOM_WAREHOUSE": str(settings_run.warehouse), "ECOM_DBT_VARS": '{"session_timeout_minutes": 45}'},
        check=False,
    )
    assert result.returncode != 0
    assert "ECOM_DBT_VARS set, but this dbt command did not get the shop settings" in result.stdout
    assert "make dbt ARGS=" in result.stdout
