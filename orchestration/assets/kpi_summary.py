"""The latest KPIs from the serving copy: a Markdown table in the Dagster UI and the HTML dashboard."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings import load_settings
from orchestration.summary import build_settings, units_note

WEEKS_SQL = """
with last_day as (select max(date_day) as day from marts.kpi_daily),
weeks as (
    select
        case when date_day > (select day from last_day) - 7 then 'last 7 days' else 'previous 7 days' end as period,
        *
    from marts.kpi_daily
    where date_day > (select day from last_day) - 14
)
select
    period,
    min(date_day), max(date_day),
    sum(sessions),
    sum(converted_sessions)::double / nullif(sum(sessions), 0),
    sum(orders),
    sum(net_sales),
    sum(net_sales) / nullif(sum(orders), 0),
    sum(refunds),
    sum(new_customers),
    sum(marketing_spend)
from weeks
group by period
"""

MEASURES = (
    ("sessions", "{:,.0f}"),
    ("conversion rate", "{:.2%}"),
    ("orders", "{:,.0f}"),
    ("net sales", "{:,.2f}"),
    ("AOV", "{:,.2f}"),
    ("refunds", "{:,.2f}"),
    ("new customers", "{:,.0f}"),
    ("marketing spend", "{:,.2f}"),
)


def kpi_markdown(serving_db: Path) -> tuple[str, dict]:
    """A Markdown table: the last 7 days of data against the 7 before, with the change."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        periods = {row[0]: row[1:] for row in con.execute(WEEKS_SQL).fetchall()}
        units = units_note(build_settings(con))
    last, previous = periods.get("last 7 days"), periods.get("previous 7 days")
    if last is None:
        return "No KPI data yet.", {}
    lines = [
        f"Last 7 days of data ({last[0]} .. {last[1]}) against the 7 days before; {units}.",
        "",
        "| KPI | last 7 days | previous 7 days | change |",
        "|---|---:|---:|---:|",
    ]
    values = {}
    for index, (name, fmt) in enumerate(MEASURES):
        now = last[2 + index]
        before = previous[2 + index] if previous else None
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
