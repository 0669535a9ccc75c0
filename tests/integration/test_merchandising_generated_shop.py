"""product_daily and landing_pages_daily on the generated shop, against plain Python over the landed files.

Nothing here reads a model: sessions come from tests/independent.py's sessionization of the landed
events, orders and their lines from the landed CSVs (newest version per key), with the line
allocation of kpi-definitions.md worked out again below. The generated shop sends Product List
Viewed without products[], and no Product Clicked, Product Removed, search or promotion events,
so those measures are 0 here; the hand-made fixture (test_merchandising_fixture.py) covers them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, loaded_at_bound
from tests.independent import (
    cents,
    fx_rates,
    latest_rows,
    orders_truth,
    parse_ts,
    rate_on,
    sessions_truth,
    valid_events,
    valid_order,
    valid_order_item,
)
from tests.integration.test_semantic_layer import close, mf_query

pytestmark = pytest.mark.slow
FX_SEED = REPO_ROOT / "seeds" / "fx_rates.csv"
PRODUCT_EVENTS = {"Product Viewed": "product_views", "Product Added": "adds_to_cart"}


def query(run: PipelineRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.serving), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def kpi_sessions(generated_run: PipelineRun) -> tuple[dict[str, dict], list[dict]]:
    events = valid_events(generated_run.landing, loaded_at_bound())
    return events, [s for s in sessions_truth(events) if not s["is_bot"]]


def line_net_sales(landing) -> dict[tuple[dt.date, str], dict[str, Decimal | int | set]]:
    """Per (order date, product) over non-cancelled orders: orders, units and net sales in USD.

    Each line's GMV and discount (the order's discount_total spread by GMV share, else the line's own)
    are converted and rounded to the cent, and the cents lost to rounding go to the order's largest
    line (then the smallest line_id), so the lines add up to the order's rounded totals."""
    orders = latest_rows(landing, "orders", ("order_id",), valid_order)
    items = latest_rows(landing, "order_items", ("order_id", "line_id"), valid_order_item)
    lines: dict[str, list[dict]] = defaultdict(list)
    for (order_id, _), row in items.items():
        lines[order_id].append(row)
    rates = fx_rates(FX_SEED)
    result: dict[tuple[dt.date, str], dict] = defaultdict(lambda: {"orders": set(), "units": 0, "net": Decimal(0)})
    for (order_id,), order in orders.items():
        if order["status"] == "cancelled" or not lines[order_id]:
            continue
        day = parse_ts(order["created_at"]).date()
        rate = rate_on(rates, order["currency"], day) / rate_on(rates, "USD", day)
        gmv_local = {r["line_id"]: Decimal(r["quantity"]) * Decimal(r["unit_price"]) for r in lines[order_id]}
        order_gmv = sum(gmv_local.values())
        if order.get("discount_total"):
            discount_local = {k: Decimal(order["discount_total"]) * v / order_gmv for k, v in gmv_local.items()}
            order_discount = Decimal(order["discount_total"])
        else:
            discount_local = {r["line_id"]: Decimal(r.get("discount") or "0") for r in lines[order_id]}
            order_discount = sum(discount_local.values())
        gmv = {k: cents(float(v) * rate) for k, v in gmv_local.items()}
        discount = {k: cents(float(v) * rate) for k, v in discount_local.items()}
        largest = min(gmv_local, key=lambda k: (-gmv_local[k], k))
        gmv[largest] += cents(float(order_gmv) * rate) - sum(gmv.values())
        discount[largest] += cents(float(order_discount) * rate) - sum(discount.values())
        for row in lines[order_id]:
            entry = result[(day, row["product_id"])]
            entry["orders"].add(order_id)
            entry["units"] += int(row["quantity"])
            entry["net"] += gmv[row["line_id"]] - discount[row["line_id"]]
    return result


def product_of(msg: dict) -> str | None:
    properties = msg.get("properties") or {}
    return properties.get("product_id") or properties.get("id")


def test_product_events_and_rates_match_an_independent_count(
    generated_run: PipelineRun, kpi_sessions: tuple[dict[str, dict], list[dict]]
) -> None:
    events, sessions = kpi_sessions
    counts: Counter = Counter()
    viewed: Counter = Counter()
    viewed_and_added: Counter = Counter()
    for session in sessions:
        seen: dict[str, set[str]] = defaultdict(set)
        for message_id in session["message_ids"]:
            msg = events[message_id]["msg"]
            column = PRODUCT_EVENTS.get(msg.get("event"))
            if column and product_of(msg):
                counts[(events[message_id]["ts"].date(), product_of(msg), column)] += 1
                seen[product_of(msg)].add(column)
        for product, columns in seen.items():
            if "product_views" in columns:
                viewed[(session["session_date"], product)] += 1
                viewed_and_added[(session["session_date"], product)] += "adds_to_cart" in columns
    assert sum(counts.values()) > 1000 and sum(viewed_and_added.values()) > 100

    mart = query(
        generated_run,
        "select date_day, product_id, product_views, adds_to_cart, sessions_with_view, sessions_with_view_and_add, "
        "view_to_cart_rate, list_views, product_clicks, removes_from_cart from marts.product_daily",
    )
    for day, product, views, adds, with_view, with_both, rate, *absent in mart:
        assert (views, adds) == (counts[(day, product, "product_views")], counts[(day, product, "adds_to_cart")])
        assert (with_view, with_both) == (viewed[(day, product)], viewed_and_added[(day, product)]), (day, product)
        assert rate == (with_both / with_view if with_view else None)
        assert absent == [0, 0, 0], "the generator sends no products[] lists, clicks or removes"
    in_mart = {(day, product) for day, product, *_ in mart}
    assert {(day, product) for day, product, _ in counts} <= in_mart
    assert set(viewed) <= in_mart


def test_product_units_and_net_sales_match_the_landed_order_lines(generated_run: PipelineRun) -> None:
    truth = line_net_sales(generated_run.landing)
    mart = {
        (day, product): (orders, units, net)
        for day, product, orders, units, net in query(
            generated_run,
            "select date_day, product_id, orders, units_sold, net_sales from marts.product_daily "
            "where orders > 0 or units_sold > 0 or net_sales <> 0",
        )
    }
    expected = {key: (len(v["orders"]), v["units"], v["net"]) for key, v in truth.items()}
    assert len(expected) > 500
    assert mart == expected


def test_estimated_lost_sales_follow_the_rule(generated_run: PipelineRun) -> None:
    """The 28-day rule over the landed inventory and the independent line net sales."""
    truth = line_net_sales(generated_run.landing)
    inventory = latest_rows(
        generated_run.landing, "inventory", ("snapshot_date", "product_id"), lambda r: r.get("on_hand")
    )
    on_hand = {(dt.date.fromisoformat(d), p): int(row["on_hand"]) for (d, p), row in inventory.items()}
    expected = {}
    for (day, product), units in on_hand.items():
        if units > 0:
            continue
        window = [day - dt.timedelta(days=n) for n in range(1, 29)]
        in_stock = [d for d in window if on_hand.get((d, product), 0) > 0]
        sales = sum((truth[(d, product)]["net"] for d in in_stock if (d, product) in truth), Decimal(0))
        expected[(day, product)] = (len(in_stock), cents(sales / len(in_stock)) if in_stock else None)
    mart = {
        (day, product): (days, lost)
        for day, product, days, lost in query(
            generated_run,
            "select date_day, product_id, trailing_in_stock_days, estimated_lost_sales from marts.product_daily "
            "where is_stockout",
        )
    }
    assert len(expected) > 20 and any(lost for _, lost in expected.values())
    assert mart == expected


def test_landing_pages_match_an_independent_sessionization(
    generated_run: PipelineRun, kpi_sessions: tuple[dict[str, dict], list[dict]]
) -> None:
    events, sessions = kpi_sessions
    orders = orders_truth(generated_run.landing, FX_SEED)
    truth: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal("0.00")])
    linked: dict[str, tuple] = {}
    for session in sessions:
        key = (session["session_date"], session["landing_page"] or "(not set)")
        row = truth[key]
        row[0] += 1
        row[1] += session["is_bounce"]
        row[2] += session["is_converted"]
        for message_id in session["message_ids"]:
            msg = events[message_id]["msg"]
            order_id = (msg.get("properties") or {}).get("order_id")
            if msg.get("event") == "Order Completed" and order_id in orders and not orders[order_id]["is_cancelled"]:
                # an order completed twice links to its first session (fct_orders.session_id)
                linked[order_id] = min(linked.get(order_id, (dt.datetime.max, key)), (events[message_id]["ts"], key))
    for order_id, (_, key) in linked.items():
        truth[key][3] += 1
        truth[key][4] += orders[order_id]["net_sales"]
    mart = {
        (day, page): [entrances, bounces, converted, orders_count, net_sales]
        for day, page, entrances, bounces, converted, orders_count, net_sales in query(
            generated_run,
            "select date_day, landing_page, entrances, bounces, converted_sessions, orders, net_sales "
            "from marts.landing_pages_daily",
        )
    }
    assert len(truth) > 100
    assert mart == dict(truth)


def test_semantic_layer_answers_as_the_marts(generated_run: PipelineRun, tmp_path: Path) -> None:
    """`mf query` over product_daily (with dim_products' category) and landing_pages_daily equals SQL
    over the marts: counts exact, money to the cent, ratios (sum / sum) to 1e-9."""
    metrics = ["product_views", "product_units_sold", "product_estimated_lost_sales", "view_to_cart_rate"]
    answers = {
        (r["metric_time__month"][:10], r["product__category"]): r
        for r in mf_query(generated_run, tmp_path, metrics, ["metric_time__month", "product__category"])
    }
    expected = query(
        generated_run,
        """
        select cast(date_trunc('month', date_day) as date), products.category, sum(product_views), sum(units_sold),
               sum(coalesce(estimated_lost_sales, 0)), sum(sessions_with_view_and_add) / nullif(sum(sessions_with_view), 0)
        from marts.product_daily left join marts.dim_products as products using (product_id) group by all
        """,
    )
    assert len(expected) >= 4 and set(answers) == {(str(m), c) for m, c, *_ in expected}
    for month, category, views, units, lost, rate in expected:
        answer = answers[(str(month), category)]
        assert int(answer["product_views"]) == views and int(answer["product_units_sold"]) == units
        assert close(answer["product_estimated_lost_sales"], lost, 0.005), (month, category, answer, lost)
        assert close(answer["view_to_cart_rate"], rate, 1e-9), (month, category, answer, rate)

    pages = {
        r["landing_page_day__landing_page"]: r
        for r in mf_query(
            generated_run,
            tmp_path,
            ["landing_page_entrances", "landing_page_conversion_rate", "landing_page_net_sales"],
            ["landing_page_day__landing_page"],
        )
    }
    expected = query(
        generated_run,
        "select landing_page, sum(entrances), sum(converted_sessions) / sum(entrances), sum(net_sales) "
        "from marts.landing_pages_daily group by all",
    )
    assert len(expected) > 10 and set(pages) == {page for page, *_ in expected}
    for page, entrances, conversion_rate, net_sales in expected:
        assert int(pages[page]["landing_page_entrances"]) == entrances
        assert close(pages[page]["landing_page_conversion_rate"], conversion_rate, 1e-9), page
        assert close(pages[page]["landing_page_net_sales"], net_sales, 0.005), page
