"""Shop settings reach the marts end to end: `python -m orchestration.cli run` (Dagster, dbt build,
serving copy) on tests/fixtures/tiny_shop, twice, with settings from a file and from ECOM_DBT_VARS.

ECOM_CONFIG file (both runs): session_timeout_minutes 10, funnel_steps [Product Added, Order Completed],
  and settings that move no figure checked here but must not break the build (the dbt unit tests pin
  the values their expected rows assume): reporting_timezone Europe/London (UTC+0 until 2026-03-29:
  the same days as UTC), churn_days 60, attribution lookback 10 and half-life 3 days, lateness 5 days,
  two shop domains.
Run 1: the file alone. Run 2, nothing new landed: ECOM_DBT_VARS session_timeout_minutes 45, which wins
  over the file's 10; a setting incremental models read changed, so run 2 is a full refresh.

Sessions (events in tests/fixtures/tiny_shop/README.md; the default 30 gives 03-02: 3, 03-03: 1):
  a1: 10:00:00, 10:00:20, 10:30:20, 11:00:21 (gaps 0:20, 30:00, 30:01)
      10 min: 3 sessions {e1 page, e2 track: no bounce} {e3: bounce} {e4: bounce}; 45 min: 1, no bounce.
  a2: page 23:50 on 03-02, page 00:10 on 03-03 (20 minutes apart)
      10 min: 2 single-page sessions (bounces), dated 03-02 and 03-03; 45 min: 1 dated 03-02, no bounce.
  bot1: left out. a3: screen 08:00, Product Added 08:01, Order Completed 08:05 on 03-03: 1 session.
  kpi_daily   run 1 (10 min)                      run 2 (45 min)
  03-02       4 sessions, bounce 3/4              2 sessions, bounce 0
  03-03       2 sessions, bounce 1/2, conv. 1/2   1 session, bounce 0, conv. 1
Funnel, steps session start, Product Added, Order Completed (strict order), run 2:
  03-02: a1 (Product Viewed only) and a2 (pages only) reach step 1: [2, 0, 0]
  03-03: a3 reaches step 3: [1, 1, 1]  (with the default steps a3 stops at step 1: no Product Viewed)
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, land_fixture, pipeline_env, run_dbt, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "tiny_shop"


KPI_SQL = (
    "select date_day, sessions, bounce_rate, conversion_rate from marts.kpi_daily "
    "where date_day in ('2026-03-02', '2026-03-03') order by date_day"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    workdir = tmp_path_factory.mktemp("shop_settings")
    landing = workdir / "landing"
    land_fixture(FIXTURE, landing)
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
    first = run_pipeline(workdir, landing, extra_env={"ECOM_CONFIG": str(config)})
    assert first.result.returncode == 0, first.result.stderr[-5000:]
    first_kpis = query(first, KPI_SQL)
    second = run_pipeline(
        workdir,
        landing,
        extra_env={"ECOM_CONFIG": str(config), "ECOM_DBT_VARS": '{"session_timeout_minutes": 45}'},
    )
    assert second.result.returncode == 0, second.result.stderr[-5000:]
    return {"first_kpis": first_kpis, "second": second}


@pytest.fixture(scope="module")
def settings_run(runs: dict[str, object]) -> PipelineRun:
    return runs["second"]


def query(run: PipelineRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        return con.execute(sql).fetchall()


def kpis(rows: list[tuple]) -> list[tuple]:
    return [(str(day), sessions, bounce, conversion) for day, sessions, bounce, conversion in rows]


def test_the_session_timeout_of_the_file(runs: dict[str, object]) -> None:
    assert kpis(runs["first_kpis"]) == [("2026-03-02", 4, 0.75, 0.0), ("2026-03-03", 2, 0.5, 0.5)]


def test_the_variable_wins_over_the_file_and_the_change_rebuilds_history(settings_run: PipelineRun) -> None:
    # nothing new landed: only a full refresh can merge the stored 10-minute sessions
    assert kpis(query(settings_run, KPI_SQL)) == [("2026-03-02", 2, 0.0, 0.0), ("2026-03-03", 1, 0.0, 1.0)]
    assert "session_timeout_minutes: 10 -> 45" in settings_run.result.stderr
    assert "this build is a full refresh" in settings_run.result.stderr


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
