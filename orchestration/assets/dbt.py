"""The dbt project as assets: `dbt build`, so each model's tests run right after it.

One asset definition, partitioned by day (orchestration/partitions.py), with a
single-run backfill policy: a backfill of a date range is one dbt invocation.
The partition window reaches dbt as vars; the event-driven incremental models
(dbt tag daily_partitioned) re-derive every event in it, and the table models
downstream are rebuilt whole in the same invocation, so every mart agrees with
the days just rebuilt. Why not partition only the event-driven models: Dagster
cannot record dbt tests as checks of a partitioned asset in a run without a
partition, and two asset definitions over one project split a run into several
dbt invocations (about 8 s of start-up each) with tests spanning them failing.
"""
# No `from __future__ import annotations` here: Dagster reads the context annotation at runtime.

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.locking import warehouse_lock
from orchestration.partitions import daily_partitions, dbt_run_vars, dbt_vars_args
from orchestration.project import dbt_project
from orchestration.settings import SETTINGS_SOURCE_VAR, load_settings
from orchestration.translator import translator


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=daily_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    # a bad setting (SettingsError) fails this step with the message naming it
    variables = dbt_run_vars(context)
    if "ecom__backfill_start" in variables:
        context.log.info(
            f"partition window (UTC): {variables['ecom__backfill_start']} to {variables['ecom__backfill_end']}"
        )
    if SETTINGS_SOURCE_VAR in variables:
        context.log.info(f"shop settings from {variables[SETTINGS_SOURCE_VAR]}: {json.dumps(variables)}")
    # An error-severity test failure makes dbt exit non-zero: this step fails
    # and the serving publish downstream does not run.
    settings = load_settings()
    with warehouse_lock(settings.warehouse, settings.lock_wait_seconds):
        yield from dbt.cli(["build", *dbt_vars_args(variables)], context=context).stream()


MART_KEYS = [key for key in dbt_models.keys if key.path[0] == "marts"]
