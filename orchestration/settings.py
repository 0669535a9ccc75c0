"""Every environment variable the project reads, resolved in one place."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_DIR = REPO_ROOT


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    serving_db: Path
    dagster_home: Path
    duckdb_memory_limit: str
    duckdb_threads: int
    # How long a step of a daemon-launched run waits for another run's writer lock.
    lock_wait_seconds: float
    # Parquet copies of the raw tables, one folder per table, for Spark.
    raw_parquet_dir: Path


def _path(name: str, default: str) -> Path:
    # Relative paths are taken from the directory the command runs in (the
    # repository root for every make target), then made absolute because dbt
    # runs in its own process with dbt_project/ as its working directory.
    return Path(os.environ.get(name) or default).expanduser().resolve()


def load_settings() -> Settings:
    warehouse = _path("ECOM_WAREHOUSE", "data/warehouse.duckdb")
    return Settings(
        landing_dir=_path("ECOM_LANDING_DIR", "data/landing"),
        warehouse=warehouse,
        serving_db=_path("ECOM_SERVING_DB", "data/serving.duckdb"),
        # Beside the warehouse by default, so pointing ECOM_WAREHOUSE elsewhere
        # keeps Dagster's run history out of data/ as well.
        dagster_home=_path("DAGSTER_HOME", str(warehouse.parent / "dagster_home")),
        duckdb_memory_limit=os.environ.get("ECOM_DUCKDB_MEMORY_LIMIT", "4GB"),
        duckdb_threads=int(os.environ.get("ECOM_DUCKDB_THREADS", "2")),
        lock_wait_seconds=float(os.environ.get("ECOM_LOCK_WAIT_SECONDS", "1800")),
        raw_parquet_dir=_path("ECOM_RAW_PARQUET_DIR", str(warehouse.parent / "raw_parquet")),
    )


def export_for_subprocesses(settings: Settings) -> None:
    """dbt reads its warehouse path from the environment (profiles.yml): hand it the absolute one."""
    os.environ["ECOM_WAREHOUSE"] = str(settings.warehouse)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["ECOM_RAW_PARQUET_DIR"] = str(settings.raw_parquet_dir)
    os.environ.setdefault("ECOM_DUCKDB_MEMORY_LIMIT", settings.duckdb_memory_limit)
    os.environ.setdefault("ECOM_DUCKDB_THREADS", str(settings.duckdb_threads))


def ensure_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME with the repository's dagster.yaml, created on first use."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text((REPO_ROOT / "orchestration" / "config" / "dagster.yaml").read_text())
    return settings.dagster_home


def partitions_start() -> str:
    """ECOM_PARTITIONS_START (YYYY-MM-DD, default 2025-01-01): the first daily partition of the dbt assets,
    so the first day `make backfill` and the UI can rebuild. `make run` loads orders and events of any date
    whatever it says; a shop with older history sets it to its first day only to backfill those days."""
    value = (os.environ.get("ECOM_PARTITIONS_START") or "2025-01-01").strip()
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"ECOM_PARTITIONS_START={value!r} is no day: set it to YYYY-MM-DD (for example the day of your "
            "first order), or unset it for 2025-01-01"
        ) from None
    return value
