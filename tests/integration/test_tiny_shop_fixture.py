"""The pipeline on a hand-made landing folder whose KPIs are derived by hand.

The derivation is in tests/fixtures/tiny_shop/README.md and repeated beside each assertion.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import PipelineRun

D = dt.date


@pytest.fixture(scope="module")
def tiny_run(tiny_shop_run: PipelineRun) -> PipelineRun:
    return tiny_shop_run


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
    # O5: 50.00 GBP at Friday 02-27's ECB rates (Sunday has none): USD 1.1805 and GBP 0.8763 per EUR,
    # 50 x 1.1805 / 0.8763 = 67.357 -> 67.36
    assert days[D(2026, 3, 1)]["gmv"] == Decimal("67.36")
    assert days[D(2026, 3, 1)]["new_customers"] == 1
    # O1 (50.00 - 5.00) and O4 (15.00); O3 was restated as cancelled
    assert days[D(2026, 3, 2)]["orders"] == 2
    assert days[D(2026, 3, 2)]["gmv"] == Decimal("65.00")
    assert days[D(2026, 3, 2)]["net_sales"] == Decimal("60.00")
    assert days[D(2026, 3, 2)]["aov"] == pytest.approx(30.00)
    assert days[D(2026, 3, 2)]["new_customers"] == 2
    # O2: 100 EUR x 1.1606 (ECB USD per EUR on 03-03) = 116.06; line discount 10 EUR = 11.606 -> 11.61;
    # net 116.06 - 11.61 = 104.45
    assert days[D(2026, 3, 3)]["gmv"] == Decimal("116.06")
    assert days[D(2026, 3, 3)]["net_sales"] == Decimal("104.45")
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


def test_engagement_duration_persons_and_units(tiny_run: PipelineRun) -> None:
    days = kpi(tiny_run)
    mar2, mar3 = days[D(2026, 3, 2)], days[D(2026, 3, 3)]
    # 03-02: S1 lasts 10:00:00..10:30:20 = 1820 s with 2 page views (engaged); S2 is one event, 0 s
    # (not engaged); a2 lasts 23:50..00:10 = 1200 s with 2 page views (engaged)
    assert mar2["engagement_rate"] == pytest.approx(2 / 3)
    assert mar2["avg_session_duration_seconds"] == pytest.approx((1820 + 0 + 1200) / 3)
    # a1 (both sessions) and a2: two people
    assert mar2["persons"] == 2
    # 03-03: a3 lasts 08:00..08:05 = 300 s and orders (engaged); one person (C2)
    assert mar3["engagement_rate"] == 1
    assert mar3["avg_session_duration_seconds"] == pytest.approx(300)
    assert mar3["persons"] == 1
    # units: O5 2; O1 2 + 1 and O4 1 (its -1 line is quarantined); O2 1
    assert [days[D(2026, 3, d)]["units_sold"] for d in (1, 2, 3, 4)] == [2, 4, 1, 0]
    # nobody has an earlier non-cancelled order: no returning customer on any day
    assert [row["returning_customers"] for row in days.values()] == [0, 0, 0, 0]
    # 03-03: a3 added to cart and ordered: 0 abandoned of 1; 03-02: no cart at all (null); no checkout anywhere
    assert mar3["cart_abandonment_rate"] == 0
    assert mar2["cart_abandonment_rate"] is None
    assert mar3["checkout_abandonment_rate"] is None
    # no marketing_spend files landed
    assert all(row["marketing_spend"] == 0 for row in days.values())


def test_session_and_event_details(tiny_run: PipelineRun) -> None:
    with duckdb.connect(str(tiny_run.serving), read_only=True) as con:
        sessions = con.execute(
            "select anonymous_id, session_start_at, channel_group, funnel_step_reached, time_to_convert_seconds "
            "from marts.fct_sessions where not is_bot order by session_start_at"
        ).fetchall()
        next_seconds = dict(
            con.execute(
                "select message_id, seconds_to_next_event from marts.fct_events where message_id in ('e2', 'e7', 'e9')"
            ).fetchall()
        )
    channels = [(anon, channel) for anon, _, channel, _, _ in sessions]
    # a1's first session came from google (Organic Search); a1's second, a2 and the app session have no referrer
    assert channels == [("a1", "Organic Search"), ("a1", "Direct"), ("a2", "Direct"), ("a3", "Direct")]
    # a1/S1 viewed a product (step 2); a3 added and ordered without a Product Viewed: step 1 only
    assert [s[3] for s in sessions] == [2, 1, 1, 1]
    # a3: 08:00:00 start, Order Completed 08:05:00
    assert sessions[3][4] == 300
    assert all(s[4] is None for s in sessions[:3])
    # e2 10:00:20 -> e3 10:30:20; e7 08:00:00 -> e8 08:01:00; e9 is its session's last event
    assert next_seconds == {"e2": 1800, "e7": 60, "e9": None}


def test_ingest_summary(tiny_run: PipelineRun) -> None:
    with duckdb.connect(str(tiny_run.serving), read_only=True) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "select source, files_loaded, rows_loaded, rows_rejected, duplicate_rows from marts.ingest_summary"
            ).fetchall()
        }
    # events: 7 good lines + 2 bad in the 03-02 file; 4 lines (e9 twice) in the 03-03 file
    assert rows["events"] == (2, 11, 2, 1)
    # orders: 5 + 2 rows, the 2 of the 03-05 file restate O3 and O1
    assert rows["orders"] == (2, 7, 0, 2)
    # order items: 6 good lines, the -1 quantity line rejected
    assert rows["order_items"] == (1, 6, 1, 0)
    # a source with no files still has its row
    assert rows["reviews"] == (0, 0, 0, 0)
