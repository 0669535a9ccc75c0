"""Exports every loaded raw table as Parquet, one folder per table, for other engines (Spark).

python -m orchestration.export_raw   # what `make export-raw` runs; writes ECOM_RAW_PARQUET_DIR (data/raw_parquet)

Each folder is replaced whole (written beside it, then renamed), so an engine
reading it sees the previous export or the new one, never half of one.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

from orchestration.locking import warehouse_lock
from orchestration.settings import load_settings


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
        ).fetchall()
    ]


def export_raw(warehouse: Path, out_dir: Path, lock_wait_seconds: float = 0) -> dict[str, int]:
    """Writes <out_dir>/<table>/data.parquet for every table of schema raw; returns rows per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with warehouse_lock(warehouse, lock_wait_seconds), duckdb.connect(str(warehouse), read_only=True) as con:
        tables = raw_tables(con)
        for index, table in enumerate(tables, start=1):
            started = time.monotonic()
            staging = out_dir / f".{table}.{os.getpid()}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            target = staging / "data.parquet"
            # COPY answers with the rows it wrote: no second scan to count them
            [(counts[table],)] = con.execute(
                f"copy (select * from raw.{table}) to '{target}' (format parquet, compression zstd)"
            ).fetchall()
            final = out_dir / table
            previous = out_dir / f".{table}.{os.getpid()}.old"
            if final.exists():
                final.rename(previous)
            staging.rename(final)
            shutil.rmtree(previous, ignore_errors=True)
            print(
                f"[{index}/{len(tables)}] raw.{table}: {counts[table]:,} rows -> {final} "
                f"({time.monotonic() - started:.1f} s)",
                file=sys.stderr,
            )
    return counts


def main() -> int:
    settings = load_settings()
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}: run `make run` first", file=sys.stderr)
        return 1
    counts = export_raw(settings.warehouse, settings.raw_parquet_dir)
    print(f"exported {len(counts)} raw tables to {settings.raw_parquet_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
