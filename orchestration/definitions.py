"""The Dagster code location: assembles assets, resources and jobs; nothing else."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.dbt import dbt_models
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
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load the landing folder, dbt build, publish the serving copy.",
)

defs = dg.Definitions(
    assets=[load_landing, dbt_models, serving_db, kpi_summary, kpi_report],
    asset_checks=CHECKS,
    jobs=[full_pipeline_job],
    sensors=[landing_sensor],
    schedules=[daily_schedule],
    resources={"dbt": dbt_resource()},
    executor=dg.in_process_executor,
)
