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

from orchestration.dbt_command import NO_ARTIFACTS, UNIT_TESTS_SKIPPED
from orchestration.history_settings import changed_history_settings, record_history_settings
from orchestration.locking import warehouse_lock
from orchestration.partitions import daily_partitions, dbt_run_vars, dbt_vars_args
from orchestration.project import dbt_project
from orchestration.settings import SETTINGS_SOURCE_VAR, load_settings, load_shop_settings, subprocess_environment
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
    shop = load_shop_settings()
    variables = dbt_run_vars(context, shop)
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
        changed = changed_history_settings(settings.warehouse, shop)
        if changed:
            context.log.warning(
                "settings or seeds that shape the stored sessions and dates changed since the last build ("
                + "; ".join(f"{name}: {json.dumps(old)} -> {json.dumps(new)}" for name, (old, new) in changed.items())
                + "): this build is a full refresh"
            )
        dbt_vars, window = split_window(variables)
        with subprocess_environment(window):
            invocation = dbt.cli(build_args(dbt_vars, full_refresh=bool(changed)), context=context)
        yield from invocation.stream()
        record_history_settings(settings.warehouse, shop)


# The partition window reaches dbt in the environment, not as --vars: dbt parses the whole
# project again (about 3 s) whenever its --vars differ from those of the parse before, and the
# window moves every day. The window is read when models compile, never while dbt parses, so
# `make prepare`'s parse stays valid; macros/in_backfill_window.sql reads the vars or these.
WINDOW_ENV = {"ecom__backfill_start": "ECOM_BACKFILL_START", "ecom__backfill_end": "ECOM_BACKFILL_END"}


def split_window(variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the --vars without the partition window, the window as environment variables). A run
    without a window blanks them, so a window left in the caller's environment never applies."""
    dbt_vars = {name: value for name, value in variables.items() if name not in WINDOW_ENV}
    window = {env: str(variables.get(name) or "") for name, env in WINDOW_ENV.items()}
    return dbt_vars, window


def build_args(variables: dict[str, Any], full_refresh: bool) -> list[str]:
    return [
        "build",
        *UNIT_TESTS_SKIPPED,
        *NO_ARTIFACTS,
        *(["--full-refresh"] if full_refresh else []),
        *dbt_vars_args(variables),
    ]


MART_KEYS = [key for key in dbt_models.keys if key.path[0] == "marts"]
