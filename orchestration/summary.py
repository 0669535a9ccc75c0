"""The KPI summary `make demo` ends with, read from the serving copy like any BI tool would."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from orchestration.kpi_window import kpi_window, latest_day, window_ending

# the KPIs the summary prints, in its order (orchestration/kpi_window.py defines them)
SUMMARY_KPIS = ("sessions", "conversion_rate", "orders", "gmv", "net_sales", "aov", "new_customers")


def build_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """The shop settings the serving file was built with (docs.settings); {} for a file published before
    the table existed."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'docs' and table_name = 'settings'"
    ).fetchone()[0]
    if not exists:
        return {}
    return {
        name: json.loads(value)
        for name, value in con.execute("select setting, value_json from docs.settings").fetchall()
    }


def units_note(settings: dict) -> str:
    """Money and days as the build counted them, e.g. 'money in EUR, days in Europe/Berlin'."""
    currency = settings.get("reporting_currency", "the reporting currency")
    time_zone = settings.get("reporting_timezone", "the reporting time zone")
    return f"money in {currency}, days in {time_zone}"


def summary_rows(serving_db: Path, days: int = 30) -> dict:
    """The KPIs of the last `days` days of data (the last day with data and the days before it)."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        kpis = kpi_window(con, *window_ending(latest_day(con), int(days)))
        return {
            "first_day": kpis["first_day"],
            "last_day": kpis["last_day"],
            **{kpi: kpis[kpi] for kpi in SUMMARY_KPIS},
            "units": units_note(build_settings(con)),
        }


def print_summary(serving_db: Path, days: int = 30) -> int:
    if not serving_db.exists():
        print(f"no serving file at {serving_db}: run `make run` first", file=sys.stderr)
        return 1
    k = summary_rows(serving_db, days)
    conversion = "n/a" if k["conversion_rate"] is None else f"{k['conversion_rate']:.2%}"
    aov = "n/a" if k["aov"] is None else f"{k['aov']:,.2f}"
    print(f"\nKPI summary, last {days} days of data: {k['first_day']} .. {k['last_day']} ({k['units']})")
    print(f"  sessions         {k['sessions']:>14,}")
    print(f"  conversion rate  {conversion:>14}")
    print(f"  orders           {k['orders']:>14,}")
    print(f"  GMV              {k['gmv']:>14,.2f}")
    print(f"  net sales        {k['net_sales']:>14,.2f}")
    print(f"  AOV              {aov:>14}")
    print(f"  new customers    {k['new_customers']:>14,}")
    from orchestration.report import report_path

    dashboard = report_path(serving_db)
    if dashboard.exists():
        print(f"\nKPI dashboard (opens offline): file://{dashboard}")
    print(f"\nServing file: {serving_db}")
    print("Open it read-only (it is replaced atomically after each run; readers never block the pipeline):")
    print(
        f'  DuckDB CLI:  duckdb -readonly {serving_db} "select * from marts.kpi_daily order by date_day desc limit 7"'
    )
    print(f"  Python:      duckdb.connect('{serving_db}', read_only=True).sql('from marts.fct_orders limit 5').show()")
    print(f"  BI tool:     Metabase/Superset/Evidence DuckDB connector, database file {serving_db}, read only")
    return 0
