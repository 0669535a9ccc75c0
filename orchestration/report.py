"""The KPI dashboard: one self-contained HTML page built from the serving file.

python -m orchestration.report   # what `make report` runs; writes <folder of ECOM_SERVING_DB>/report/index.html

Plotly draws the charts; its JavaScript is inlined once, so the page opens from
disk with no network. Every figure is read from the marts, never recomputed.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from orchestration.kpi_window import KPI_FORMATS, kpi_window, latest_day
from orchestration.settings import load_settings
from orchestration.summary import build_settings, units_note

PERIOD_DAYS = 30
# a rise is bad news for these (red), neutral for these (grey); good news (green) for the rest
LOWER_IS_BETTER = {"bounce_rate"}
NEUTRAL = {"marketing_spend"}

# tile: KPI (orchestration/kpi_window.py), label
TILES = (
    ("sessions", "Sessions"),
    ("conversion_rate", "Conversion rate"),
    ("orders", "Orders"),
    ("net_sales", "Net sales"),
    ("aov", "AOV"),
    ("bounce_rate", "Bounce rate"),
    ("new_customers", "New customers"),
    ("marketing_spend", "Marketing spend"),
)


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | None
    previous: float | None
    fmt: str

    @property
    def change(self) -> float | None:
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous


def report_path(serving_db: Path) -> Path:
    """data/report/index.html by default: beside the serving file, wherever ECOM_SERVING_DB points."""
    return serving_db.parent / "report" / "index.html"


def period_bounds(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date, dt.date] | None:
    """(first day of the previous period, first day of the current one, last day with data)."""
    last_day = latest_day(con)
    if last_day is None:
        return None
    current_start = last_day - dt.timedelta(days=PERIOD_DAYS - 1)
    return current_start - dt.timedelta(days=PERIOD_DAYS), current_start, last_day


def current_period_rows(con: duckdb.DuckDBPyConnection, sql: str, bounds: tuple) -> list[tuple]:
    """`sql` with its two placeholders bound to the current period's first and last day."""
    _, current_start, last_day = bounds
    return con.execute(sql, [current_start, last_day]).fetchall()


def tiles(con: duckdb.DuckDBPyConnection, bounds: tuple) -> list[Tile]:
    previous_start, current_start, last_day = bounds
    current = kpi_window(con, current_start, last_day)
    previous = kpi_window(con, previous_start, current_start - dt.timedelta(days=1))
    return [
        Tile(
            key,
            label,
            None if current[key] is None else float(current[key]),
            None if previous[key] is None else float(previous[key]),
            KPI_FORMATS[key],
        )
        for key, label in TILES
    ]


def layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", height=360, margin={"l": 50, "r": 20, "t": 50, "b": 40})
    return fig


def trend_chart(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute("select date_day, sessions, orders from marts.kpi_daily order by 1").fetchall()
    days = [r[0] for r in rows]
    fig = go.Figure()
    fig.add_scatter(x=days, y=[r[1] for r in rows], name="sessions", mode="lines")
    fig.add_scatter(x=days, y=[r[2] for r in rows], name="orders", mode="lines", yaxis="y2")
    most_orders = max([r[2] for r in rows] or [1])
    fig.update_layout(
        yaxis={"title": "sessions", "rangemode": "tozero"},
        # whole orders only on the count axis
        yaxis2={
            "title": "orders",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "dtick": max(1, math.ceil(most_orders / 5)),
        },
        legend={"orientation": "h", "y": -0.15},
    )
    return layout(fig, "Daily sessions and orders")


def revenue_chart(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute("select date_day, net_sales, refunds from marts.kpi_daily order by 1").fetchall()
    days = [r[0] for r in rows]
    fig = go.Figure()
    fig.add_bar(x=days, y=[float(r[1]) for r in rows], name="net sales")
    fig.add_bar(x=days, y=[-float(r[2]) for r in rows], name="refunds (by refund date)")
    fig.update_layout(
        barmode="relative", yaxis={"title": "reporting currency"}, legend={"orientation": "h", "y": -0.15}
    )
    return layout(fig, "Daily net sales and refunds")


def funnel_chart(con: duckdb.DuckDBPyConnection, bounds: tuple) -> go.Figure:
    rows = current_period_rows(
        con,
        """
        select step_number, step_name, sum(sessions_reached)
        from marts.funnel_daily where session_date between ? and ?
        group by all order by 1
        """,
        bounds,
    )
    fig = go.Figure(
        go.Funnel(
            y=[f"{r[0]}. {r[1]}" for r in rows],
            x=[r[2] for r in rows],
            textinfo="value+percent previous",
        )
    )
    return layout(fig, f"Funnel, last {PERIOD_DAYS} days: sessions per step, share of the step before")


def cohort_heatmap(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute(
        "select cohort_month, period_number, retention_rate from marts.cohort_retention_monthly order by 1, 2"
    ).fetchall()
    cohorts = sorted({str(r[0])[:7] for r in rows})
    periods = sorted({r[1] for r in rows})
    grid = {(str(r[0])[:7], r[1]): (None if r[2] is None else float(r[2])) for r in rows}
    z = [[grid.get((c, p)) for p in periods] for c in cohorts]
    # month 0 is 100% by definition: scale the colours to the later months so they can be told apart
    later = [v for (_, period), v in grid.items() if period > 0 and v is not None]
    top = max(later) if later and max(later) > 0 else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"month {p}" for p in periods],
            y=cohorts,
            colorscale="Blues",
            zmin=0,
            zmax=top,
            colorbar={"tickformat": ".0%", "title": "retained"},
            texttemplate="%{z:.0%}",
            hovertemplate="cohort %{y}, %{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", title="first-order month")
    return layout(fig, "Monthly cohort retention (customers ordering again)")


def campaign_chart(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute(
        """
        select campaign, sum(spend), sum(attributed_net_sales_last_non_direct) / nullif(sum(spend), 0)
        from marts.marketing_daily
        where spend > 0
        group by all order by 2 desc limit 12
        """
    ).fetchall()
    fig = go.Figure()
    fig.add_bar(x=[r[0] for r in rows], y=[float(r[1]) for r in rows], name="spend")
    fig.add_scatter(
        x=[r[0] for r in rows],
        y=[None if r[2] is None else float(r[2]) for r in rows],
        name="ROAS (last non-direct)",
        mode="markers",
        marker={"size": 12},
        yaxis="y2",
    )
    fig.update_layout(
        yaxis={"title": "spend", "rangemode": "tozero"},
        yaxis2={
            "title": "ROAS (last non-direct)",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickformat": ".2f",
        },
        legend={"orientation": "h", "y": -0.35},
    )
    return layout(fig, "Campaigns by spend, with ROAS (all days)")


def split_chart(con: duckdb.DuckDBPyConnection, bounds: tuple) -> go.Figure:
    rows = current_period_rows(
        con,
        """
        select device_category, platform, sum(sessions)
        from marts.kpi_daily_by_segment where date_day between ? and ?
        group by all having sum(sessions) > 0 order by 1, 2
        """,
        bounds,
    )
    fig = go.Figure()
    for platform in sorted({r[1] for r in rows}):
        fig.add_bar(
            x=[r[0] for r in rows if r[1] == platform], y=[r[2] for r in rows if r[1] == platform], name=platform
        )
    fig.update_layout(barmode="stack", yaxis={"title": "sessions"})
    return layout(fig, f"Sessions by device category and platform, last {PERIOD_DAYS} days")


PRODUCT_ROWS = 10


def product_rows(con: duckdb.DuckDBPyConnection, bounds: tuple) -> list[tuple]:
    """The period's top products by net sales: (product, title, views, adds, orders, net sales, lost sales).
    A product's orders are summed over days (an order is on one day, so this counts each once)."""
    return current_period_rows(
        con,
        f"""
        select product_daily.product_id, coalesce(products.title, product_daily.product_id),
               sum(product_views), sum(adds_to_cart), sum(orders), sum(net_sales),
               sum(coalesce(estimated_lost_sales, 0))
        from marts.product_daily
        left join marts.dim_products as products on products.product_id = product_daily.product_id
        where date_day between ? and ?
        group by all
        having sum(product_views) + sum(adds_to_cart) + sum(orders) > 0
        order by 6 desc, 3 desc, 1
        limit {PRODUCT_ROWS}
        """,
        bounds,
    )


def product_table_html(rows: list[tuple]) -> str:
    """A plain table (no chart): a row per product, its figures also as data attributes for the browser test."""
    header = "".join(
        f"<th>{name}</th>" for name in ("product", "views", "adds to cart", "orders", "net sales", "est. lost sales")
    )
    body = "".join(
        f'<tr data-product="{html.escape(product_id)}">'
        f"<td>{html.escape(title)}</td><td>{views:,}</td><td>{adds:,}</td><td>{orders:,}</td>"
        f"<td>{net_sales:,.2f}</td><td>{lost_sales:,.2f}</td></tr>"
        for product_id, title, views, adds, orders, net_sales, lost_sales in rows
    )
    return (
        f'<div class="chart products"><h2>Top {PRODUCT_ROWS} products by net sales, last {PERIOD_DAYS} days</h2>'
        f'<table id="products"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def tile_html(tile: Tile) -> str:
    shown = "n/a" if tile.value is None else tile.fmt.format(tile.value)
    change = tile.change
    if change is None:
        delta, css = "no previous period", "flat"
    else:
        delta = f"{change:+.1%} vs previous {PERIOD_DAYS} days"
        good = change >= 0 if tile.key not in LOWER_IS_BETTER else change <= 0
        css = "flat" if tile.key in NEUTRAL or change == 0 else ("up" if good else "down")
    value_attr = "" if tile.value is None else repr(tile.value)
    return (
        f'<div class="tile" data-kpi="{tile.key}" data-value="{value_attr}">'
        f'<div class="label">{html.escape(tile.label)}</div><div class="value">{shown}</div>'
        f'<div class="delta {css}">{html.escape(delta)}</div></div>'
    )


STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #1f2933; background: #f7f9fb; }
h1 { font-size: 22px; margin: 0 0 4px; } .meta { color: #52606d; margin-bottom: 18px; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(4, minmax(160px, 1fr)); gap: 12px; margin-bottom: 18px; }
.tile { background: white; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.label { font-size: 13px; color: #52606d; } .value { font-size: 24px; font-weight: 600; margin: 4px 0; }
.delta { font-size: 12px; } .up { color: #1b873f; } .down { color: #c53030; } .flat { color: #7b8794; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
.chart { background: white; border-radius: 8px; padding: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.products h2 { font-size: 16px; margin: 8px; } .products table { border-collapse: collapse; width: 100%; font-size: 13px; }
.products th, .products td { padding: 4px 8px; text-align: right; border-bottom: 1px solid #e4e7eb; }
.products th:first-child, .products td:first-child { text-align: left; }
"""


def render(serving_db: Path) -> str:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        build = con.execute("select build_id, built_at from docs.build").fetchone()
        bounds = period_bounds(con)
        if bounds is None:
            body = "<p>No KPI data yet: load some files and run the pipeline.</p>"
        else:
            figures = {
                "trend": trend_chart(con),
                "revenue": revenue_chart(con),
                "funnel": funnel_chart(con, bounds),
                "cohorts": cohort_heatmap(con),
                "campaigns": campaign_chart(con),
                "split": split_chart(con, bounds),
            }
            charts = "".join(
                f'<div class="chart">{fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}")}</div>'
                for name, fig in figures.items()
            )
            _, current_start, last_day = bounds
            body = (
                f'<div class="meta">Last {PERIOD_DAYS} days of data: {current_start} .. {last_day}, against the '
                f"{PERIOD_DAYS} days before; {html.escape(units_note(build_settings(con)))}.</div>"
                f'<div class="tiles">{"".join(tile_html(t) for t in tiles(con, bounds))}</div>'
                f'<div class="charts">{charts}{product_table_html(product_rows(con, bounds))}</div>'
            )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Shop KPIs</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<h1>Shop KPIs</h1>"
        f'<div class="meta">Build {html.escape(str(build[0]))} at {build[1]} UTC, from {html.escape(str(serving_db))}</div>'
        f"{body}</body></html>"
    )


def write_report(serving_db: Path, out: Path | None = None) -> Path:
    """Writes the page atomically (a reader never sees half a page) and returns its path."""
    out = out or report_path(serving_db)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(render(serving_db), encoding="utf-8")
    os.replace(tmp, out)
    return out


def main() -> int:
    serving_db = load_settings().serving_db
    if not serving_db.exists():
        print(f"no serving file at {serving_db}: run `make run` (or `make demo`) first", file=sys.stderr)
        return 1
    out = write_report(serving_db)
    print(f"KPI dashboard written: {out} ({out.stat().st_size / 1e6:.1f} MB, opens offline in any browser)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
