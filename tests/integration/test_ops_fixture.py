"""Marketing, operations, satisfaction, app and social marts on a hand-made shop (May 2026, USD, UTC).

Landing folder: tests/fixtures/ops_shop. Everything below is derived by hand from it.

Orders: O1 C1 05-02 10:00 (2 x P1 at 10.00 = 20.00), O2 C2 05-03 12:00 (1 x P2 = 30.00, POS, no event),
        O3 C1 05-20 08:00 (1 x P1 = 10.00). Products: P1 unit cost 4.00, P2 10.00.
Sessions: a1 (C1 after its identify) 05-02 09:50 from google / cpc / spring, with O1's Order Completed;
          a2 05-03 08:00, an iOS app install, direct.
Spend: 05-02 google / cpc / spring 100.00, 10,000 impressions, 200 clicks.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "ops_shop"
MAY = dt.date(2026, 5, 1)


@pytest.fixture(scope="module")
def ops_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("ops")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing)
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def rows(run: PipelineRun, sql: str) -> list[dict]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        cursor = con.execute(sql)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def may(ops_run: PipelineRun) -> dict:
    months = rows(ops_run, "select * from marts.kpi_monthly")
    # first activity 05-02, last 05-20: May only
    assert [m["month_start"] for m in months] == [MAY]
    return months[0]


def test_order_cycle_time(may: dict) -> None:
    # delivered 24 h (O1: 05-02 10:00 -> 05-03 10:00), 48 h (O2), 100 h (O3: 05-20 08:00 -> 05-24 12:00)
    # median 48; p90 by linear interpolation: rank (3 - 1) x 0.9 = 1.8 -> 48 + 0.8 x (100 - 48) = 89.6
    assert may["order_cycle_hours_median"] == pytest.approx(48.0)
    assert may["order_cycle_hours_p90"] == pytest.approx(89.6)


def test_stockouts_and_inventory_turnover(may: dict) -> None:
    # product-days: P1 and P2 on 05-01 and 05-31 = 4; P1 is out on 05-31: 1 / 4
    assert (may["stockout_product_days"], may["product_days"], may["stockout_rate"]) == (1, 4, pytest.approx(0.25))
    # COGS: P1 3 units x 4.00 + P2 1 x 10.00 = 22.00
    # inventory value: 05-01 10 x 4 + 5 x 10 = 90; 05-31 0 + 50 = 50; average 70
    assert may["cogs"] == Decimal("22.00")
    assert may["average_inventory_value"] == pytest.approx(70.0)
    assert may["inventory_turnover"] == pytest.approx(22 / 70)


def test_satisfaction(may: dict) -> None:
    # one complaint (category written "Complaint") and one question over 3 orders
    assert (may["complaint_tickets"], may["complaint_rate"]) == (1, pytest.approx(1 / 3))
    # reviews 4 and 5: average 4.5, 2 reviews / 3 orders
    assert (may["reviews"], may["avg_rating"], may["review_rate"]) == (2, 4.5, pytest.approx(2 / 3))
    # scores 10, 9 (promoters), 7 (passive), 3 (detractor): (2 - 1) / 4 x 100 = 25
    assert (may["nps_responses"], may["nps"]) == (4, pytest.approx(25.0))
    assert (may["nps_promoters"], may["nps_detractors"]) == (2, 1)


def test_app_and_consent(may: dict) -> None:
    # one Application Installed event; sessions a1 (desktop web) and a2 (iOS): mobile share 1 / 2
    assert may["app_installs"] == 1
    assert (may["sessions"], may["mobile_sessions"], may["mobile_traffic_share"]) == (2, 1, 0.5)
    # customers created by 05-31: C1 (push, sms) and C2 (sms); C3 comes in June
    assert (may["customers_to_date"], may["push_opt_in_rate"], may["sms_subscribers"]) == (2, 0.5, 2)


def test_attribution_and_marketing_daily(ops_run: PipelineRun) -> None:
    credits = rows(
        ops_run,
        "select order_id, attribution_model, session_id is null as no_session, channel_group, credit "
        "from marts.attribution_credits where attribution_model = 'last_touch' order by order_id",
    )
    # O1 and O3 (18 days later, inside the 30-day lookback) go to C1's spring session; O2 has no session
    assert [(c["order_id"], c["no_session"], c["channel_group"], c["credit"]) for c in credits] == [
        ("O1", False, "Paid Search", Decimal("20.00")),
        ("O2", True, "Direct", Decimal("30.00")),
        ("O3", False, "Paid Search", Decimal("10.00")),
    ]
    spring = {
        r["date_day"]: r
        for r in rows(ops_run, "select * from marts.marketing_daily where campaign = 'spring' order by date_day")
    }
    assert list(spring) == [dt.date(2026, 5, 2), dt.date(2026, 5, 20)]
    day = spring[dt.date(2026, 5, 2)]
    # utm values are compared lower-cased: the session's "Google / Spring" meets the spend's google / spring
    assert (day["source"], day["medium"], day["channel_group"]) == ("google", "cpc", "Paid Search")
    assert (day["spend"], day["impressions"], day["clicks"], day["sessions"]) == (Decimal("100.00"), 10000, 200, 1)
    # CTR 200 / 10,000; CPC 100 / 200; CPM 100 / 10,000 x 1000
    assert (day["ctr"], day["cpc"], day["cpm"]) == (pytest.approx(0.02), pytest.approx(0.5), pytest.approx(10.0))
    # O1's 20.00 lands on its order date; ROAS that day 20 / 100
    assert (day["attributed_net_sales_last_touch"], day["roas_last_touch"]) == (Decimal("20.00"), pytest.approx(0.2))
    # O3's 10.00 lands on 05-20: sales without spend, ROAS null
    later = spring[dt.date(2026, 5, 20)]
    assert (later["spend"], later["attributed_net_sales_last_touch"], later["roas_last_touch"]) == (
        Decimal("0.00"),
        Decimal("10.00"),
        None,
    )


def test_cac(ops_run: PipelineRun, may: dict) -> None:
    # 100.00 spend over two new customers (C1, C2)
    assert may["cac"] == pytest.approx(50.0)
    by_channel = {
        r["channel_group"]: r for r in rows(ops_run, "select * from marts.cac_monthly where month_start = '2026-05-01'")
    }
    # C1's first order O1: last non-direct touch is Paid Search; C2's O2 has no session: Direct
    assert (by_channel["Paid Search"]["spend"], by_channel["Paid Search"]["new_customers"]) == (Decimal("100.00"), 1)
    assert by_channel["Paid Search"]["cac"] == pytest.approx(100.0)
    assert (by_channel["Direct"]["spend"], by_channel["Direct"]["new_customers"], by_channel["Direct"]["cac"]) == (
        Decimal("0.00"),
        1,
        0.0,
    )
    [c1] = rows(ops_run, "select acquisition_channel from marts.dim_customers where customer_id = 'C1'")
    assert c1["acquisition_channel"] == "Paid Search"


def test_social_and_shipments(ops_run: PipelineRun) -> None:
    [post] = rows(ops_run, "select * from marts.social_daily")
    # platform lower-cased; 50 engagements and 10 clicks over 1,000 impressions
    assert (post["platform"], post["engagement_rate"], post["ctr"], post["reach"]) == ("instagram", 0.05, 0.01, 800)
    shipments = {r["shipment_id"]: r for r in rows(ops_run, "select * from marts.fct_shipments")}
    assert shipments["S3"]["order_cycle_hours"] == pytest.approx(100.0)
    stock = rows(
        ops_run, "select product_id, is_stockout from marts.inventory_daily where snapshot_date = '2026-05-31'"
    )
    assert sorted((r["product_id"], r["is_stockout"]) for r in stock) == [("P1", True), ("P2", False)]
