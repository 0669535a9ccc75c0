"""The Dagster code location: assembles assets, resources and jobs; nothing else."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.dbt import dbt_models
from orchestration.assets.export import raw_parquet
from orchestration.assets.kpi_summary import kpi_report, kpi_summary
from orchestration.assets.raw import load_landing
from orchestration.assets.serving import serving_db
from orchestration.checks import CHECKS
from orchestration.resources import dbt_resource
from orchestration.triggers import daily_schedule, landing_sensor

# Every asset writes the one DuckDB warehouse, which allows a single writer:
# run steps one after another in one process, never in parallel processes.
full_pipeline_job = dg.define_asset_job(
    name="full_pipeline",
    # the Parquet export is for other engines: its own job, so DuckDB users do not pay for it
    selection=dg.AssetSelection.all() - dg.AssetSelection.keys(raw_parquet.key),
    executor_def=dg.in_process_executor,
    description="Load the landing folder, dbt build, publish the serving copy.",
)

export_raw_job = dg.define_asset_job(
    name="export_raw",
    selection=dg.AssetSelection.keys(raw_parquet.key),
    executor_def=dg.in_process_executor,
    description="Write every raw table as Parquet (ECOM_RAW_PARQUET_DIR) for Spark or another engine.",
)

defs = dg.Definitions(
    assets=[load_landing, dbt_models, serving_db, kpi_summary, kpi_report, raw_parquet],
    asset_checks=CHECKS,
    jobs=[full_pipeline_job, export_raw_job],
    sensors=[landing_sensor],
    schedules=[daily_schedule],
    resources={"dbt": dbt_resource()},
    executor=dg.in_process_executor,
)
