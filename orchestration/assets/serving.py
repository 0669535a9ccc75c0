"""The serving copy: the marts in a separate DuckDB file that BI tools open read-only."""

import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.assets.dbt import MART_KEYS
from orchestration.settings import load_settings


def publish_serving_copy(warehouse: Path, serving_db: Path) -> dict[str, int]:
    """Copies every table of `marts` into a new file, then renames it over the old one.

    Readers holding the old file keep reading it; new connections see the new
    one, whole. The file uses storage version v1.1.0 so BI drivers that embed
    an older DuckDB can open it.
    """
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving_db.with_name(f".{serving_db.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    # An in-memory session attaching both files: the warehouse read-only, the
    # new file writable (a read-only connection would make every attachment read-only).
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        con.execute(f"attach '{tmp}' as serving (storage_version 'v1.1.0')")
        con.execute("create schema serving.marts")
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'warehouse' and table_schema = 'marts' and table_type = 'BASE TABLE' "
                "order by table_name"
            ).fetchall()
        ]
        for table in tables:
            con.execute(f"create table serving.marts.{table} as select * from warehouse.marts.{table}")
            counts[table] = con.execute(f"select count(*) from serving.marts.{table}").fetchone()[0]
        con.execute("detach serving")
    os.replace(tmp, serving_db)
    return counts


@dg.asset(
    key=["serving", "serving_db"],
    deps=MART_KEYS,
    group_name="serving",
    kinds={"duckdb"},
    description="Copy of the marts in ECOM_SERVING_DB, published atomically after a successful build.",
)
def serving_db() -> dg.MaterializeResult:
    settings = load_settings()
    counts = publish_serving_copy(settings.warehouse, settings.serving_db)
    return dg.MaterializeResult(
        metadata={
            "path": str(settings.serving_db),
            "tables": len(counts),
            "size_bytes": settings.serving_db.stat().st_size,
            **{f"rows.{table}": rows for table, rows in counts.items()},
        }
    )
