"""The dbt project as assets: `dbt build`, so each model's tests run right after it."""
# No `from __future__ import annotations` here: Dagster reads the context annotation at runtime.

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.locking import warehouse_lock
from orchestration.project import dbt_project
from orchestration.settings import load_settings
from orchestration.translator import translator


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    # An error-severity test failure makes dbt exit non-zero: this step fails
    # and the serving publish downstream does not run.
    settings = load_settings()
    with warehouse_lock(settings.warehouse, settings.lock_wait_seconds):
        yield from dbt.cli(["build"], context=context).stream()


MART_KEYS = [key for key in dbt_models.keys if key.path[0] == "marts"]
