"""The latest KPIs from the serving copy: a Markdown table in the Dagster UI and the HTML dashboard."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.kpi_window import KPI_FORMATS, kpi_window, latest_day, window_ending
from orchestration.settings import load_settings
from orchestration.summary import build_settings, units_note

# name shown, KPI (orchestration/kpi_window.py)
MEASURES = (
    ("sessions", "sessions"),
    ("conversion rate", "conversion_rate"),
    ("orders", "orders"),
    ("net sales", "net_sales"),
    ("AOV", "aov"),
    ("refunds", "refunds"),
    ("new customers", "new_customers"),
    ("marketing spend", "marketing_spend"),
)
WEEK_DAYS = 7


def kpi_markdown(serving_db: Path) -> tuple[str, dict]:
    """A Markdown table: the last 7 days of data against the 7 before, with the change."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        last_day = latest_day(con)
        # a week with no kpi_daily row is no period (first_day None)
        last, previous = (
            kpis if (kpis := kpi_window(con, *window_ending(last_day, WEEK_DAYS, weeks_before)))["first_day"] else None
            for weeks_before in (0, 1)
        )
        units = units_note(build_settings(con))
    if last is None:
        return "No KPI data yet.", {}
    lines = [
        f"Last 7 days of data ({last['first_day']} .. {last['last_day']}) against the 7 days before; {units}.",
        "",
        "| KPI | last 7 days | previous 7 days | change |",
        "|---|---:|---:|---:|",
    ]
    values = {}
    for name, kpi in MEASURES:
        fmt = KPI_FORMATS[kpi]
        now = last[kpi]
        before = previous[kpi] if previous else None
        values[name] = None if now is None else float(now)

        def show(value: object, fmt: str = fmt) -> str:
            return "n/a" if value is None else fmt.format(float(value))

        change = "n/a" if now is None or not before else f"{(float(now) - float(before)) / float(before):+.1%}"
        lines.append(f"| {name} | {show(now)} | {show(before)} | {change} |")
    return "\n".join(lines), values


@dg.asset(
    key=["serving", "kpi_summary"],
    deps=[dg.AssetKey(["serving", "serving_db"])],
    group_name="serving",
    kinds={"duckdb"},
    description="The latest KPIs (last 7 days against the 7 before) as a Markdown table in this asset's metadata.",
)
def kpi_summary() -> dg.MaterializeResult:
    markdown, values = kpi_markdown(load_settings().serving_db)
    return dg.MaterializeResult(
        metadata={"kpis": dg.MetadataValue.md(markdown), **{k.replace(" ", "_"): v for k, v in values.items()}}
    )


@dg.asset(
    key=["serving", "kpi_report"],
    deps=[dg.AssetKey(["serving", "serving_db"])],
    group_name="serving",
    kinds={"html"},
    description="The KPI dashboard: one self-contained HTML page (tiles, trends, funnel, cohorts, campaigns, "
    "device split) beside the serving file, in report/index.html; opens offline.",
)
def kpi_report() -> dg.MaterializeResult:
    from orchestration.report import write_report

    out = write_report(load_settings().serving_db)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(out)), "size_bytes": out.stat().st_size})
