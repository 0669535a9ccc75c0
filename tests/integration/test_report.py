"""The KPI dashboard page, opened in headless Chromium (Debian's `chromium`) through Playwright.

The page the pipeline's `serving/kpi_report` asset wrote must load with no
console error and no network request, draw every chart, and show tile figures
equal to SQL over the marts written here (not the report's own queries).
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import PipelineRun

pytestmark = pytest.mark.slow

CHARTS = ("trend", "revenue", "funnel", "cohorts", "campaigns", "split")


def chromium() -> str:
    path = os.environ.get("ECOM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is needed: apt-get install chromium (.ci/run does), or set ECOM_CHROMIUM"
    return path


def expected_tiles(serving: Path) -> dict[str, float | None]:
    """The last 30 days of data (the last day with a kpi_daily row and the 29 before), from the marts."""
    with duckdb.connect(str(serving), read_only=True) as con:
        row = con.execute(
            """
            with window_days as (
                select * from marts.kpi_daily
                where date_day > (select max(date_day) from marts.kpi_daily) - 30
            )
            select
                sum(sessions), sum(converted_sessions) / sum(sessions), sum(orders), sum(net_sales),
                sum(net_sales) / sum(orders), sum(bounced_sessions) / sum(sessions), sum(new_customers),
                sum(marketing_spend)
            from window_days
            """
        ).fetchone()
    keys = (
        "sessions",
        "conversion_rate",
        "orders",
        "net_sales",
        "aov",
        "bounce_rate",
        "new_customers",
        "marketing_spend",
    )
    return {key: None if value is None else float(value) for key, value in zip(keys, row, strict=True)}


def funnel_steps(serving: Path) -> list[int]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return [
            int(sessions)
            for _, sessions in con.execute(
                """
                select step_number, sum(sessions_reached) from marts.funnel_daily
                where session_date > (select max(date_day) from marts.kpi_daily) - 30
                group by 1 order by 1
                """
            ).fetchall()
        ]


def test_the_dashboard_loads_offline_draws_every_chart_and_shows_the_marts_figures(generated_run: PipelineRun) -> None:
    page_path = generated_run.serving.parent / "report" / "index.html"
    assert page_path.exists(), "the pipeline's kpi_report asset writes the page beside the serving file"

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "request",
            lambda request: (
                problems.append(f"network request: {request.url}")
                if not request.url.startswith(("file:", "data:", "blob:"))
                else None
            ),
        )
        page.goto(page_path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(CHARTS)}", timeout=30000
        )
        traces = {
            name: page.eval_on_selector(f"#chart-{name}", "el => el.querySelectorAll('.trace, .hm image').length")
            for name in CHARTS
        }
        shown_tiles = page.eval_on_selector_all(
            ".tile", "els => els.map(e => [e.dataset.kpi, e.dataset.value, e.querySelector('.value').textContent])"
        )
        funnel_x = page.evaluate("document.getElementById('chart-funnel').data[0].x")
        browser.close()

    assert problems == []
    assert all(count > 0 for count in traces.values()), traces
    expected = expected_tiles(generated_run.serving)
    assert {key for key, _, _ in shown_tiles} == set(expected)
    for key, value, text in shown_tiles:
        want = expected[key]
        assert want is not None and value and math.isclose(float(value), want, rel_tol=1e-9), (key, value, want)
        if key in ("sessions", "orders", "new_customers"):
            assert text == f"{want:,.0f}"
        elif key in ("net_sales", "aov", "marketing_spend"):
            assert text == f"{want:,.2f}"
        else:
            assert text == f"{want:.2%}"
    assert funnel_x == funnel_steps(generated_run.serving)
    assert funnel_x[0] >= funnel_x[-1] > 0
