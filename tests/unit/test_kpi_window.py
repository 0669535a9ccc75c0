"""Each KPI of a window is defined once (orchestration/kpi_window.py): a ratio of sums over the window's
kpi_daily rows, and the summary, the kpi_summary asset and the dashboard hold no KPI SQL of their own."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.kpi_window import KPI_SQL, kpi_window, latest_day, window_ending

ORCHESTRATION = Path(__file__).resolve().parents[2] / "orchestration"
READERS = ("summary.py", "assets/kpi_summary.py", "report.py")
# a read of marts.kpi_daily (not kpi_daily_by_segment) and an aggregate in one SQL text
KPI_DAILY = re.compile(r"\bkpi_daily\b")
AGGREGATE = re.compile(r"\b(sum|avg|count|min|max)\s*\(", re.IGNORECASE)


def own_kpi_sql(source: str) -> list[str]:
    """The SQL texts in `source` that compute a KPI themselves: an aggregate over kpi_daily, or an
    aggregate expression without a `from` (one to put into a query over kpi_daily)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = " ".join(node.value.split())
            if AGGREGATE.search(text) and (KPI_DAILY.search(text) or not re.search(r"\bfrom\b", text, re.I)):
                found.append(text[:80])
    return found


def test_the_check_finds_a_kpi_written_in_place() -> None:
    # as summary.py, kpi_summary.py and report.py held it before kpi_window.py
    assert own_kpi_sql('SQL = """\nselect sum(sessions), sum(orders)\nfrom marts.kpi_daily\n"""')
    assert own_kpi_sql('TILES = (("aov", "AOV", "sum(net_sales) / nullif(sum(orders), 0)", "{:,.2f}"),)')
    assert own_kpi_sql('last = "select max(date_day) from marts.kpi_daily"')
    assert own_kpi_sql(f"KPIS = {list(KPI_SQL.values())!r}")
    # a chart of the daily rows, or sessions by segment, is no window KPI
    assert not own_kpi_sql('rows = "select date_day, sessions, orders from marts.kpi_daily order by 1"')
    assert not own_kpi_sql('rows = "select device_category, sum(sessions) from marts.kpi_daily_by_segment"')


@pytest.mark.parametrize("module", READERS)
def test_the_summary_the_asset_and_the_dashboard_take_their_kpis_from_kpi_window(module: str) -> None:
    source = (ORCHESTRATION / module).read_text()
    assert own_kpi_sql(source) == []
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom) and node.module}
    assert "orchestration.kpi_window" in imported


DAYS = [dt.date(2026, 10, 29), dt.date(2026, 10, 30), dt.date(2026, 10, 31)]


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.kpi_daily (
            date_day date, sessions bigint, converted_sessions bigint, bounced_sessions bigint, orders bigint,
            gmv decimal(18, 2), net_sales decimal(18, 2), refunds decimal(18, 2), new_customers bigint,
            marketing_spend decimal(18, 2)
        )
        """
    )
    return con


def test_a_rate_is_the_ratio_of_the_window_sums_not_an_average_of_days(con: duckdb.DuckDBPyConnection) -> None:
    assert latest_day(con) is None
    con.executemany(
        "insert into marts.kpi_daily values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [DAYS[0], 999, 999, 999, 999, 999, 999, 999, 999, 999],  # before the window
            [DAYS[1], 10, 1, 4, 1, 110, 100, 0, 1, 5],
            [DAYS[2], 30, 6, 3, 3, 220, 200, 20, 2, 0],
        ],
    )
    assert latest_day(con) == DAYS[2]
    kpis = kpi_window(con, DAYS[1], DAYS[2])
    assert (kpis["first_day"], kpis["last_day"]) == (DAYS[1], DAYS[2])
    assert (kpis["sessions"], kpis["orders"], kpis["new_customers"]) == (40, 4, 3)
    assert (float(kpis["gmv"]), float(kpis["net_sales"]), float(kpis["refunds"])) == (330, 300, 20)
    assert float(kpis["marketing_spend"]) == 5
    # 7 of 40 sessions converted (the days' rates 0.1 and 0.2 would average 0.15); 300 over 4 orders
    assert kpis["conversion_rate"] == pytest.approx(7 / 40)
    assert kpis["bounce_rate"] == pytest.approx(7 / 40)
    assert float(kpis["aov"]) == pytest.approx(75)
    # days without data: every KPI unknown, none zero
    nothing = kpi_window(con, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert set(nothing.values()) == {None} and set(nothing) == {"first_day", "last_day", *KPI_SQL}
    assert set(kpi_window(con, *window_ending(None, 30)).values()) == {None}


def test_a_window_of_days_ends_on_the_last_day_with_data() -> None:
    assert window_ending(dt.date(2026, 10, 31), 30) == (dt.date(2026, 10, 2), dt.date(2026, 10, 31))
    assert window_ending(dt.date(2026, 10, 31), 30, 1) == (dt.date(2026, 9, 2), dt.date(2026, 10, 1))
    assert window_ending(dt.date(2026, 3, 1), 7, 1) == (dt.date(2026, 2, 16), dt.date(2026, 2, 22))
    assert window_ending(None, 7) == (None, None)
