"""A seed is loaded again only when its file or settings changed (dbt_project/macros/seed_when_changed.sql).

Each run used to parse fx_rates.csv (1.7 MB) in Python and load it again: up to 2.7 s of every run.
Now the stored table's comment names the md5 of the file it holds; a run whose file has another md5
loads it again, any other run leaves it as it is. Checked against the files themselves (csv, hashlib)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, copy_run, run_dbt

pytestmark = pytest.mark.slow

SEEDS = sorted((REPO_ROOT / "seeds").glob("*.csv"))


def stored(warehouse: Path) -> dict[str, tuple[str, int]]:
    """Every seed table's comment and row count."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            seed.stem: con.execute(
                f"select (select comment from duckdb_tables() where schema_name = 'staging' and table_name = '{seed.stem}'),"
                f" (select count(*) from staging.{seed.stem})"
            ).fetchone()
            for seed in SEEDS
        }


def file_rows(seed: Path) -> int:
    with seed.open(newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1  # the header


def seed_messages(target: Path) -> dict[str, str]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["message"] for r in results if r["unique_id"].startswith("seed.")}


def test_a_seed_loads_again_only_when_its_file_changed(tiny_shop_run: PipelineRun, tmp_path: Path) -> None:
    run = copy_run(tiny_shop_run, tmp_path / "run")
    env = {"ECOM_WAREHOUSE": str(run.warehouse)}
    assert len(SEEDS) == 5
    # the pipeline run loaded every seed whole and stamped it with its file's md5
    after_run = stored(run.warehouse)
    for seed in SEEDS:
        comment, rows = after_run[seed.stem]
        assert comment.split()[:2] == ["seed", hashlib.md5(seed.read_bytes()).hexdigest()], seed.name
        assert rows == file_rows(seed), seed.name

    # nothing changed: no seed is read again, and the tables are as they were
    run_dbt(["seed"], tmp_path / "t1", env)
    assert set(seed_messages(tmp_path / "t1").values()) == {"UNCHANGED"}
    assert stored(run.warehouse) == after_run

    # fx_rates stored from another file (its stamp differs, and a row is gone): loaded again, alone
    with duckdb.connect(str(run.warehouse)) as con:
        con.execute("delete from staging.fx_rates where rate_date = (select max(rate_date) from staging.fx_rates)")
        con.execute("comment on table staging.fx_rates is 'seed 0123456789abcdef0123456789abcdef x'")
    run_dbt(["seed"], tmp_path / "t2", env)
    messages = seed_messages(tmp_path / "t2")
    assert messages.pop("fx_rates") == f"INSERT {file_rows(REPO_ROOT / 'seeds' / 'fx_rates.csv')}"
    assert set(messages.values()) == {"UNCHANGED"}
    assert stored(run.warehouse) == after_run

    # --full-refresh loads every seed again
    run_dbt(["seed", "--full-refresh"], tmp_path / "t3", env)
    assert all(message.startswith("CREATE ") for message in seed_messages(tmp_path / "t3").values())
    assert stored(run.warehouse) == after_run
