"""`make export-raw`: every raw table as Parquet, one folder per table, equal to the warehouse's rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.export_raw import export_raw
from tests.conftest import PipelineRun

pytestmark = pytest.mark.slow


def test_every_raw_table_round_trips_through_parquet(tiny_shop_run: PipelineRun, tmp_path: Path) -> None:
    run = tiny_shop_run
    out = tmp_path / "raw_parquet"
    counts = export_raw(run.warehouse, out)
    # a second export replaces each folder whole (no duplicate files, no leftovers)
    assert export_raw(run.warehouse, out) == counts
    assert sorted(p.name for p in out.iterdir()) == sorted(counts)
    assert counts["events"] > 0 and counts["orders"] > 0

    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        for table in counts:
            assert [p.name for p in (out / table).iterdir()] == ["data.parquet"]
            differences = con.execute(
                f"""
                select count(*) from (
                    (select * from raw.{table} except all select * from read_parquet('{out / table}/*.parquet'))
                    union all
                    (select * from read_parquet('{out / table}/*.parquet') except all select * from raw.{table})
                )
                """
            ).fetchone()[0]
            assert differences == 0, f"raw.{table} differs from its Parquet export"
