"""What starts a run on its own: new files in the landing folder, or the daily schedule as a fallback."""

from __future__ import annotations

import hashlib
import time

import dagster as dg

from orchestration.loading.contract import SOURCES
from orchestration.loading.discovery import LandedFile, discover
from orchestration.partitions import today_partition_key
from orchestration.settings import load_settings, read_environment

JOB_NAME = "full_pipeline"


def landed_files() -> list[LandedFile]:
    landing = load_settings().landing_dir
    return [f for source in SOURCES for f in discover(landing, source)]


def fingerprint(files: list[LandedFile]) -> str:
    """Changes whenever a landed file appears, grows or is rewritten."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.relative_path):
        digest.update(f"{f.relative_path}\0{f.size}\0{f.mtime}\n".encode())
    return digest.hexdigest()


def landing_decision(files: list[LandedFile], cursor: str | None, now: float, settle_seconds: float):
    """A RunRequest when the landing folder changed since the last request and has been quiet for
    `settle_seconds` (an exporter may still be writing), else a SkipReason. Returns (result, new cursor)."""
    if not files:
        return dg.SkipReason("the landing folder has no files yet"), cursor
    current = fingerprint(files)
    if current == cursor:
        return dg.SkipReason("no new or changed files since the last run request"), cursor
    newest = max(f.mtime for f in files)
    if now - newest < settle_seconds:
        return dg.SkipReason(f"files changed {now - newest:.0f} s ago; waiting until they settle"), cursor
    # the loader skips files it has loaded before, so a request after a mere touch costs one quick run
    return dg.RunRequest(
        run_key=current, partition_key=today_partition_key(), tags={"trigger": "landing_sensor"}
    ), current


@dg.sensor(
    job_name=JOB_NAME,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the pipeline when files land in ECOM_LANDING_DIR and have stopped changing "
    "for ECOM_SENSOR_SETTLE_SECONDS (default 10).",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    settle = read_environment().sensor_settle_seconds
    result, cursor = landing_decision(landed_files(), context.cursor, time.time(), settle)
    if cursor != context.cursor:
        context.update_cursor(cursor)
    return result


@dg.schedule(
    name="daily_pipeline",
    job_name=JOB_NAME,
    cron_schedule=read_environment().schedule_cron,
    execution_timezone=read_environment().schedule_timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Fallback when the sensor misses a delivery: the whole pipeline daily "
    "(ECOM_SCHEDULE_CRON, default 06:00, in ECOM_SCHEDULE_TIMEZONE, default UTC), as the partition "
    "of the day it runs on in the reporting time zone.",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(partition_key=today_partition_key(context.scheduled_execution_time))
