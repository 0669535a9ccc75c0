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

from orchestration import report
from orchestration.assets.kpi_summary import MEASURES, kpi_markdown
from orchestration.summary import SUMMARY_KPIS, summary_rows
from tests.conftest import PipelineRun

pytestmark = pytest.mark.slow

CHARTS = ("trend", "revenue", "funnel", "cohorts", "campaigns", "split")


def chromium() -> str:
    path = os.environ.get("ECOM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is needed: apt-get install chromium (.ci/run does), or set ECOM_CHROMIUM"
    return path


def window_from_marts(serving: Path, days: int = 30) -> dict[str, float | None]:
    """The KPIs of the last `days` days of data (the last day with a kpi_daily row and the days before),
    written here from the marts, not taken from orchestration/kpi_window.py."""
    with duckdb.connect(str(serving), read_only=True) as con:
        cursor = con.execute(
            """
            with window_days as (
                select * from marts.kpi_daily
                where date_day > (select max(date_day) from marts.kpi_daily) - ?
            )
            select
                sum(sessions) as sessions, sum(converted_sessions) / sum(sessions) as conversion_rate,
                sum(orders) as orders, sum(gmv) as gmv, sum(net_sales) as net_sales,
                sum(net_sales) / sum(orders) as aov, sum(bounced_sessions) / sum(sessions) as bounce_rate,
                sum(refunds) as refunds, sum(new_customers) as new_customers, sum(marketing_spend) as marketing_spend
            from window_days
            """,
            [days],
        )
        row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    return {key: None if value is None else float(value) for key, value in row.items()}


def expected_tiles(serving: Path) -> dict[str, float | None]:
    """The last 30 days of data (the last day with a kpi_daily row and the 29 before), from the marts."""
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
    window = window_from_marts(serving)
    return {key: window[key] for key in keys}


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


def top_products(serving: Path) -> list[list[str]]:
    """The product table's rows as shown: the 10 products with the most net sales in the last 30 days of data
    (ties by views, then id), their title, views, adds, orders, net sales and estimated lost sales."""
    with duckdb.connect(str(serving), read_only=True) as con:
        rows = con.execute(
            """
            with window_days as (
                select * from marts.product_daily
                where date_day > (select max(date_day) from marts.kpi_daily) - 30
                  and date_day <= (select max(date_day) from marts.kpi_daily)
            ),
            per_product as (
                select product_id, sum(product_views) as views, sum(adds_to_cart) as adds, sum(orders) as orders,
                       sum(net_sales) as net_sales, sum(coalesce(estimated_lost_sales, 0)) as lost
                from window_days group by product_id
            )
            select per_product.product_id, coalesce(title, per_product.product_id), views, adds, orders, net_sales, lost
            from per_product left join marts.dim_products as products on products.product_id = per_product.product_id
            where views + adds + orders > 0
            order by net_sales desc, views desc, per_product.product_id limit 10
            """
        ).fetchall()
    assert len(rows) == 10 and rows[0][5] > 0
    return [
        [pid, title, f"{views:,}", f"{adds:,}", f"{orders:,}", f"{net:,.2f}", f"{lost:,.2f}"]
        for pid, title, views, adds, orders, net, lost in rows
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
        shown_products = page.eval_on_selector_all(
            "#products tbody tr", "rows => rows.map(r => [r.dataset.product, ...[...r.cells].map(c => c.textContent)])"
        )
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
    assert shown_products == top_products(generated_run.serving)


def test_the_summary_the_kpi_summary_asset_and_the_dashboard_agree(generated_run: PipelineRun) -> None:
    """One warehouse, the three readers of orchestration/kpi_window.py: the same window, the same figures."""
    serving = generated_run.serving
    month, week = window_from_marts(serving, 30), window_from_marts(serving, 7)
    assert month["sessions"] and month["orders"] and week["sessions"] and week["orders"]
    assert month["sessions"] > week["sessions"]

    summary = summary_rows(serving, 30)  # `make demo`'s summary
    with duckdb.connect(str(serving), read_only=True) as con:
        bounds = report.period_bounds(con)
        dashboard = {tile.key: tile.value for tile in report.tiles(con, bounds)}
    _, asset = kpi_markdown(serving)  # the kpi_summary asset: the last 7 days
    week_summary = summary_rows(serving, 7)  # `cli summary --days 7`

    assert (summary["first_day"], summary["last_day"]) == (bounds[1], bounds[2])
    for kpi in SUMMARY_KPIS:
        assert math.isclose(float(summary[kpi]), month[kpi], rel_tol=1e-9), kpi
        if kpi in dashboard:
            assert math.isclose(dashboard[kpi], float(summary[kpi]), rel_tol=1e-9), kpi
    for kpi, value in dashboard.items():
        assert math.isclose(value, month[kpi], rel_tol=1e-9), kpi
    assert {name for name, _ in MEASURES} == set(asset)
    for name, kpi in MEASURES:
        assert math.isclose(asset[name], week[kpi], rel_tol=1e-9), name
        if kpi in week_summary:
            assert math.isclose(asset[name], float(week_summary[kpi]), rel_tol=1e-9), name
