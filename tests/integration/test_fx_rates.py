"""Money at any date: real ECB reference rates, a shop's own landed rates, and a loud stop without a rate.

Landing folder: tests/fixtures/fx_shop. Reporting currency USD, UTC. The ECB
figures below are the seed's (seeds/fx_rates.csv: units of the currency per
1 EUR, as the ECB publishes them); USD per unit of a currency is
(USD per EUR) / (currency per EUR) on the same ECB day.

  F1  EUR 2001-03-15 (Thu)  1 x 100.00 EUR. ECB: USD 0.9064 per EUR.
      100 x 0.9064 = 90.64
  F2  GBP 2001-03-17 (Sat)  2 x 20.00 = 40.00 GBP. No ECB rate on Saturday: Friday 03-16's,
      USD 0.8947 and GBP 0.6251 per EUR: 40 x 0.8947 / 0.6251 = 57.2516 -> 57.25
  F3  USD 1997-06-10        30.00 USD: before the ECB's first day, but in the reporting currency: 30.00
  F4  GBP 2026-03-03        10.00 GBP. Landed: 1.20 USD in fx_rates/2026-03-04.csv, restated as 1.25 in
      2026-03-05.csv (the later file wins). The landed rate wins over the ECB's of that day
      (1.1606 / 0.8717 = 1.3314 -> 13.31): 10 x 1.25 = 12.50
  F5  GBP 2026-03-04        10.00 GBP, no landed rate that day: the ECB's, USD 1.1649 and GBP 0.8705 per EUR:
      10 x 1.1649 / 0.8705 = 13.38196 -> 13.38
  F6  XAF 2026-03-03        10000 XAF, a currency the ECB does not publish. Landed 1 XAF = 0.00152449 EUR;
      EUR to USD is the ECB's 1.1606 on 03-03: 10000 x 0.00152449 x 1.1606 = 17.6932 -> 17.69
  F7  XAF 2026-03-06 (Fri)  no XAF rate since 03-03: the nearest earlier one, 17.69 again

fx_rates/ rows: 2026-03-04.csv has 2 good rows and 3 bad ones (rate -1, currency "POUND", rate NaN);
2026-03-05.csv restates GBP 03-03: 3 rows loaded, 3 rejected, 1 duplicate (restatement).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, dbt_build, land_fixture, pipeline_env, run_dbt, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "fx_shop"
SEED = REPO_ROOT / "seeds" / "fx_rates.csv"


@pytest.fixture(scope="module")
def fx_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    workdir = tmp_path_factory.mktemp("fx")
    landing = workdir / "landing"
    land_fixture(FIXTURE, landing)
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_orders_convert_at_the_ecb_rate_of_their_day_or_the_shops_own(fx_run: PipelineRun) -> None:
    orders = {
        order_id: (order_date, gmv)
        for order_id, order_date, gmv in query(fx_run.serving, "select order_id, order_date, gmv from marts.fct_orders")
    }
    assert orders == {
        "F1": (dt.date(2001, 3, 15), Decimal("90.64")),
        "F2": (dt.date(2001, 3, 17), Decimal("57.25")),
        "F3": (dt.date(1997, 6, 10), Decimal("30.00")),
        "F4": (dt.date(2026, 3, 3), Decimal("12.50")),
        "F5": (dt.date(2026, 3, 4), Decimal("13.38")),
        "F6": (dt.date(2026, 3, 3), Decimal("17.69")),
        "F7": (dt.date(2026, 3, 6), Decimal("17.69")),
    }


def test_ecb_figures_of_the_derivation_are_the_seeds() -> None:
    with duckdb.connect() as con:
        rows = con.execute(
            f"select cast(rate_date as varchar), usd, gbp from read_csv('{SEED}', all_varchar = true) "
            "where rate_date in ('2001-03-15', '2001-03-16', '2001-03-17', '2026-03-03', '2026-03-04') order by 1"
        ).fetchall()
    assert rows == [
        ("2001-03-15", "0.9064", "0.6285"),
        ("2001-03-16", "0.8947", "0.6251"),
        ("2026-03-03", "1.1606", "0.8717"),
        ("2026-03-04", "1.1649", "0.8705"),
    ]


def test_landed_rates_are_checked_and_restated(fx_run: PipelineRun) -> None:
    [summary] = query(
        fx_run.serving,
        "select files_loaded, rows_loaded, rows_rejected, duplicate_rows from marts.ingest_summary "
        "where source = 'fx_rates'",
    )
    assert summary == (2, 3, 3, 1)
    rejected = query(fx_run.warehouse, "select _file, _line, reason from raw.fx_rates_rejected order by _line")
    assert rejected == [
        ("fx_rates/2026-03-04.csv", 4, "rate not positive"),
        ("fx_rates/2026-03-04.csv", 5, "invalid currency"),
        ("fx_rates/2026-03-04.csv", 6, "rate not positive"),
    ]


def test_the_seed_is_the_packaged_ecb_file(tmp_path: Path) -> None:
    # `make fx-seed` rebuilds the committed seed byte for byte, offline, from the pinned package
    out = tmp_path / "fx_rates.csv"
    subprocess.run(
        [sys.executable, "scripts/build_fx_rates_seed.py", "--out", str(out)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == SEED.read_bytes()


def test_an_amount_without_a_rate_stops_the_build_saying_what_to_do(tmp_path: Path) -> None:
    # M1 GBP on 1998-12-31, before the ECB's first day (1999-01-04); M2 and M3 in RUB in 2024, after the
    # ECB's last RUB rate (2022-03-01): no rate is used for years after the ECB stopped.
    landing = tmp_path / "landing"
    land_fixture(FIXTURE, landing)
    (landing / "orders" / "2026-03-08.csv").write_text(
        "order_id,customer_id,created_at,status,currency\n"
        "M1,C9,1998-12-31T12:00:00Z,paid,GBP\n"
        "M2,C9,2024-05-02T12:00:00Z,paid,RUB\n"
        "M3,C9,2024-06-03T12:00:00Z,paid,RUB\n"
    )
    env = pipeline_env(tmp_path, landing)
    subprocess.run(
        [sys.executable, "-m", "orchestration.loading"], cwd=REPO_ROOT, env=env, check=True, capture_output=True
    )
    result = dbt_build(Path(env["ECOM_WAREHOUSE"]), tmp_path / "dbt_target", check=False)
    assert result.returncode != 0
    output = result.stdout
    title = "Missing fx rates to convert to the reporting currency USD in int_orders_converted_to_reporting_currency"
    assert title in output
    assert "GBP: no rate on 1998-12-31 (the first order_date without one; 1 row(s), the last on 1998-12-31)" in output
    assert "RUB: no rate on 2024-05-02 (the first order_date without one; 2 row(s), the last on 2024-06-03)" in output
    assert "land a file in the fx_rates/ landing folder" in output
    assert "make fx-seed" in output
    # the conversion is rolled back and nothing downstream is built: no order mart with a hole in its revenue
    built = {name for (name,) in query(Path(env["ECOM_WAREHOUSE"]), "select table_name from information_schema.tables")}
    assert "int_fx_rates_valid_ranges" in built
    assert not {"int_orders_converted_to_reporting_currency", "fct_orders", "kpi_daily"} & built


def test_a_landed_rate_in_an_unknown_quote_currency_stops_the_build(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    land_fixture(FIXTURE, landing)
    (landing / "fx_rates" / "2026-03-09.csv").write_text(
        "rate_date,currency,rate,quote_currency\n2026-03-03,CHF,0.9,ABC\n"
    )
    env = pipeline_env(tmp_path, landing)
    subprocess.run(
        [sys.executable, "-m", "orchestration.loading"], cwd=REPO_ROOT, env=env, check=True, capture_output=True
    )
    # only the rates and what they need: the failure is there
    result = run_dbt(
        ["build", "--quiet", "--select", "+int_fx_rates_valid_ranges"],
        tmp_path / "dbt_target",
        {"ECOM_WAREHOUSE": env["ECOM_WAREHOUSE"]},
        check=False,
    )
    assert result.returncode != 0
    assert "Landed fx_rates/ rows whose quote_currency has no rate on their rate_date" in result.stdout
    assert "CHF quoted in ABC: 1 rate(s) from 2026-03-03" in result.stdout


def test_no_rate_runs_across_a_gap_of_the_reporting_currency(fx_run: PipelineRun, tmp_path: Path) -> None:
    """The ECB published no ISK rate from 2008-12-10 to 2018-01-31 (seed: last 2008-12-09, next
    2018-02-01). With ISK as the reporting currency, a USD amount of 2009 has no ISK rate at all: the
    2008-12-09 cross rate must stop at the next ECB day, 2008-12-10, not cover the nine years (the build
    would then convert 2009-2017 at a 2008 rate, silently)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(fx_run.warehouse, warehouse)
    run_dbt(
        ["run", "--quiet", "--select", "int_fx_rates_valid_ranges", "--vars", '{"reporting_currency": "ISK"}'],
        tmp_path / "target",
        {"ECOM_WAREHOUSE": str(warehouse)},
    )
    usd = query(
        warehouse,
        "select valid_from, valid_to from intermediate.int_fx_rates_valid_ranges "
        "where currency = 'USD' and valid_from between '2008-12-09' and '2018-02-01' order by valid_from",
    )
    assert usd == [(dt.date(2008, 12, 9), dt.date(2008, 12, 10)), (dt.date(2018, 2, 1), dt.date(2018, 2, 2))]
