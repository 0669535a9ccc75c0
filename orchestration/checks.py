"""Dagster asset checks of our own, beside the dbt tests that dagster-dbt turns into checks.

All are WARN: they flag data to look at, they do not stop the serving publish
(error-severity dbt tests do that). Thresholds come from the environment (orchestration/settings.py).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from orchestration.loading.contract import SOURCES
from orchestration.locking import warehouse_lock
from orchestration.settings import load_settings, read_environment

WARN = dg.AssetCheckSeverity.WARN


@contextmanager
def _warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    settings = load_settings()
    with warehouse_lock(settings.warehouse, settings.lock_wait_seconds):
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            yield con
        finally:
            con.close()


def events_freshness(con: duckdb.DuckDBPyConnection, now: dt.datetime, max_hours: float) -> dg.AssetCheckResult:
    """Passes when no event was ever loaded: a shop without tracking (orders only) is normal, and its
    sessions are 0 and its conversion rates null. Once events have arrived, their age is checked."""
    latest = con.execute("select max(event_at) from marts.fct_events").fetchone()[0]
    if latest is None:
        return dg.AssetCheckResult(
            passed=True,
            severity=WARN,
            metadata={"latest_event_at": None, "note": "no events loaded yet: a shop without tracking"},
        )
    age_hours = (now - latest).total_seconds() / 3600
    return dg.AssetCheckResult(
        passed=age_hours <= max_hours,
        severity=WARN,
        metadata={
            "latest_event_at": str(latest),
            "age_hours": round(age_hours, 1),
            "max_hours (ECOM_EVENTS_FRESHNESS_HOURS)": max_hours,
        },
    )


@dg.asset_check(asset=dg.AssetKey(["marts", "fct_events"]), name="events_fresh", blocking=False)
def events_fresh() -> dg.AssetCheckResult:
    """The latest event is at most ECOM_EVENTS_FRESHNESS_HOURS (default 36) old: tracking still arrives.
    A shop that has never sent an event passes (nothing to be stale)."""
    with _warehouse() as con:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return events_freshness(con, now, read_environment().events_freshness_hours)


def quarantine_rates(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """(rows loaded, rows rejected) of each source in its latest load that brought it files."""
    rows = con.execute(
        """
        with per_load as (
            select source, load_id, sum(rows_loaded) as loaded, sum(rows_rejected) as rejected
            from raw.load_log
            group by source, load_id
        )
        select source, loaded, rejected
        from per_load
        qualify row_number() over (partition by source order by load_id desc) = 1
        """
    ).fetchall()
    return {source: (int(loaded or 0), int(rejected or 0)) for source, loaded, rejected in rows}


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(name="quarantine_rate", asset=dg.AssetKey(["raw", source]), blocking=False)
        for source in SOURCES
    ],
    can_subset=True,
)
def quarantine_rate(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
    """Share of rows quarantined in each source's latest load under ECOM_QUARANTINE_RATE_MAX (default 0.02)."""
    limit = read_environment().quarantine_rate_max
    with _warehouse() as con:
        rates = quarantine_rates(con)
    for check_key in context.selected_asset_check_keys:
        source = check_key.asset_key.path[-1]
        loaded, rejected = rates.get(source, (0, 0))
        rate = rejected / (loaded + rejected) if loaded + rejected else 0.0
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name="quarantine_rate",
            passed=rate <= limit,
            severity=WARN,
            metadata={"rows_loaded": loaded, "rows_rejected": rejected, "rate": rate, "max_rate": limit},
        )


def revenue_mismatch(con: duckdb.DuckDBPyConnection, tolerance: float) -> tuple[int, int]:
    """(orders with an Order Completed event, those whose event revenue is off by more than `tolerance`
    (relative) from the order's net sales in its own currency)."""
    return con.execute(
        """
        with events as (
            select order_id, min(revenue) as revenue
            from marts.fct_events
            where event_name = 'Order Completed' and order_id is not null and revenue is not null
            group by order_id
        )
        select
            count(*),
            count(*) filter (
                where abs(events.revenue - (orders.gmv_local - orders.discount_total_local))
                      > ? * greatest(abs(orders.gmv_local - orders.discount_total_local), 0.01)
            )
        from events
        inner join intermediate.int_orders_converted_to_reporting_currency as orders
            on orders.order_id = events.order_id
        where not orders.is_cancelled
        """,
        [tolerance],
    ).fetchone()


@dg.asset_check(asset=dg.AssetKey(["marts", "fct_orders"]), name="order_completed_revenue_matches", blocking=False)
def order_completed_revenue_matches() -> dg.AssetCheckResult:
    """Order Completed revenue agrees with the orders table (net sales in the order's currency) within
    ECOM_REVENUE_TOLERANCE (default 0.01, relative) for all but ECOM_REVENUE_MISMATCH_MAX (0.01) of orders."""
    environment = read_environment()
    tolerance, max_share = environment.revenue_tolerance, environment.revenue_mismatch_max
    with _warehouse() as con:
        linked, mismatched = revenue_mismatch(con, tolerance)
    share = mismatched / linked if linked else 0.0
    return dg.AssetCheckResult(
        passed=share <= max_share,
        severity=WARN,
        metadata={"orders_with_event": linked, "mismatched": mismatched, "share": share, "max_share": max_share},
    )


def row_count_anomalies(con: duckdb.DuckDBPyConnection, max_deviation: float) -> list[dict]:
    """Sessions and orders of the latest day against the average of the 7 days before it."""
    rows = con.execute(
        """
        with days as (
            select date_day, sessions, orders from marts.kpi_daily order by date_day desc limit 8
        ),
        latest as (select * from days order by date_day desc limit 1),
        trailing_days as (
            select avg(sessions) as sessions, avg(orders) as orders, count(*) as n
            from days where date_day < (select date_day from latest)
        )
        select latest.date_day, latest.sessions, trailing_days.sessions, latest.orders, trailing_days.orders, trailing_days.n
        from latest cross join trailing_days
        """
    ).fetchall()
    anomalies = []
    for day, sessions, avg_sessions, orders, avg_orders, n in rows:
        for measure, value, average in (("sessions", sessions, avg_sessions), ("orders", orders, avg_orders)):
            if n and average and abs(value - average) / average > max_deviation:
                anomalies.append({"date_day": str(day), "measure": measure, "value": value, "trailing_avg": average})
    return anomalies


@dg.asset_check(asset=dg.AssetKey(["marts", "kpi_daily"]), name="row_count_anomaly", blocking=False)
def row_count_anomaly() -> dg.AssetCheckResult:
    """The latest day's sessions and orders within ECOM_ROW_COUNT_MAX_DEVIATION (default 0.5) of the
    trailing 7-day average."""
    max_deviation = read_environment().row_count_max_deviation
    with _warehouse() as con:
        anomalies = row_count_anomalies(con, max_deviation)
    return dg.AssetCheckResult(
        passed=not anomalies,
        severity=WARN,
        metadata={"anomalies": dg.MetadataValue.json(anomalies), "max_deviation": max_deviation},
    )


CHECKS = [events_fresh, quarantine_rate, order_completed_revenue_matches, row_count_anomaly]
