"""The same dbt project on Apache Spark (dbt-spark, local PySpark) gives the same marts as on DuckDB.

`make test-spark` (after `make test` in .ci/run). For each dataset: the
pipeline builds it on DuckDB, `orchestration.export_raw` writes the raw tables
as Parquet, `dbt build --target spark` builds every model from those files
(the on-run-start hook registers them as Spark tables), and every mart is
compared table by table (tests/spark/compare.py: counts exact, money to the
cent, ratios to 1e-9).

- The hand-made fixture (tests/fixtures/tiny_shop: late events, identity
  stitching, bots, refunds, FX) is built on both engines with
  reporting_timezone Asia/Tokyo (so calendar dates go through each engine's
  time zone macro) and every dbt test also runs on Spark.
- A small generated shop is loaded in two stages, and Spark builds after each:
  its second build is incremental (insert_overwrite of whole key buckets,
  macros/rows_to_write.sql). Its marts must equal a DuckDB full refresh of
  the same loads: the incremental = full-refresh invariant on Spark. A
  changed bucket count then stops a run with a message. Only
  models (no tests) on Spark here, to keep the suite under 10 minutes on 2
  cores.

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
from tests.conftest import REPO_ROOT, dbt_build, generate_shop, run_dbt, run_pipeline
from tests.spark.compare import compare_marts

pytestmark = pytest.mark.spark

TOKYO = {"reporting_timezone": "Asia/Tokyo"}


def spark_env(workdir: Path, raw_parquet: Path) -> dict[str, str]:
    return {
        "ECOM_DBT_TARGET": "spark",
        "ECOM_RAW_PARQUET_DIR": str(raw_parquet),
        "ECOM_SPARK_DIR": str(workdir / "spark"),
        # the warehouse's name only: dbt-spark never opens the DuckDB file
        "ECOM_WAREHOUSE": str(workdir / "warehouse.duckdb"),
    }


def spark_build(workdir: Path, raw_parquet: Path, with_tests: bool, dbt_vars: dict | None = None) -> float:
    """`dbt build --target spark` into workdir/spark; returns its seconds."""
    env = spark_env(workdir, raw_parquet)
    excluded = ["unit_test"] if with_tests else ["unit_test", "test"]
    args = ["build", "--exclude-resource-type", *excluded]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    started = time.monotonic()
    run_dbt(args, workdir / "spark_target", env)
    return time.monotonic() - started


def assert_marts_equal(serving: Path, spark_dir: Path) -> None:
    differences = compare_marts(serving, spark_dir / "warehouse")
    assert len(differences) >= 20, sorted(differences)
    assert {table: found for table, found in differences.items() if found} == {}


def test_the_hand_made_fixture_gives_the_same_marts_on_spark(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(REPO_ROOT / "tests" / "fixtures" / "tiny_shop", landing, ignore=shutil.ignore_patterns("README.md"))
    run = run_pipeline(tmp_path, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    tokyo = tmp_path / "tokyo.duckdb"
    shutil.copy(run.warehouse, tokyo)
    dbt_build(tokyo, tmp_path / "duckdb_target", dbt_vars=TOKYO, full_refresh=True)
    export_raw(run.warehouse, tmp_path / "raw_parquet")
    seconds = spark_build(tmp_path, tmp_path / "raw_parquet", with_tests=True, dbt_vars=TOKYO)
    print(f"Spark build with tests: {seconds:.1f} s")
    assert_marts_equal(tokyo, tmp_path / "spark")


def test_a_generated_shop_built_incrementally_on_spark_equals_a_full_refresh(tmp_path: Path) -> None:
    source = tmp_path / "generated"
    generate_shop(source, days=21, visitors=2000, seed=7)
    landing = tmp_path / "landing"
    files = sorted(p for p in source.rglob("*") if p.is_file())
    # first stage: the first two weeks of dated files (and every undated export); then the rest
    cut = "2026-10-25"
    first = [p for p in files if not p.parent.name.startswith("date=") or p.parent.name < f"date={cut}"]
    for number, stage in enumerate((first, files), start=1):
        for path in stage:
            target = landing / path.relative_to(source)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        run = run_pipeline(tmp_path, landing)
        assert run.result.returncode == 0, run.result.stderr[-5000:]
        export_raw(run.warehouse, tmp_path / "raw_parquet")
        seconds = spark_build(tmp_path, tmp_path / "raw_parquet", with_tests=False)
        print(f"Spark build {number}, models only: {seconds:.1f} s")

    full_refresh = tmp_path / "full_refresh.duckdb"
    shutil.copy(run.warehouse, full_refresh)
    run_dbt(["run", "--quiet", "--full-refresh"], tmp_path / "duckdb_target", {"ECOM_WAREHOUSE": str(full_refresh)})
    assert_marts_equal(full_refresh, tmp_path / "spark")

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
        ["run", "--select", "fct_sessions", "--vars", json.dumps({"ecom__spark_key_buckets": 8})],
        tmp_path / "spark_target",
        spark_env(tmp_path, tmp_path / "raw_parquet"),
        check=False,
    )
    assert changed.returncode != 0
    assert "was built with key buckets '16', var ecom__spark_key_buckets is 8" in changed.stdout
