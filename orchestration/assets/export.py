"""The raw tables as Parquet, for engines other than DuckDB (Spark reads them through dbt sources)."""

from __future__ import annotations

import dagster as dg

from orchestration.export_raw import export_raw
from orchestration.loading.contract import SOURCES
from orchestration.settings import load_settings


@dg.asset(
    key=["export", "raw_parquet"],
    deps=[dg.AssetKey(["raw", source]) for source in SOURCES] + [dg.AssetKey(["raw", "load_log"])],
    group_name="export",
    kinds={"parquet"},
    description="Every raw table as Parquet, one folder per table, in ECOM_RAW_PARQUET_DIR (default "
    "data/raw_parquet), each folder replaced whole. Not part of full_pipeline: run the job export_raw "
    "(or `make export-raw`) when another engine reads the raw data.",
)
def raw_parquet() -> dg.MaterializeResult:
    settings = load_settings()
    counts = export_raw(settings.warehouse, settings.raw_parquet_dir, settings.lock_wait_seconds)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.raw_parquet_dir)),
            **{f"rows.{t}": n for t, n in counts.items()},
        }
    )
