"""Product, landing-page, site-search, promotion and coupon marts on a hand-made shop (June 2026, USD, UTC).

Landing folder: tests/fixtures/merch_shop. Every figure below is derived by hand from its files.

Products P1 (10.00), P2 (30.00), P3 (20.00).
Orders: O1 C1 06-02 10:10 web: L1 2 x P1 at 10.00 = 20.00, L2 1 x P2 at 30.00 = 30.00; GMV 50.00,
        discount_total 5.00 spread by GMV share: P1 5 x 20/50 = 2.00, P2 5 x 30/50 = 3.00, so net P1 18.00,
        P2 27.00, order net 45.00.
        O2 C2 06-03 POS (no event): 1 x P1 = 10.00, no discount.
        O3 C3 06-04 cancelled (P3): out of every figure.
Refund R1 06-04: 27.00 of O1, product P2, quantity 1.
Inventory: P1 on hand 5 on 06-01 .. 06-04, 0 on 06-05; P2 0 on 06-05 (its only snapshot); P3 none.

Sessions (web, UTC; the Googlebot session bot1 on 06-02 views P1 and is left out of everything):
  A (a1, 06-02 10:00, lands on /collections/socks): 10:01 Product List Viewed [P1, P2, P1] (P1 counted once),
    10:02 Product Clicked P1, 10:03 Product Viewed P1, 10:04 Product Added P1, 10:05 Products Searched " Shoes ",
    10:06 Product Viewed P2, 10:07 Promotion Viewed PR1 "Summer", 10:08 Promotion Clicked PR1,
    10:09 Checkout Started [P1], 10:10 Order Completed O1 coupon "welcome10 " (links O1 to A).
  B (a2, 06-02 12:00, lands on /): 12:01 Product Viewed P3, 12:02 Product Added P3, 12:03 Product Removed P3,
    12:04 Products Searched "Hat", 12:05 Products Searched " HAT" (no Product Viewed after either).
  C (a3, 06-03 09:00): one page view of / and nothing else: a bounce.
  D (a4, 06-05 09:00, lands on /products/sku-1): 09:01 Product Viewed P1, 09:02 Promotion Viewed PR1,
    09:03 Product List Viewed [{"id": "P2"}] (spec v1 key), 09:04 Promotion Clicked with only name "Banner".
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, run_pipeline

pytestmark = pytest.mark.slow

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "merch_shop"
D = dt.date


@pytest.fixture(scope="module")
def merch_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("merch")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing, ignore=shutil.ignore_patterns("README.md"))
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def rows(run: PipelineRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        return con.execute(sql).fetchall()


PRODUCT_COLUMNS = (
    "date_day, product_id, list_views, product_clicks, product_views, adds_to_cart, removes_from_cart, "
    "checkouts_started, orders, units_sold, gmv, discounts, net_sales, refunds, units_refunded, "
    "sessions_with_view, sessions_with_view_and_add, sessions_with_add, sessions_with_add_and_purchase, "
    "view_to_cart_rate, cart_to_purchase_rate, on_hand, is_stockout, trailing_in_stock_days, estimated_lost_sales"
)
Z = Decimal("0.00")


def test_product_daily_by_hand(merch_run: PipelineRun) -> None:
    expected = [
        # 06-01 P1: only its snapshot (5 on hand): in stock, nothing lost
        (D(2026, 6, 1), "P1", 0, 0, 0, 0, 0, 0, 0, 0, Z, Z, Z, Z, 0, 0, 0, 0, 0, None, None, 5, False, None, Z),
        # 06-02 P1: list view m2 (listed twice, once), click m3, view m4, add m5, checkout m10 lists it;
        # O1 line L1: 1 order, 2 units, GMV 20.00, discount 2.00, net 18.00. Session A viewed and added
        # it (1/1) and its order O1 has a P1 line (1/1). Snapshot 5: in stock.
        (
            D(2026, 6, 2),
            "P1",
            1,
            1,
            1,
            1,
            0,
            1,
            1,
            2,
            Decimal("20.00"),
            Decimal("2.00"),
            Decimal("18.00"),
            Z,
            0,
            1,
            1,
            1,
            1,
            1.0,
            1.0,
            5,
            False,
            None,
            Z,
        ),
        # 06-02 P2: listed in m2, viewed in m7 (after the search); O1 line L2: 30.00 - 3.00 = 27.00.
        # Session A viewed it but never added it: view-to-cart 0/1, no adding session: null.
        # No snapshot that day: on hand and stock-out unknown (null), nothing lost.
        (
            D(2026, 6, 2),
            "P2",
            1,
            0,
            1,
            0,
            0,
            0,
            1,
            1,
            Decimal("30.00"),
            Decimal("3.00"),
            Decimal("27.00"),
            Z,
            0,
            1,
            0,
            0,
            0,
            0.0,
            None,
            None,
            None,
            None,
            Z,
        ),
        # 06-02 P3: session B viewed (m13), added (m14) and removed (m15) it and bought nothing: 1/1, 0/1
        (D(2026, 6, 2), "P3", 0, 0, 1, 1, 1, 0, 0, 0, Z, Z, Z, Z, 0, 1, 1, 1, 0, 1.0, 0.0, None, None, None, Z),
        # 06-03 P1: O2 (POS, no session) 1 x 10.00
        (
            D(2026, 6, 3),
            "P1",
            0,
            0,
            0,
            0,
            0,
            0,
            1,
            1,
            Decimal("10.00"),
            Z,
            Decimal("10.00"),
            Z,
            0,
            0,
            0,
            0,
            0,
            None,
            None,
            5,
            False,
            None,
            Z,
        ),
        # 06-04 P1: its snapshot only; P2: refund R1 27.00, 1 unit, on the refund date. (O3's P3 is cancelled.)
        (D(2026, 6, 4), "P1", 0, 0, 0, 0, 0, 0, 0, 0, Z, Z, Z, Z, 0, 0, 0, 0, 0, None, None, 5, False, None, Z),
        (
            D(2026, 6, 4),
            "P2",
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            Z,
            Z,
            Z,
            Decimal("27.00"),
            1,
            0,
            0,
            0,
            0,
            None,
            None,
            None,
            None,
            None,
            Z,
        ),
        # 06-05 P1: viewed by D (0 adds: 0/1). Out of stock; window 05-08 .. 06-04 has 4 in-stock days
        # (06-01 .. 06-04) with net sales 18.00 + 10.00 = 28.00: lost 28.00 / 4 = 7.00.
        (
            D(2026, 6, 5),
            "P1",
            0,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            Z,
            Z,
            Z,
            Z,
            0,
            1,
            0,
            0,
            0,
            0.0,
            None,
            0,
            True,
            4,
            Decimal("7.00"),
        ),
        # 06-05 P2: listed by m21 (v1 "id"); out of stock with no in-stock day in its window: no estimate (null)
        (D(2026, 6, 5), "P2", 1, 0, 0, 0, 0, 0, 0, 0, Z, Z, Z, Z, 0, 0, 0, 0, 0, None, None, 0, True, 0, None),
    ]
    assert rows(merch_run, f"select {PRODUCT_COLUMNS} from marts.product_daily order by date_day, product_id") == (
        expected
    )


def test_landing_pages_daily_by_hand(merch_run: PipelineRun) -> None:
    expected = [
        # B landed on / (tracks after: no bounce), bought nothing
        (D(2026, 6, 2), "/", 1, 0, 0.0, 0, 0.0, 0, Z),
        # A: converted with O1, net 45.00 (50.00 - 5.00)
        (D(2026, 6, 2), "/collections/socks", 1, 0, 0.0, 1, 1.0, 1, Decimal("45.00")),
        # C: a bounce
        (D(2026, 6, 3), "/", 1, 1, 1.0, 0, 0.0, 0, Z),
        (D(2026, 6, 5), "/products/sku-1", 1, 0, 0.0, 0, 0.0, 0, Z),
    ]
    assert (
        rows(
            merch_run,
            "select date_day, landing_page, entrances, bounces, bounce_rate, converted_sessions, conversion_rate, "
            "orders, net_sales from marts.landing_pages_daily order by date_day, landing_page",
        )
        == expected
    )


def test_site_search_daily_by_hand(merch_run: PipelineRun) -> None:
    expected = [
        # "Hat" and " HAT" are one term; neither search is followed by a product view; B never orders
        (D(2026, 6, 2), "hat", 2, 2, 1.0, 1, 0, 0.0),
        # " Shoes ": P2 viewed at 10:06 after the 10:05 search; O1 completed at 10:10, after it
        (D(2026, 6, 2), "shoes", 1, 0, 0.0, 1, 1, 1.0),
    ]
    assert (
        rows(
            merch_run,
            "select date_day, search_term, searches, searches_without_product_view, no_product_view_rate, "
            "searching_sessions, converted_sessions, conversion_rate from marts.site_search_daily order by 1, 2",
        )
        == expected
    )


def test_promotions_daily_by_hand(merch_run: PipelineRun) -> None:
    expected = [
        # A viewed and clicked PR1 (10:08), then completed O1 (10:10, net 45.00)
        (D(2026, 6, 2), "PR1", "Summer", 1, 1, 1.0, 1, 1, Decimal("45.00")),
        # D clicked a promotion with a name and no id: the name is its id; clicks without views: CTR null
        (D(2026, 6, 5), "Banner", "Banner", 0, 1, None, 1, 0, Z),
        # D saw PR1 and did not click it
        (D(2026, 6, 5), "PR1", "Summer", 1, 0, 0.0, 0, 0, Z),
    ]
    assert (
        rows(
            merch_run,
            "select date_day, promotion_id, promotion_name, promotion_views, promotion_clicks, click_through_rate, "
            "clicking_sessions, orders_after_click, net_sales_after_click from marts.promotions_daily order by 1, 2",
        )
        == expected
    )


def test_coupons_by_hand(merch_run: PipelineRun) -> None:
    # "welcome10 " on O1's Order Completed, trimmed and uppercased; O1: GMV 50.00, discount 5.00, net 45.00
    assert rows(merch_run, "select * from marts.coupons") == [
        ("WELCOME10", 1, 1, D(2026, 6, 2), D(2026, 6, 2), Decimal("50.00"), Decimal("5.00"), Decimal("45.00"))
    ]


def test_days_follow_the_reporting_time_zone(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same shop with reporting_timezone Pacific/Auckland (UTC+12 in June): every date is local.

    A (10:00-10:10 UTC) stays on 06-02 (22:00 local); B (12:00 UTC) starts at 00:00 on 06-03, so its
    P3 events, its "hat" searches and its entrance on / move to 06-03, where C (09:00 UTC, 21:00
    local) bounces on / too; O2 (06-03 15:00 UTC) is ordered on 06-04 at 03:00. The inventory's
    dates are calendar dates already: P1's lost sales on 06-05 are still (18.00 + 10.00) / 4 = 7.00.
    """
    workdir = tmp_path_factory.mktemp("merch_auckland")
    landing = workdir / "landing"
    shutil.copytree(FIXTURE, landing, ignore=shutil.ignore_patterns("README.md"))
    run = run_pipeline(workdir, landing, extra_env={"ECOM_DBT_VARS": '{"reporting_timezone": "Pacific/Auckland"}'})
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    assert rows(
        run,
        "select date_day, product_id, product_views, orders, net_sales, estimated_lost_sales from marts.product_daily "
        "where product_views > 0 or orders > 0 or is_stockout order by 1, 2",
    ) == [
        (D(2026, 6, 2), "P1", 1, 1, Decimal("18.00"), Z),
        (D(2026, 6, 2), "P2", 1, 1, Decimal("27.00"), Z),
        (D(2026, 6, 3), "P3", 1, 0, Z, Z),
        (D(2026, 6, 4), "P1", 0, 1, Decimal("10.00"), Z),
        (D(2026, 6, 5), "P1", 1, 0, Z, Decimal("7.00")),
        (D(2026, 6, 5), "P2", 0, 0, Z, None),
    ]
    assert rows(
        run, "select date_day, landing_page, entrances, bounces from marts.landing_pages_daily order by 1, 2"
    ) == [
        (D(2026, 6, 2), "/collections/socks", 1, 0),
        (D(2026, 6, 3), "/", 2, 1),
        (D(2026, 6, 5), "/products/sku-1", 1, 0),
    ]
    assert rows(run, "select date_day, search_term, searches from marts.site_search_daily order by 1, 2") == [
        (D(2026, 6, 2), "shoes", 1),
        (D(2026, 6, 3), "hat", 2),
    ]
