"""The real pipeline on a generated shop, checked against plain-Python computations over the landed files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter, defaultdict
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, loaded_at_bound, run_pipeline
from tests.independent import (
    last_touch_sales_by_campaign,
    nps_by_month,
    orders_truth,
    refunds_truth,
    sessions_truth,
    spend_by_campaign,
    spend_truth,
    valid_events,
)

pytestmark = pytest.mark.slow
FX_SEED = REPO_ROOT / "seeds" / "fx_rates.csv"


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_orders_and_revenue_match_the_landed_csvs(generated_run: PipelineRun) -> None:
    truth = orders_truth(generated_run.landing, FX_SEED)
    kept = [o for o in truth.values() if not o["is_cancelled"]]
    assert len(kept) > 50, "the generated shop should have a fair number of orders"
    assert any(o["is_cancelled"] for o in truth.values()), "the generator restates some orders as cancelled"

    orders, gmv, net_sales = query(
        generated_run.serving, "select sum(orders), sum(gmv), sum(net_sales) from marts.kpi_daily"
    )[0]
    assert orders == len(kept)
    assert gmv == sum(o["gmv"] for o in kept)
    assert net_sales == sum(o["net_sales"] for o in kept)

    per_day = Counter(o["order_date"] for o in kept)
    mart_days = dict(query(generated_run.serving, "select date_day, orders from marts.kpi_daily where orders > 0"))
    assert mart_days == dict(per_day)


def test_new_customers_are_first_non_cancelled_orders(generated_run: PipelineRun) -> None:
    truth = orders_truth(generated_run.landing, FX_SEED)
    first_day: dict[str, dt.date] = {}
    for order in sorted((o for o in truth.values() if not o["is_cancelled"]), key=lambda o: o["ordered_at"]):
        first_day.setdefault(order["customer_id"], order["order_date"])
    expected = Counter(first_day.values())
    actual = dict(
        query(generated_run.serving, "select date_day, new_customers from marts.kpi_daily where new_customers > 0")
    )
    assert actual == dict(expected)


def test_sessions_and_conversions_match_an_independent_sessionization(generated_run: PipelineRun) -> None:
    events = valid_events(generated_run.landing, loaded_at_bound())
    sessions = [s for s in sessions_truth(events) if not s["is_bot"]]
    assert len(sessions) > 1000
    by_day = Counter(s["session_date"] for s in sessions)
    converted = sum(s["is_converted"] for s in sessions)
    mart = dict(query(generated_run.serving, "select date_day, sessions from marts.kpi_daily where sessions > 0"))
    assert mart == dict(by_day)
    (mart_converted,) = query(generated_run.serving, "select sum(converted_sessions) from marts.kpi_daily")[0]
    assert mart_converted == converted


def test_every_bad_line_is_quarantined_with_its_reason(generated_run: PipelineRun) -> None:
    manifest = json.loads((generated_run.landing / "_generator_manifest.json").read_text())
    rejected = dict(query(generated_run.warehouse, "select reason, count(*) from raw.events_rejected group by reason"))
    faults = manifest["event_faults"]
    assert rejected.get("invalid JSON", 0) == faults["invalid_json"]
    assert rejected.get("missing messageId", 0) == faults["missing_message_id"]
    assert rejected.get("missing type", 0) == faults["missing_type"]
    assert rejected.get("missing timestamp", 0) == faults["missing_timestamp"]
    assert rejected.get("missing anonymousId and userId", 0) == faults["missing_identity"]
    assert rejected.get("track without event", 0) == faults["track_without_event"]
    assert rejected.get("unparseable timestamp", 0) == faults["unparseable_timestamp"]
    assert rejected.get("timestamp more than a day after the load", 0) == faults["future_timestamp"]
    assert sum(rejected.values()) == sum(faults.values())

    # every accepted line is in raw, and duplicates collapse to one event in staging
    raw_rows, distinct_ids = query(
        generated_run.warehouse, "select count(*), count(distinct message_id) from raw.events"
    )[0]
    assert raw_rows - distinct_ids == manifest["event_duplicates"]
    assert distinct_ids == manifest["events"]
    (staged,) = query(generated_run.warehouse, "select count(*) from staging.stg_tracking__events")[0]
    assert staged == manifest["events"]

    for source, reasons in manifest["table_faults"].items():
        got = dict(
            query(generated_run.warehouse, f"select reason, count(*) from raw.{source}_rejected group by reason")
        )
        assert got == reasons, source


def test_ignored_names_are_never_loaded(generated_run: PipelineRun) -> None:
    paths = [p for (p,) in query(generated_run.warehouse, "select path from raw.load_log")]
    assert paths, "the load log records every file"
    assert not [p for p in paths if p.endswith((".inprogress", ".partial", ".tmp")) or "/_" in p or "/." in p]


def mart_contents(serving) -> dict[str, list[tuple]]:
    tables = [
        t for (t,) in query(serving, "select table_name from information_schema.tables where table_schema = 'marts'")
    ]
    return {t: query(serving, f"select * from marts.{t} order by all") for t in sorted(tables)}


def test_a_rerun_loads_nothing_and_changes_no_mart(generated_run: PipelineRun) -> None:
    before_log = query(generated_run.warehouse, "select count(*) from raw.load_log")[0][0]
    before = mart_contents(generated_run.serving)
    rerun = run_pipeline(generated_run.warehouse.parent, generated_run.landing)
    assert rerun.result.returncode == 0, rerun.result.stderr[-3000:]
    assert query(generated_run.warehouse, "select count(*) from raw.load_log")[0][0] == before_log
    assert mart_contents(generated_run.serving) == before


def test_each_source_is_an_asset_with_its_counts(generated_run: PipelineRun) -> None:
    import dagster as dg

    manifest = json.loads((generated_run.landing / "_generator_manifest.json").read_text())
    with dg.DagsterInstance.from_config(str(generated_run.dagster_home)) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["raw", "events"]))
        orders = instance.get_latest_materialization_event(dg.AssetKey(["raw", "orders"]))
    # the first run's materialization may be followed by a rerun's (0 new rows): take the totals from the first
    metadata = event.asset_materialization.metadata
    assert {"rows_loaded", "rows_rejected", "duplicate_rows", "files_loaded"} <= set(metadata)
    assert orders is not None
    totals = query(
        generated_run.warehouse, "select sum(rows_loaded), sum(rows_rejected) from raw.load_log where source = 'events'"
    )[0]
    assert totals == (manifest["events"] + manifest["event_duplicates"], sum(manifest["event_faults"].values()))


def test_serving_file_has_the_marts_and_no_pii(generated_run: PipelineRun) -> None:
    tables = {
        t
        for (t,) in query(
            generated_run.serving, "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert {"fct_orders", "fct_sessions", "kpi_daily"} <= tables
    columns = {c for (c,) in query(generated_run.serving, "select column_name from information_schema.columns")}
    assert not columns & {"email", "first_name", "last_name", "ip", "traits", "message"}
    # no stored value looks like an email address or the generator's IP range
    for table in tables:
        text_columns = [
            c
            for (c,) in query(
                generated_run.serving,
                f"select column_name from information_schema.columns where table_name = '{table}' and data_type = 'VARCHAR'",
            )
        ]
        for column in text_columns:
            (hits,) = query(
                generated_run.serving,
                f"select count(*) from marts.{table} where {column} like '%@%' or {column} like '198.51.100.%'",
            )[0]
            assert hits == 0, f"{table}.{column}"


def test_serving_file_opens_in_a_fresh_read_only_connection_while_the_warehouse_is_held(
    generated_run: PipelineRun,
) -> None:
    # A writer holds the warehouse, as the pipeline would; a BI reader of the serving file is unaffected.
    with duckdb.connect(str(generated_run.warehouse)):
        rows = query(generated_run.serving, "select count(*) from marts.kpi_daily")
    assert rows[0][0] > 0


def test_run_stays_in_its_own_directories(generated_run: PipelineRun) -> None:
    assert generated_run.dagster_home.is_dir(), "Dagster's run history goes to DAGSTER_HOME"
    assert (generated_run.warehouse.parent / "serving.duckdb").exists()
    # gmv is never a float sum: money keeps cents exactly
    (gmv,) = query(generated_run.serving, "select sum(gmv) from marts.fct_orders")[0]
    assert isinstance(gmv, Decimal)


def test_rejected_lines_keep_their_file_line_and_text(generated_run: PipelineRun) -> None:
    rows = query(
        generated_run.warehouse, "select _file, _line, record from raw.events_rejected where _line is not null"
    )
    assert len(rows) > 20
    for path, line_no, text in rows:
        raw = (generated_run.landing / path).read_bytes()
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        assert raw.decode().split("\n")[line_no - 1] == text, (path, line_no)


def test_ingest_summary_counts_every_source(generated_run: PipelineRun) -> None:
    manifest = json.loads((generated_run.landing / "_generator_manifest.json").read_text())
    summary = {
        row[0]: row[1:]
        for row in query(
            generated_run.serving,
            "select source, files_loaded, rows_loaded, rows_rejected, duplicate_rows from marts.ingest_summary",
        )
    }
    assert len(summary) == 14  # every landing source, fx_rates (optional, none here) included
    assert summary["fx_rates"] == (0, 0, 0, 0)
    files_loaded, rows_loaded, rows_rejected, duplicate_rows = summary["events"]
    assert rows_rejected == sum(manifest["event_faults"].values())
    assert duplicate_rows == manifest["event_duplicates"]
    assert rows_loaded == manifest["events"] + manifest["event_duplicates"]
    event_files = [
        p
        for p in (generated_run.landing / "events").rglob("*")
        if p.is_file() and p.name.endswith((".jsonl", ".json", ".ndjson", ".jsonl.gz"))
    ]
    assert files_loaded == len(event_files)
    for source, reasons in manifest["table_faults"].items():
        assert summary[source][2] == sum(reasons.values()), source


def test_bounces_and_funnel_match_an_independent_computation(generated_run: PipelineRun) -> None:
    events = valid_events(generated_run.landing, loaded_at_bound())
    sessions = [s for s in sessions_truth(events) if not s["is_bot"]]
    (bounces,) = query(generated_run.serving, "select count(*) from marts.fct_sessions where is_bounce and not is_bot")[
        0
    ]
    assert bounces == sum(s["is_bounce"] for s in sessions)
    funnel = dict(
        query(generated_run.serving, "select step_number, sum(sessions_reached) from marts.funnel_daily group by 1")
    )
    expected = {k: sum(s["funnel_step"] >= k for s in sessions) for k in range(1, 7)}
    assert funnel == expected
    assert expected[6] > 0 and expected[2] > expected[3] > expected[4]


def test_cart_abandonment_and_marketing_spend(generated_run: PipelineRun) -> None:
    events = valid_events(generated_run.landing, loaded_at_bound())
    sessions = [s for s in sessions_truth(events) if not s["is_bot"]]
    carts = [s for s in sessions if s["has_product_added"]]
    abandoned = [s for s in carts if not s["is_converted"]]
    assert len(carts) > 100
    (mart_carts, mart_abandoned) = query(
        generated_run.serving,
        "select count(*) filter (where has_product_added), count(*) filter (where has_product_added and not is_converted) "
        "from marts.fct_sessions where not is_bot",
    )[0]
    assert (mart_carts, mart_abandoned) == (len(carts), len(abandoned))
    expected_spend = spend_truth(generated_run.landing, FX_SEED)
    actual_spend = dict(
        query(generated_run.serving, "select date_day, marketing_spend from marts.kpi_daily where marketing_spend > 0")
    )
    assert actual_spend == expected_spend


def test_engagement_persons_units_and_returning_customers(generated_run: PipelineRun) -> None:
    events = valid_events(generated_run.landing, loaded_at_bound())
    sessions = [s for s in sessions_truth(events) if not s["is_bot"]]
    kpi = {
        row[0]: row[1:]
        for row in query(
            generated_run.serving,
            "select date_day, sessions, engagement_rate, avg_session_duration_seconds, persons, "
            "checkout_abandonment_rate, units_sold, returning_customers from marts.kpi_daily",
        )
    }
    by_day: dict[dt.date, list[dict]] = {}
    for session in sessions:
        by_day.setdefault(session["session_date"], []).append(session)
    for day, day_sessions in by_day.items():
        _, engagement, duration, persons, checkout_abandonment, _, _ = kpi[day]
        assert engagement == pytest.approx(sum(s["is_engaged"] for s in day_sessions) / len(day_sessions)), day
        assert duration == pytest.approx(sum(s["duration_seconds"] for s in day_sessions) / len(day_sessions)), day
        assert persons == len({s["person_id"] for s in day_sessions}), day
        checkouts = [s for s in day_sessions if s["has_checkout_started"]]
        if checkouts:
            expected = sum(not s["is_converted"] for s in checkouts) / len(checkouts)
            assert checkout_abandonment == pytest.approx(expected), day
        else:
            assert checkout_abandonment is None, day

    truth = orders_truth(generated_run.landing, FX_SEED)
    kept = sorted((o for o in truth.values() if not o["is_cancelled"]), key=lambda o: o["ordered_at"])
    units = Counter()
    for order in kept:
        units[order["order_date"]] += order["units"]
    first_day: dict[str, dt.date] = {}
    for order in kept:
        first_day.setdefault(order["customer_id"], order["order_date"])
    returning = Counter()
    for day, customer in {(o["order_date"], o["customer_id"]) for o in kept}:
        if first_day[customer] < day:
            returning[day] += 1
    assert sum(returning.values()) > 0
    for day, row in kpi.items():
        assert row[5] == units.get(day, 0), day
        assert row[6] == returning.get(day, 0), day


def test_kpi_monthly_matches_the_landed_csvs(generated_run: PipelineRun) -> None:
    """GMV, net sales, refunds, orders and new customers per month, in plain Python over the landed CSVs."""
    orders = orders_truth(generated_run.landing, FX_SEED)
    refunds = refunds_truth(generated_run.landing, FX_SEED, orders)
    kept = [o for o in orders.values() if not o["is_cancelled"]]

    def month(day: dt.date) -> dt.date:
        return day.replace(day=1)

    expected: dict[dt.date, dict] = defaultdict(
        lambda: {
            "orders": 0,
            "gmv": Decimal("0.00"),
            "net_sales": Decimal("0.00"),
            "refunds": Decimal("0.00"),
            "new": 0,
        }
    )
    first_order: dict[str, dict] = {}
    for order in sorted(kept, key=lambda o: (o["ordered_at"], o["customer_id"])):
        first_order.setdefault(order["customer_id"], order)
        bucket = expected[month(order["order_date"])]
        bucket["orders"] += 1
        bucket["gmv"] += order["gmv"]
        bucket["net_sales"] += order["net_sales"]
    for order in first_order.values():
        expected[month(order["order_date"])]["new"] += 1
    for refund in refunds.values():
        expected[month(refund["refund_date"])]["refunds"] += refund["amount"]
    assert len(expected) >= 2, "the generated shop should span at least two months"
    assert sum(e["refunds"] for e in expected.values()) > 0, "the generator should refund some orders"

    actual = {
        m: {"orders": o, "gmv": g, "net_sales": n, "refunds": r, "new": c}
        for m, o, g, n, r, c in query(
            generated_run.serving,
            "select month_start, orders, gmv, net_sales, refunds, new_customers from marts.kpi_monthly",
        )
    }
    assert actual == dict(expected)


def test_roas_per_campaign_cac_and_nps_match_the_landed_files(generated_run: PipelineRun) -> None:
    """Last-touch ROAS per campaign, CAC per month and NPS per month, in plain Python over the landed files."""
    orders = orders_truth(generated_run.landing, FX_SEED)
    sessions = sessions_truth(valid_events(generated_run.landing, loaded_at_bound()))
    spend = spend_by_campaign(generated_run.landing, FX_SEED)
    credited = last_touch_sales_by_campaign(orders, sessions)
    assert len(spend) >= 3 and any(credited.get(key) for key in spend), "paid campaigns should bring some orders"

    mart = {
        (source, medium, campaign): (spend_total, sales)
        for source, medium, campaign, spend_total, sales in query(
            generated_run.serving,
            "select source, medium, campaign, sum(spend), sum(attributed_net_sales_last_touch) "
            "from marts.marketing_daily group by all having sum(spend) > 0",
        )
    }
    assert {key: value[0] for key, value in mart.items()} == spend
    for key, (spend_total, sales) in mart.items():
        assert sales == credited.get(key, Decimal("0.00")), key
        # ROAS over the whole period, from the mart's sums and from the landed files'
        assert float(sales) / float(spend_total) == pytest.approx(float(credited.get(key, 0)) / float(spend[key]))

    # CAC per month: the month's spend over its new customers (first non-cancelled order)
    first_order: dict[str, dt.date] = {}
    for order in sorted((o for o in orders.values() if not o["is_cancelled"]), key=lambda o: o["ordered_at"]):
        first_order.setdefault(order["customer_id"], order["order_date"])
    new_per_month = Counter(day.replace(day=1) for day in first_order.values())
    spend_per_month: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, amount in spend_truth(generated_run.landing, FX_SEED).items():
        spend_per_month[day.replace(day=1)] += amount
    cac = dict(query(generated_run.serving, "select month_start, cac from marts.kpi_monthly"))
    assert set(new_per_month) <= set(cac)
    for month, value in cac.items():
        if month in new_per_month:
            assert value == pytest.approx(float(spend_per_month[month]) / new_per_month[month]), month
        else:
            assert value is None, month

    # NPS per month
    nps = nps_by_month(generated_run.landing)
    mart_nps = dict(
        query(generated_run.serving, "select month_start, nps from marts.kpi_monthly where nps is not null")
    )
    assert mart_nps.keys() == nps.keys() and len(nps) >= 2
    for month, value in nps.items():
        assert mart_nps[month] == pytest.approx(value), month
