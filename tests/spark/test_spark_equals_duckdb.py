"""The same dbt project on Apache Spark (dbt-spark, local PySpark) gives the same marts as on DuckDB.

`make test-spark` (after `make test` in .ci/run). One fixture, loaded in two
stages; Spark builds after each, and its second build is incremental
(insert_overwrite of whole key buckets, macros/rows_to_write.sql). Every mart
must then equal a DuckDB full refresh of the same loads (tests/spark/compare.py:
counts exact, money to the cent, ratios to 1e-9): the incremental = full
refresh invariant and the engine equivalence in one comparison.

- The fixture is the hand-made tiny shop (late events, identity stitching,
  bots, refunds, FX) beside a small generated shop, which fills every source
  and every mart, and the merch shop's events (products[] lists, searches,
  promotions, coupons: what the generated shop does not send). The tiny shop and the generated shop's first two weeks
  land in the first stage, the rest in the second.
- Both engines build with reporting_timezone Asia/Tokyo, so calendar dates go
  through each engine's time zone macro.
- The first Spark build makes the incremental models (and what they read);
  the second builds every model, incrementally where it can, and runs every
  dbt test on Spark.
- A changed bucket count then stops a run with a message.

The raw tables reach Spark through the Parquet export (`make export-raw`),
loaded by the loader in-process: Dagster is not what is compared here.
dbt unit tests run on DuckDB only: their fixtures give `this` as DuckDB SQL.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.export_raw import export_raw
from orchestration.loading import load
from orchestration.loading.contract import SOURCES
from tests.conftest import REPO_ROOT, TINY_SHOP, generate_shop, land_fixture, run_dbt
from tests.spark.compare import compare_marts

pytestmark = pytest.mark.spark

TOKYO = {"reporting_timezone": "Asia/Tokyo"}
MERCH_SHOP = REPO_ROOT / "tests" / "fixtures" / "merch_shop"
# the generated shop's dated files before this day land in the first stage, the rest in the second
CUT = "2026-10-25"


def spark_env(workdir: Path, raw_parquet: Path) -> dict[str, str]:
    return {
        "ECOM_DBT_TARGET": "spark",
        "ECOM_RAW_PARQUET_DIR": str(raw_parquet),
        "ECOM_SPARK_DIR": str(workdir / "spark"),
        # the warehouse's name only: dbt-spark never opens the DuckDB file
        "ECOM_WAREHOUSE": str(workdir / "warehouse.duckdb"),
    }


def spark_build(
    workdir: Path, raw_parquet: Path, with_tests: bool, dbt_vars: dict | None = None, select: str | None = None
) -> float:
    """`dbt build --target spark` into workdir/spark; returns its seconds."""
    env = spark_env(workdir, raw_parquet)
    excluded = ["unit_test"] if with_tests else ["unit_test", "test"]
    args = ["build", "--exclude-resource-type", *excluded, *(["--select", select] if select else [])]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    started = time.monotonic()
    run_dbt(args, workdir / "spark_target", env)
    return time.monotonic() - started


def assert_marts_equal(serving: Path, spark_dir: Path) -> None:
    differences = compare_marts(serving, spark_dir / "warehouse")
    assert len(differences) >= 20, sorted(differences)
    assert {table: found for table, found in differences.items() if found} == {}


def load_stage(landing: Path, warehouse: Path) -> None:
    """What `make run` loads, without the rest of the run: the loader on the landing folder."""
    con = load.connect(warehouse)
    try:
        load.load_landing(con, landing, list(SOURCES), lambda _message: None)
    finally:
        con.close()


def land_merch_events(source: Path) -> None:
    """tests/fixtures/merch_shop's events, their messageIds and anonymousIds prefixed so that they meet
    none of the tiny shop's (its orders and products are the tiny shop's own, left as they are)."""
    for path in sorted((MERCH_SHOP / "events").glob("*.jsonl")):
        messages = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for message in messages:
            message["messageId"] = f"merch-{message['messageId']}"
            message["anonymousId"] = f"merch-{message['anonymousId']}"
        target = source / "merch_shop" / "events" / f"merch-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(json.dumps(message) + "\n" for message in messages))


def stages(tmp_path: Path) -> tuple[Path, list[list[Path]]]:
    """The source folder (tiny shop, merch shop's events and generated shop) and its files of the first
    and second stage."""
    source = tmp_path / "source"
    generate_shop(source, days=21, visitors=2000, seed=7)
    land_fixture(TINY_SHOP, source / "tiny_shop")
    land_merch_events(source)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    first = [p for p in files if not p.parent.name.startswith("date=") or p.parent.name < f"date={CUT}"]
    return source, [first, files]


def test_one_fixture_loaded_in_two_stages_gives_the_same_marts_on_spark(tmp_path: Path) -> None:
    source, staged = stages(tmp_path)
    landing, warehouse, raw_parquet = tmp_path / "landing", tmp_path / "warehouse.duckdb", tmp_path / "raw_parquet"
    for number, stage in enumerate(staged, start=1):
        for path in stage:
            relative = path.relative_to(source)
            # the hand-made shops' folders (events/, orders/, ...) are sources of the landing folder
            hand_made = relative.parts[0] in ("tiny_shop", "merch_shop")
            target = landing / (relative.relative_to(relative.parts[0]) if hand_made else relative)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        load_stage(landing, warehouse)
        export_raw(warehouse, raw_parquet)
        last = number == len(staged)
        # before the last stage only what the next build reads back: the incremental models and what
        # they are built from (every table model is rebuilt whole by the last build)
        select = None if last else "+config.materialized:incremental"
        seconds = spark_build(tmp_path, raw_parquet, with_tests=last, dbt_vars=TOKYO, select=select)
        print(f"Spark build {number}, {'every model and test' if last else 'incremental models'}: {seconds:.1f} s")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the tiny shop's hand-made edge cases are in the compared data
        tiny_orders = con.execute(
            "select count(distinct order_id) from raw.orders where order_id in ('O1', 'O2', 'O5')"
        ).fetchone()
        assert tiny_orders == (3,)
    run_dbt(
        [
            "build",
            "--quiet",
            "--full-refresh",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--vars",
            json.dumps(TOKYO),
        ],
        tmp_path / "duckdb_target",
        {"ECOM_WAREHOUSE": str(warehouse)},
    )
    assert_marts_equal(warehouse, tmp_path / "spark")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the merch shop's properties (products[] lists, search queries, promotions) are in what was compared
        compared = con.execute(
            "select (select sum(list_views + checkouts_started) from marts.product_daily), "
            "(select count(*) from marts.site_search_daily), (select count(*) from marts.promotions_daily)"
        ).fetchone()
        assert all(compared), compared

    spark_marts = tmp_path / "spark" / "warehouse" / "marts.db"
    # the tables are partitioned by key bucket, and the second build was incremental: rows of both builds
    assert len(list((spark_marts / "fct_events").glob("key_bucket=*"))) == 16
    assert len(list((spark_marts / "fct_sessions").glob("key_bucket=*"))) == 16
    with duckdb.connect() as con:
        [(builds,)] = con.execute(
            f"select count(distinct sessionized_at) from read_parquet('{spark_marts}/fct_events/**/*.parquet')"
        ).fetchall()
    assert builds == 2

    # another bucket count would hash keys into other buckets: the run stops before writing
    changed = run_dbt(
        ["run", "--select", "fct_sessions", "--vars", json.dumps({**TOKYO, "ecom__spark_key_buckets": 8})],
        tmp_path / "spark_target",
        spark_env(tmp_path, raw_parquet),
        check=False,
    )
    assert changed.returncode != 0
    assert "was built with key buckets '16', var ecom__spark_key_buckets is 8" in changed.stdout
