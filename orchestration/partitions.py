"""Daily partitions of the dbt assets, and the dbt vars a partitioned run passes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.settings import ShopSettings, load_shop_settings, partitions_start


def reporting_timezone() -> str:
    """The effective setting reporting_timezone (dbt_project.yml, ECOM_CONFIG, ECOM_DBT_VARS): a
    partition is a calendar day where the marts count days."""
    return load_shop_settings().reporting_timezone


def daily_partitions() -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=partitions_start(),
        timezone=reporting_timezone(),
        # today's partition exists: events of today land today
        end_offset=1,
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def today_partition_key(now: datetime | None = None) -> str:
    """The partition a run started by the sensor, the schedule or `make run` refreshes: today in the
    reporting time zone. Such a run takes every new load, of any day, and re-derives today's events."""
    partitions = daily_partitions()
    moment = (now or datetime.now(UTC)).astimezone(ZoneInfo(partitions.timezone))
    return moment.strftime("%Y-%m-%d")


def backfill_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    """The run's partition window as dbt vars (UTC, end exclusive); none for a run without a partition
    (a run of only some assets from the UI), which takes new loads only."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return {}
    window = context.partition_time_window
    return {"ecom__backfill_start": _utc(window.start), "ecom__backfill_end": _utc(window.end)}


def dbt_run_vars(context: dg.AssetExecutionContext, shop: ShopSettings | None = None) -> dict[str, Any]:
    """Every --var of the run's dbt build: the shop settings (by default the current ones), then the
    partition window."""
    return {**(shop or load_shop_settings()).dbt_vars(), **backfill_vars(context)}


def dbt_vars_args(variables: dict[str, Any]) -> list[str]:
    return ["--vars", json.dumps(variables)] if variables else []
