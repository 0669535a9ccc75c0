"""Free space: a run refuses to start on a disk too full for it, and names the disk when one fills up.

The estimate of what a run writes (docs/operations.md, "Free space"):
- the warehouse's folder: the new landing data (files not in raw.load_log with the same path, size and
  mtime; a .gz file counted 8 times, as the loader's batches count it) for raw and staging, plus the
  serving file's size, because dbt writes each table mart whole before it drops the old one;
- the serving file's folder: the serving file's size (the publish writes the new copy beside the old
  one before the rename) plus a quarter of the new landing data (the marts were 0.16 to 0.18 of the
  landed bytes at 1M and 5M events);
- Dagster's home: DAGSTER_RUN_BYTES for a run's history (a tiny shop's first run wrote 6.7 MB);
- on each disk, the sum of the folders on it plus ECOM_FREE_SPACE_MARGIN_MB (default 100) for the
  write-ahead logs, DuckDB's spill files and dbt's target/ folder.
It is a floor, not a promise: a run that still fills the disk fails with a `pipeline FAILED` line
naming the disk (orchestration/failures.py).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import Settings, read_environment

MB = 1024 * 1024
DAGSTER_RUN_BYTES = 50 * MB
# as orchestration/loading/load.py GZIP_RATIO: how much a .gz file grows when read
GZIP_RATIO = 8
MARGIN_ENV = "ECOM_FREE_SPACE_MARGIN_MB"


class NotEnoughSpaceError(RuntimeError):
    """A disk the run writes has less free space than the run is estimated to need."""


def human(size: float) -> str:
    """Bytes as people read them: 512 B, 12.3 MB, 4.56 GB."""
    for unit, factor in (("GB", 1024**3), ("MB", MB), ("KB", 1024)):
        if abs(size) >= factor:
            return f"{size / factor:,.1f} {unit}"
    return f"{int(size)} B"


def existing_ancestor(path: Path) -> Path:
    """The path itself or its nearest existing parent (a folder a first run has yet to create)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def mount_point(path: Path) -> Path:
    """The folder the disk holding `path` is mounted at."""
    path = existing_ancestor(path.resolve())
    device = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == device:
        path = path.parent
    return path


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(existing_ancestor(path)).free


def describe_disk(folder: Path) -> str:
    """'the disk of /data (mounted at /, 1.2 GB free now)', for messages."""
    try:
        return f"the disk of {folder} (mounted at {mount_point(folder)}, {human(free_bytes(folder))} free now)"
    except OSError:
        return f"the disk of {folder}"


def margin_bytes() -> int:
    """ECOM_FREE_SPACE_MARGIN_MB in bytes (a bad value is a SettingsError, refused before a run starts)."""
    return int(read_environment().free_space_margin_mb * MB)


def _utc(timestamp: float) -> dt.datetime:
    # as the loader writes raw.load_log.mtime
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


def loaded_versions(warehouse: Path) -> set[tuple[str, int, dt.datetime]]:
    """(path, size, mtime) of every file version raw.load_log records; empty before the first load."""
    if not warehouse.exists():
        return set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'load_log'"
        ).fetchone()[0]
        if not exists:
            return set()
        return {(p, s, m) for p, s, m in con.execute("select path, size_bytes, mtime from raw.load_log").fetchall()}


def new_landing_bytes(landing_dir: Path, warehouse: Path) -> int:
    """Bytes the next load reads: landed files whose path, size and mtime raw.load_log does not know."""
    known = loaded_versions(warehouse)
    total = 0
    for folder, _dirs, names in os.walk(landing_dir):
        for name in names:
            path = Path(folder) / name
            try:
                stat = path.stat()
            except OSError:
                continue  # the loader reports what it cannot read; here it only counts bytes
            relative = path.relative_to(landing_dir).as_posix()
            if (relative, stat.st_size, _utc(stat.st_mtime)) not in known:
                total += stat.st_size * (GZIP_RATIO if name.endswith(".gz") else 1)
    return total


@dataclass(frozen=True)
class Need:
    folder: Path
    what: str  # e.g. "the warehouse's folder"
    parts: tuple[tuple[str, int], ...]  # (reason, bytes)

    @property
    def total(self) -> int:
        return sum(size for _, size in self.parts)


def run_needs(settings: Settings) -> list[Need]:
    """What one run writes in each folder, by the estimate in the module docstring."""
    landing = new_landing_bytes(settings.landing_dir, settings.warehouse)
    serving = settings.serving_db.stat().st_size if settings.serving_db.exists() else 0
    return [
        Need(
            settings.warehouse.parent,
            "the warehouse's folder",
            (("new landing data", landing), ("marts rebuilt beside the old ones", serving)),
        ),
        Need(
            settings.serving_db.parent,
            "the serving file's folder",
            (("the new serving copy beside the old one", serving), ("the marts' growth", landing // 4)),
        ),
        Need(settings.dagster_home, "Dagster's home", (("the run's history", DAGSTER_RUN_BYTES),)),
    ]


def check_free_space(settings: Settings) -> None:
    """Raises NotEnoughSpaceError naming the folder, its free space and the need, when a disk the run
    writes has less free space than the estimate (the folders on one disk add up)."""
    margin = margin_bytes()
    by_disk: dict[int, list[Need]] = {}
    for need in run_needs(settings):
        by_disk.setdefault(existing_ancestor(need.folder).stat().st_dev, []).append(need)
    for needs in by_disk.values():
        folder = needs[0].folder
        free = free_bytes(folder)
        total = sum(need.total for need in needs) + margin
        if free >= total:
            continue
        whats: dict[Path, list[str]] = {}
        for need in needs:
            whats.setdefault(need.folder, []).append(need.what)
        folders = " and ".join(f"{folder} ({', '.join(what)})" for folder, what in whats.items())
        parts = ", ".join(f"{reason} {human(size)}" for need in needs for reason, size in need.parts if size)
        raise NotEnoughSpaceError(
            f"not enough free space on the disk of {folders}, mounted at {mount_point(folder)}: "
            f"{human(free)} free, this run needs about {human(total)} ({parts}, margin {human(margin)}). "
            f"Free space on that disk, or point ECOM_WAREHOUSE / ECOM_SERVING_DB / DAGSTER_HOME at a disk with "
            f"room, then run again ({MARGIN_ENV} sets the margin; docs/operations.md, Free space)."
        )
