"""Commerce and customer marts on a hand-made shop, every figure derived by hand.

Landing folder: tests/fixtures/commerce_shop (orders restated over three
files, one order cancelled later, a refund a month after its order, USD, EUR
and GBP, a customer who churns and comes back, an order at 23:30 UTC).

The pipeline runs once as shipped (reporting_timezone UTC), then a copy of the
warehouse is rebuilt with reporting_timezone Asia/Tokyo (UTC+9, no DST) and
churn_days 45; most figures below are for the Tokyo build.

FX rates used: the ECB reference rates in seeds/fx_rates.csv (units per 1 EUR);
USD per unit = (USD per EUR) / (currency per EUR) on the same ECB day:
  EUR 2026-01-30 USD 1.1919 -> 1.1919   (Friday: the rate in force on Sat 01-31 and Sun 02-01)
  GBP 2026-02-20 USD 1.1767, GBP 0.8728 -> 1.1767 / 0.8728 = 1.34818973
  EUR 2026-03-05 USD 1.1618 -> 1.1618

Orders, newest version (one load, so the file that sorts last wins):
  OA1  A  2026-01-10 15:00Z  USD  lines 2 x 10.00 + 1 x 5.00   discount_total 3.00 (v1 0.00, v2 2.00, v3 3.00)
       Tokyo date 01-11.  gmv 25.00, discounts 3.00, net 22.00, units 3
  OB1  B  2026-01-31 23:30Z  EUR  1 x 100.00, no discount_total, line discount 0
       UTC date 01-31, Tokyo date 02-01 (08:30).  gmv 100 x 1.1919 = 119.19, net 119.19, units 1
  OC1  C  2026-02-10 12:00Z  USD  cancelled in the last file: in no KPI; C is no customer
  OD1  D  2026-02-20 12:00Z  GBP  2 x 15.00, line discount 3.00 (no discount_total, so the line's counts)
       gmv 30 x 1.34818973 = 40.4456920 -> 40.45, discounts 3 x 1.34818973 = 4.0445692 -> 4.04, net 36.41, units 2
  OA2  A  2026-03-25 12:00Z  USD  1 x 40.00: gmv 40.00, net 40.00, units 1
Refund R1 on OB1, 2026-03-05 10:00Z, 20.00 EUR x 1.1618 = 23.236 -> 23.24, 1 unit.
Marketing spend (USD, google / cpc / winter): 02-10 50.00 for 1,000 impressions and 0 clicks;
02-11 0.00, 0 impressions, 0 clicks. Social posts: IG1 02-12 500 impressions, engagements and
clicks empty; IG2 02-13 everything empty. No events, tickets, reviews, NPS or inventory.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, dbt_build, pipeline_env, run_dbt, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "commerce_shop"
D = dt.date
TOKYO = {"reporting_timezone": "Asia/Tokyo", "churn_days": 45}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, duckdb.DuckDBPyConnection]:
    workdir = tmp_path_factory.mktemp("commerce")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing)
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    tokyo = workdir / "tokyo.duckdb"
    shutil.copy(run.warehouse, tokyo)
    dbt_build(tokyo, workdir / "dbt_target", dbt_vars=TOKYO, full_refresh=True)
    cons = {
        "utc": duckdb.connect(str(run.serving), read_only=True),
        "tokyo": duckdb.connect(str(tokyo), read_only=True),
    }
    yield cons
    for con in cons.values():
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def by_month(con: duckdb.DuckDBPyConnection) -> dict[dt.date, dict]:
    return {r["month_start"]: r for r in rows(con, "select * from marts.kpi_monthly order by month_start")}


def test_order_at_2330_utc_moves_to_the_next_local_day(builds) -> None:
    # OB1 at 2026-01-31 23:30Z: 01-31 in UTC, 02-01 08:30 in Tokyo
    [utc] = rows(builds["utc"], "select order_date from marts.fct_orders where order_id = 'OB1'")
    [tokyo] = rows(builds["tokyo"], "select order_date from marts.fct_orders where order_id = 'OB1'")
    assert utc["order_date"] == D(2026, 1, 31)
    assert tokyo["order_date"] == D(2026, 2, 1)
    # so January holds OA1 + OB1 in UTC, OA1 alone in Tokyo
    assert by_month(builds["utc"])[D(2026, 1, 1)]["orders"] == 2
    assert by_month(builds["tokyo"])[D(2026, 1, 1)]["orders"] == 1
    # and B's cohort moves from January to February
    [b_utc] = rows(builds["utc"], "select cohort_month from marts.dim_customers where customer_id = 'B'")
    [b_tokyo] = rows(builds["tokyo"], "select cohort_month from marts.dim_customers where customer_id = 'B'")
    assert (b_utc["cohort_month"], b_tokyo["cohort_month"]) == (D(2026, 1, 1), D(2026, 2, 1))


def test_restated_and_cancelled_orders(builds) -> None:
    orders = {r["order_id"]: r for r in rows(builds["tokyo"], "select * from marts.fct_orders")}
    # OA1's third version wins: fulfilled, discount 3.00, net 22.00
    assert (orders["OA1"]["status"], orders["OA1"]["discount_total"], orders["OA1"]["net_sales"]) == (
        "fulfilled",
        Decimal("3.00"),
        Decimal("22.00"),
    )
    assert orders["OC1"]["is_cancelled"] and not orders["OA1"]["is_cancelled"]
    # OB1: 100 EUR at 1.1919; OD1: 30 GBP at 1.1767 / 0.8728 less 3 GBP line discount (module docstring)
    assert orders["OB1"]["gmv"] == Decimal("119.19")
    assert (orders["OD1"]["gmv"], orders["OD1"]["discount_total"], orders["OD1"]["net_sales"]) == (
        Decimal("40.45"),
        Decimal("4.04"),
        Decimal("36.41"),
    )


def test_order_items_spread_the_order_discount(builds) -> None:
    items = {r["line_id"]: r for r in rows(builds["tokyo"], "select * from marts.fct_order_items")}
    # OA1's discount_total 3.00 spread by GMV share: 3 x 20/25 = 2.40 and 3 x 5/25 = 0.60
    assert (items["OA1-1"]["discount"], items["OA1-1"]["net_sales"]) == (Decimal("2.40"), Decimal("17.60"))
    assert (items["OA1-2"]["discount"], items["OA1-2"]["net_sales"]) == (Decimal("0.60"), Decimal("4.40"))
    # OD1 keeps its line discount: 3 GBP -> 4.04
    assert items["OD1-1"]["discount"] == Decimal("4.04")


def test_kpi_monthly_in_tokyo(builds) -> None:
    months = by_month(builds["tokyo"])
    # first activity 01-11 (OA1), last 03-25 (OA2): January to March
    assert list(months) == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    jan, feb, mar = months.values()
    # January: OA1 only
    assert (jan["orders"], jan["units_sold"], jan["gmv"], jan["discounts"], jan["net_sales"]) == (
        1,
        3,
        Decimal("25.00"),
        Decimal("3.00"),
        Decimal("22.00"),
    )
    # February: OB1 + OD1 (OC1 cancelled): gmv 119.19 + 40.45, discounts 0 + 4.04, net 119.19 + 36.41
    assert (feb["orders"], feb["units_sold"], feb["gmv"], feb["discounts"], feb["net_sales"]) == (
        2,
        3,
        Decimal("159.64"),
        Decimal("4.04"),
        Decimal("155.60"),
    )
    assert feb["aov"] == pytest.approx(155.60 / 2)
    # March: OA2 40.00; R1 23.24 lands on its refund date (March), not on OB1's month
    assert (mar["orders"], mar["net_sales"], mar["refunds"], mar["net_revenue"]) == (
        1,
        Decimal("40.00"),
        Decimal("23.24"),
        Decimal("16.76"),
    )
    assert feb["refunds"] == Decimal("0.00")
    assert mar["refund_rate"] == pytest.approx(23.24 / 40.00)
    # 1 unit returned over 1 unit sold in March
    assert mar["return_rate_units"] == pytest.approx(1.0)
    # new customers: A in January; B and D in February (C never ordered for real)
    assert [m["new_customers"] for m in months.values()] == [1, 2, 0]
    # A comes back in March: returning 1 of 1 ordering customer
    assert (mar["returning_customers"], mar["ordering_customers"], mar["returning_customer_rate"]) == (1, 1, 1.0)


def test_churn_in_tokyo(builds) -> None:
    # churn_days 45. Churn dates: A 01-11 + 45 = 02-25 (no order before it: next is 03-25);
    # B 02-01 + 45 = 03-18; D 02-20 + 45 = 04-06 (after March); A 03-25 + 45 = 05-09.
    # Active at the 1st = latest earlier order within 45 days before it:
    #   01-01: nobody -> churn rate null; 02-01: A (01-11) -> 1, churned in Feb: A -> 1.0
    #   03-01: window 01-15..02-28 holds B (02-01) and D (02-20), not A -> 2, churned in Mar: B -> 0.5
    jan, feb, mar = by_month(builds["tokyo"]).values()
    assert (jan["active_customers_at_start"], jan["churned_customers"], jan["churn_rate"]) == (0, 0, None)
    assert (feb["active_customers_at_start"], feb["churned_customers"], feb["churn_rate"]) == (1, 1, 1.0)
    assert (mar["active_customers_at_start"], mar["churned_customers"], mar["churn_rate"]) == (2, 1, 0.5)


def test_dim_customers_in_tokyo(builds) -> None:
    customers = {r["customer_id"]: r for r in rows(builds["tokyo"], "select * from marts.dim_customers")}
    assert set(customers) == {"A", "B", "C", "D"}
    a, b, c, d = (customers[k] for k in "ABCD")
    # as-of date = the latest order date, 03-25 (no events in this shop)
    assert a["as_of_date"] == D(2026, 3, 25)
    # A: OA1 22.00 + OA2 40.00, two orders, cohort January, week of Sun 01-11 starts Mon 01-05
    assert (a["orders_count"], a["historical_clv"], a["is_repeat_customer"]) == (2, Decimal("62.00"), True)
    assert (a["cohort_month"], a["cohort_week"], a["is_churned"]) == (D(2026, 1, 1), D(2026, 1, 5), False)
    # B: 119.19 net sales, 23.24 refunded -> CLV 95.95; 03-25 - 02-01 = 52 days >= 45: churned
    assert (b["net_sales"], b["refunds"], b["historical_clv"]) == (
        Decimal("119.19"),
        Decimal("23.24"),
        Decimal("95.95"),
    )
    assert (b["days_since_last_order"], b["is_churned"], b["cohort_week"]) == (52, True, D(2026, 1, 26))
    # C's only order was cancelled: no customer in any KPI
    assert (c["has_ordered"], c["cohort_month"], c["rfm_segment"], c["orders_count"]) == (False, None, None, 0)
    # D: 33 days since 02-20: not churned
    assert (d["days_since_last_order"], d["is_churned"]) == (33, False)
    # no PII column reaches the mart
    assert not {"email", "first_name", "last_name"} & set(a)
    # RFM over A, B, D. Recency days 0 (A), 52 (B), 33 (D), ordered worst first: B, D, A ->
    # percent_rank 0, 0.5, 1 -> scores 1, 3, 5. Frequency 2 (A), 1, 1 -> B and D tie at rank 0 (1), A 1.0 (5).
    # Segments: A R5 F5 champions; D R3 F1 needs_attention; B R1 F1 hibernating.
    assert [(x["recency_score"], x["frequency_score"], x["rfm_segment"]) for x in (a, b, d)] == [
        (5, 5, "champions"),
        (1, 1, "hibernating"),
        (3, 1, "needs_attention"),
    ]


def test_cohorts_and_lifecycle_in_tokyo(builds) -> None:
    cohorts = rows(
        builds["tokyo"],
        "select cohort_month, period_number, cohort_size, active_customers, retention_rate, cumulative_net_revenue "
        "from marts.cohort_retention_monthly order by 1, 2",
    )
    # January cohort {A}: periods 0..2 up to the as-of month (March), February with zeros, A back in March.
    #   revenue: 22.00 in January, 40.00 in March -> cumulative 22, 22, 62
    # February cohort {B, D}: B's refund of 23.24 lands in March: 155.60, then 155.60 - 23.24 = 132.36
    assert [tuple(r.values()) for r in cohorts] == [
        (D(2026, 1, 1), 0, 1, 1, 1.0, Decimal("22.00")),
        (D(2026, 1, 1), 1, 1, 0, 0.0, Decimal("22.00")),
        (D(2026, 1, 1), 2, 1, 1, 1.0, Decimal("62.00")),
        (D(2026, 2, 1), 0, 2, 2, 1.0, Decimal("155.60")),
        (D(2026, 2, 1), 1, 2, 0, 0.0, Decimal("132.36")),
    ]
    lifecycle = rows(
        builds["tokyo"],
        "select customer_id, month_start, lifecycle_status from marts.customer_lifecycle_monthly order by 1, 2",
    )
    # A: new in January, dormant in February, resurrected in March; B and D: new in February, dormant in March
    assert [tuple(r.values()) for r in lifecycle] == [
        ("A", D(2026, 1, 1), "new"),
        ("A", D(2026, 2, 1), "dormant"),
        ("A", D(2026, 3, 1), "resurrected"),
        ("B", D(2026, 2, 1), "new"),
        ("B", D(2026, 3, 1), "dormant"),
        ("D", D(2026, 2, 1), "new"),
        ("D", D(2026, 3, 1), "dormant"),
    ]


def test_orders_without_a_session_fall_in_unknown(builds) -> None:
    # no events in this shop: every order is in the unknown segment, sessions are 0
    segments = rows(
        builds["tokyo"],
        "select device_category, platform, channel_group, sum(orders) as orders, sum(sessions) as sessions "
        "from marts.kpi_daily_by_segment group by all",
    )
    assert segments == [
        {"device_category": "unknown", "platform": "unknown", "channel_group": "unknown", "orders": 4, "sessions": 0}
    ]


def test_a_currency_without_a_rate_fails_the_build_loudly(tmp_path) -> None:
    # one more order in XYZ, a currency neither the ECB seed nor a landed
    # fx_rates/ file knows: the build must stop (instead of the order's revenue
    # turning into a null that sums as nothing), with a message naming the
    # currency, the first date without a rate and how to add rates
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    (landing / "orders" / "2026-03-27.csv").write_text(
        "order_id,customer_id,created_at,status,currency,subtotal,discount_total,shipping_total,tax_total,total,"
        "payment_method,source_name\n"
        "OX1,A,2026-03-26T12:00:00Z,paid,XYZ,10.00,0.00,0,0,10.00,credit_card,web\n"
    )
    env = pipeline_env(tmp_path, landing)
    subprocess.run(
        [sys.executable, "-m", "orchestration.loading"], cwd=REPO_ROOT, env=env, check=True, capture_output=True
    )
    result = dbt_build(Path(env["ECOM_WAREHOUSE"]), tmp_path / "dbt_target", check=False)
    assert result.returncode != 0
    assert "Missing fx rates to convert to the reporting currency USD" in result.stdout
    assert "XYZ: no rate on 2026-03-26 (the first order_date without one" in result.stdout
    assert "fx_rates/ landing folder" in result.stdout and "make fx-seed" in result.stdout


def test_a_ratio_is_zero_over_a_zero_numerator_and_null_over_a_zero_denominator(builds) -> None:
    # Issue 17: refund_rate was null in a month with sales and no refunds. Tokyo months (module docstring):
    #   Jan: OA1, 1 order, 3 units, net 22.00, no refund; A new; no spend
    #   Feb: OB1 + OD1, 2 orders, 3 units, net 155.60, no refund; B and D new; spend 50.00 (02-10, Winter)
    #   Mar: OA2, 1 order, 1 unit, net 40.00; R1 23.24 with 1 unit; no new customer (A returns)
    # No support ticket, review, NPS response, inventory snapshot or session lands in this shop.
    jan, feb, mar = by_month(builds["tokyo"]).values()
    # 0 refunds / net sales 22.00 and 155.60 = 0 (not null); March 23.24 / 40.00
    assert [m["refund_rate"] for m in (jan, feb, mar)] == [0.0, 0.0, pytest.approx(23.24 / 40.00)]
    # 0 returned units / 3 units sold = 0; March 1 / 1
    assert [m["return_rate_units"] for m in (jan, feb, mar)] == [0.0, 0.0, 1.0]
    # no complaint ticket and no review over 1, 2 and 1 orders: 0 each month (the operations
    # aggregate has no row for these months, which used to leave the rates null)
    assert [(m["complaint_tickets"], m["complaint_rate"]) for m in (jan, feb, mar)] == [(0, 0.0)] * 3
    assert [(m["reviews"], m["review_rate"], m["avg_rating"]) for m in (jan, feb, mar)] == [(0, 0.0, None)] * 3
    # nobody orders twice in a month: repeat rate 0/1, 0/2, 0/1; returning 0/1, 0/2, then A 1/1
    assert [m["repeat_purchase_rate"] for m in (jan, feb, mar)] == [0.0, 0.0, 0.0]
    assert [m["returning_customer_rate"] for m in (jan, feb, mar)] == [0.0, 0.0, 1.0]
    # CAC: 0 spend / 1 new customer = 0; 50.00 / 2 = 25; March has no new customer: null
    assert [(m["marketing_spend"], m["new_customers"]) for m in (jan, feb, mar)] == [
        (Decimal("0.00"), 1),
        (Decimal("50.00"), 2),
        (Decimal("0.00"), 0),
    ]
    assert [m["cac"] for m in (jan, feb, mar)] == [0.0, 25.0, None]
    # zero denominators: no session (every session rate), no NPS response, no inventory snapshot
    # (no product-day, no average inventory value), nobody active on January 1st: null
    for month in (jan, feb, mar):
        assert month["sessions"] == 0 and month["nps_responses"] == 0 and month["product_days"] == 0
        for rate in ("bounce_rate", "engagement_rate", "conversion_rate", "cart_abandonment_rate",
                     "checkout_abandonment_rate", "mobile_traffic_share", "avg_session_duration_seconds",
                     "nps", "stockout_rate", "inventory_turnover"):  # fmt: skip
            assert month[rate] is None, rate
    assert (jan["active_customers_at_start"], jan["churn_rate"]) == (0, None)
    # push opt-in: A and D of the 4 customers (all created 01-01): 2 / 4 in every month
    assert [(m["push_opt_ins"], m["customers_to_date"], m["push_opt_in_rate"]) for m in (jan, feb, mar)] == [
        (2, 4, 0.5)
    ] * 3


def test_marketing_and_social_ratios_over_zeros(builds) -> None:
    # marketing_spend/2026-03-26.csv: google / cpc / winter
    #   02-10: spend 50.00, 1,000 impressions, 0 clicks; no session, no order credited to it
    #     CTR 0 / 1,000 = 0; CPC 50 / 0 clicks: null; CPM 50 / 1,000 x 1000 = 50;
    #     ROAS 0 attributed / 50.00 = 0 for every model (it was null: no credit row to join)
    #   02-11: spend 0.00, 0 impressions, 0 clicks: CTR, CPC, CPM and every ROAS null
    winter = {
        r["date_day"]: r for r in rows(builds["tokyo"], "select * from marts.marketing_daily where campaign = 'winter'")
    }
    assert sorted(winter) == [D(2026, 2, 10), D(2026, 2, 11)]
    paid, free = winter[D(2026, 2, 10)], winter[D(2026, 2, 11)]
    assert paid["channel_group"] == "Paid Search"
    assert (paid["ctr"], paid["cpc"], paid["cpm"]) == (0.0, None, pytest.approx(50.0))
    models = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"]
    assert [paid[f"roas_{m}"] for m in models] == [0.0] * 6
    assert (free["ctr"], free["cpc"], free["cpm"]) == (None, None, None)
    assert [free[f"roas_{m}"] for m in models] == [None] * 6
    # cac_monthly, February: Paid Search 50.00 over 0 new customers: null; Direct (B's and D's first
    # orders have no session) 0 spend over 2 new customers: 0
    feb = {
        r["channel_group"]: r
        for r in rows(builds["tokyo"], "select * from marts.cac_monthly where month_start = '2026-02-01'")
    }
    assert (feb["Paid Search"]["spend"], feb["Paid Search"]["new_customers"], feb["Paid Search"]["cac"]) == (
        Decimal("50.00"),
        0,
        None,
    )
    assert (feb["Direct"]["spend"], feb["Direct"]["new_customers"], feb["Direct"]["cac"]) == (Decimal("0.00"), 2, 0.0)
    # social_posts/2026-03-26.csv: IG1 500 impressions, engagements and clicks empty (0): both rates 0;
    # IG2 no impressions: both rates null
    posts = {r["post_id"]: r for r in rows(builds["tokyo"], "select * from marts.social_daily")}
    assert (posts["IG1"]["engagements"], posts["IG1"]["engagement_rate"], posts["IG1"]["ctr"]) == (0, 0.0, 0.0)
    assert (posts["IG2"]["impressions"], posts["IG2"]["engagement_rate"], posts["IG2"]["ctr"]) == (0, None, None)


def test_the_ratio_test_fails_a_null_zero_or_wrong_ratio(builds, tmp_path) -> None:
    # The generic test ratio_is_consistent, compiled by dbt over a table ratio_cases, run on rows whose
    # verdict is known. First the built kpi_monthly refund rates: all pass; then the same with the
    # reported bug put back (null where no refund landed): January and February fail.
    call = (
        "{{ test_ratio_is_consistent(model='ratio_cases', column_name='ratio', "
        "numerator='numerator', denominator='denominator') }}"
    )
    compiled = run_dbt(
        ["compile", "--quiet", "--inline", call], tmp_path / "target", {"ECOM_WAREHOUSE": str(tmp_path / "c.duckdb")}
    ).stdout
    months = rows(builds["tokyo"], "select month_start, refunds, net_sales, refund_rate from marts.kpi_monthly")
    cases = [(f"built {m['month_start']}", m["refunds"], m["net_sales"], m["refund_rate"]) for m in months]
    cases += [
        (f"bug {m['month_start']}", m["refunds"], m["net_sales"], None if m["refunds"] == 0 else m["refund_rate"])
        for m in months
    ]
    cases += [
        ("3 / 10", 3, 10, 0.3),
        ("nothing to divide", None, None, None),
        ("3 / 0", 3, 0, None),
        ("0 / 0 given 0", 0, 0, 0.0),
        ("0 / 10 given 0.1", 0, 10, 0.1),
        ("3 / 10 given 0.31", 3, 10, 0.31),
        ("null / 10", None, 10, None),
    ]
    with duckdb.connect() as con:
        con.execute(
            "create table ratio_cases (name varchar, numerator decimal(18, 2), denominator decimal(18, 2), ratio double)"
        )
        con.executemany("insert into ratio_cases values (?, ?, ?, ?)", cases)
        failures = dict(con.execute(f"select name, failure from ({compiled}) as t order by name").fetchall())
    assert failures == {
        "0 / 0 given 0": "a ratio where the denominator is 0 or null",
        "0 / 10 given 0.1": "a ratio that is not 0 over a 0 numerator",
        "3 / 10 given 0.31": "a ratio that differs from 1 x numerator / denominator",
        "bug 2026-01-01": "a null ratio over a denominator that is not 0 (zero-fill its numerator)",
        "bug 2026-02-01": "a null ratio over a denominator that is not 0 (zero-fill its numerator)",
        "null / 10": "a null ratio over a denominator that is not 0 (zero-fill its numerator)",
    }
