"""The KPIs of a window of days, each defined once: the summary (`make demo`, `cli summary`), the
`serving/kpi_summary` asset and the dashboard (orchestration/report.py) all take them from here.

A KPI of a window is one SQL expression over the window's rows of marts.kpi_daily, whose daily figures
dbt defines (docs: kpi-definitions.md): counts and amounts are summed, and a rate is the ratio of the
summed counts (sessions that converted / sessions), never an average of daily rates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

# KPI -> its SQL over the window's kpi_daily rows
KPI_SQL = {
    "sessions": "sum(sessions)",
    "conversion_rate": "sum(converted_sessions)::double / nullif(sum(sessions), 0)",
    "orders": "sum(orders)",
    "gmv": "sum(gmv)",
    "net_sales": "sum(net_sales)",
    "aov": "sum(net_sales) / nullif(sum(orders), 0)",
    "bounce_rate": "sum(bounced_sessions)::double / nullif(sum(sessions), 0)",
    "refunds": "sum(refunds)",
    "new_customers": "sum(new_customers)",
    "marketing_spend": "sum(marketing_spend)",
}

# how the asset's table and the dashboard's tiles show each KPI
KPI_FORMATS = {
    "sessions": "{:,.0f}",
    "conversion_rate": "{:.2%}",
    "orders": "{:,.0f}",
    "gmv": "{:,.2f}",
    "net_sales": "{:,.2f}",
    "aov": "{:,.2f}",
    "bounce_rate": "{:.2%}",
    "refunds": "{:,.2f}",
    "new_customers": "{:,.0f}",
    "marketing_spend": "{:,.2f}",
}


def latest_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last day with data (a kpi_daily row); None before the first build with any."""
    return con.execute("select max(date_day) from marts.kpi_daily").fetchone()[0]


def window_ending(last_day: dt.date | None, days: int, periods_before: int = 0) -> tuple[dt.date | None, ...]:
    """(first day, last day) of the `days` days ending on `last_day` (both included), or of the window
    `periods_before` windows earlier; (None, None), a window of no day, when there is no last day."""
    if last_day is None:
        return None, None
    end = last_day - dt.timedelta(days=days * periods_before)
    return end - dt.timedelta(days=days - 1), end


def kpi_window(con: duckdb.DuckDBPyConnection, first_day: dt.date | None, last_day: dt.date | None) -> dict[str, Any]:
    """Every KPI of KPI_SQL over the days first_day..last_day (both included), with `first_day` and
    `last_day` the first and last of them that have data (None, as every KPI, when none has)."""
    kpis = ",\n    ".join(f"{sql} as {kpi}" for kpi, sql in KPI_SQL.items())
    cursor = con.execute(
        f"""
        select min(date_day) as first_day, max(date_day) as last_day,
            {kpis}
        from marts.kpi_daily
        where date_day between ? and ?
        """,
        [first_day, last_day],
    )
    columns = [column[0] for column in cursor.description]
    return dict(zip(columns, cursor.fetchone(), strict=True))
