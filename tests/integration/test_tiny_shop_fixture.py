"""The pipeline on a hand-made landing folder whose KPIs are derived by hand.

The derivation is in tests/fixtures/tiny_shop/README.md and repeated beside each assertion.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "tiny_shop"
D = dt.date


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("tiny")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing, ignore=shutil.ignore_patterns("README.md"))
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def kpi(run: PipelineRun) -> dict[dt.date, dict]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        cursor = con.execute("select * from marts.kpi_daily order by date_day")
        names = [c[0] for c in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_days_span_first_to_last_activity(tiny_run: PipelineRun) -> None:
    # 03-01 (O5) .. 03-04 (refund R1): four days, none skipped
    assert list(kpi(tiny_run)) == [D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4)]


def test_sessions_bounces_and_conversions(tiny_run: PipelineRun) -> None:
    days = kpi(tiny_run)
    # 03-02: a1 splits into two sessions at the 30:01 gap (the 30:00 gap stays), plus a2; the bot is left out
    assert days[D(2026, 3, 2)]["sessions"] == 3
    # only a1's second session is a single page view with no track event; a2's session
    # (23:50 and 00:10) crosses midnight with two page views and keeps its start date
    assert days[D(2026, 3, 2)]["bounce_rate"] == pytest.approx(1 / 3)
    assert days[D(2026, 3, 2)]["conversion_rate"] == 0
    # 03-03: a3's app session (09:00+01:00 is 08:00 UTC) converts with O2
    assert days[D(2026, 3, 3)]["sessions"] == 1
    assert days[D(2026, 3, 3)]["conversion_rate"] == 1
    # no sessions on 03-04: the ratio is null, not 0
    assert days[D(2026, 3, 4)]["sessions"] == 0
    assert days[D(2026, 3, 4)]["conversion_rate"] is None


def test_orders_revenue_and_customers(tiny_run: PipelineRun) -> None:
    days = kpi(tiny_run)
    # O5: 50.00 GBP at Friday's rate 1.302803 (Sunday has none) = 65.14
    assert days[D(2026, 3, 1)]["gmv"] == Decimal("65.14")
    assert days[D(2026, 3, 1)]["new_customers"] == 1
    # O1 (50.00 - 5.00) and O4 (15.00); O3 was restated as cancelled
    assert days[D(2026, 3, 2)]["orders"] == 2
    assert days[D(2026, 3, 2)]["gmv"] == Decimal("65.00")
    assert days[D(2026, 3, 2)]["net_sales"] == Decimal("60.00")
    assert days[D(2026, 3, 2)]["aov"] == pytest.approx(30.00)
    assert days[D(2026, 3, 2)]["new_customers"] == 2
    # O2: 100 EUR x 1.069130 = 106.91; line discount 10 EUR = 10.69; net 96.22
    assert days[D(2026, 3, 3)]["gmv"] == Decimal("106.91")
    assert days[D(2026, 3, 3)]["net_sales"] == Decimal("96.22")
    # R1 lands on its refund date
    assert days[D(2026, 3, 4)]["refunds"] == Decimal("10.00")
    assert days[D(2026, 3, 4)]["net_revenue"] == Decimal("-10.00")


def test_quarantine_and_duplicates(tiny_run: PipelineRun) -> None:
    with duckdb.connect(str(tiny_run.warehouse), read_only=True) as con:
        events = con.execute("select _line, reason from raw.events_rejected order by _line").fetchall()
        items = con.execute("select _line, reason from raw.order_items_rejected").fetchall()
        staged = con.execute("select count(*) from staging.stg_tracking__events").fetchone()[0]
        order_session = con.execute(
            "select session_id is not null from marts.fct_orders where order_id = 'O2'"
        ).fetchone()[0]
    # lines 8 and 9 of 2026-03-02.jsonl
    assert events == [(8, "invalid JSON"), (9, "track without event")]
    # line 8 of the items CSV (the header is line 1)
    assert items == [(8, "negative quantity")]
    # e1..e9 and e5b; the second e9 is the same event
    assert staged == 10
    assert order_session
