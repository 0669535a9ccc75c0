"""The serving copy: the marts in a separate DuckDB file that BI tools open read-only."""

import json
import os
import re
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.assets.dbt import MART_KEYS
from orchestration.locking import warehouse_lock
from orchestration.project import dbt_project
from orchestration.settings import ShopSettings, load_settings, load_shop_settings


def mart_docs(manifest_path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(table, description) and (table, column, description) of every mart, from dbt's manifest."""
    manifest = json.loads(manifest_path.read_text())
    tables, columns = [], []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        tables.append((node["name"], " ".join(node.get("description", "").split())))
        for column in node.get("columns", {}).values():
            columns.append((node["name"], column["name"], " ".join(column.get("description", "").split())))
    return sorted(tables), sorted(columns)


# The publish writes <serving file>.publish.tmp (and DuckDB its .wal) beside the serving file, then
# renames it over the serving file. One fixed name, so a run finds what a killed one left: the writer
# lock lets one publish run at a time. Releases before this one named it .<serving file>.<pid>.tmp.
PUBLISH_TMP_SUFFIX = ".publish.tmp"


def publish_tmp_path(serving_db: Path) -> Path:
    return serving_db.with_name(serving_db.name + PUBLISH_TMP_SUFFIX)


def publish_leftovers(serving_db: Path) -> list[Path]:
    """Temporary files a publish that did not finish left beside the serving file (and the KPI report's)."""
    if not serving_db.parent.is_dir():
        return []
    tmp = publish_tmp_path(serving_db)
    names = {tmp.name, tmp.name + ".wal"}
    # the older name, with the pid of the run that wrote it
    older = re.compile(rf"\.{re.escape(serving_db.name)}\.\d+\.tmp(\.wal)?")
    found = [path for path in serving_db.parent.iterdir() if path.name in names or older.fullmatch(path.name)]
    report = serving_db.parent / "report"
    if report.is_dir():
        found += [path for path in report.iterdir() if re.fullmatch(r"\.index\.html\.\d+\.tmp", path.name)]
    return sorted(path for path in found if path.is_file())


def remove_publish_leftovers(serving_db: Path) -> list[tuple[Path, int]]:
    """Removes what publish_leftovers finds; (path, bytes freed) of each. Call it holding the writer lock
    (no publish runs then), at the start of a run."""
    removed = []
    for path in publish_leftovers(serving_db):
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        removed.append((path, size))
    return removed


def _remove_tmp(tmp: Path) -> None:
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def publish_serving_copy(
    warehouse: Path, serving_db: Path, manifest_path: Path, build_id: str, shop: ShopSettings | None = None
) -> dict[str, int]:
    """Copies every table of `marts` into a new file, then renames it over the old one.

    Readers holding the old file keep reading it; new connections see the new
    one, whole. The file uses storage version v1.1.0 so BI drivers that embed
    an older DuckDB can open it. Schema `docs` describes it: docs.tables and
    docs.columns (from the dbt YAML), docs.build (this build's id and time),
    docs.table_rows (each table's row count in this build), so a reader
    can check that what it reads is one build, and docs.settings (the shop
    settings the build used, `shop`, by default the current ones: the
    publish runs in the same run as the dbt build).
    """
    shop = shop or load_shop_settings()
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = publish_tmp_path(serving_db)
    _remove_tmp(tmp)
    table_docs, column_docs = mart_docs(manifest_path)
    # An in-memory session attaching both files: the warehouse read-only, the
    # new file writable (a read-only connection would make every attachment read-only).
    # The pipeline's memory limit (ECOM_DUCKDB_MEMORY_LIMIT): an in-memory session's default is 80% of RAM.
    settings = load_settings()
    # Row order is not part of a table's meaning (readers sort), and keeping the warehouse's order
    # made the copy about 10% slower (3.03 s -> 2.71 s at 1M events).
    limits = {
        "memory_limit": settings.duckdb_memory_limit,
        "threads": settings.duckdb_threads,
        "preserve_insertion_order": False,
    }
    try:
        with duckdb.connect(config=limits) as con:
            con.execute(f"attach '{warehouse}' as warehouse (read_only)")
            con.execute(f"attach '{tmp}' as serving (storage_version 'v1.1.0')")
            # One transaction for the whole file: one commit instead of one per statement
            # (each a WAL write and sync); nobody reads the temporary file before the rename.
            con.execute("begin")
            counts = _copy_marts(con)
            _write_docs(con, build_id, counts, shop, table_docs, column_docs)
            con.execute("commit")
            con.execute("detach serving")
        os.replace(tmp, serving_db)
    except BaseException:
        # a failed publish (a full disk above all) gives its space back at once
        _remove_tmp(tmp)
        raise
    return counts


def _copy_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copies every base table of warehouse.marts into serving.marts; returns each one's row count."""
    con.execute("create schema serving.marts")
    tables = [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'warehouse' and table_schema = 'marts' and table_type = 'BASE TABLE' "
            "order by table_name"
        ).fetchall()
    ]
    # CREATE TABLE AS answers with the rows it wrote: no count(*) afterwards
    return {
        table: con.execute(f"create table serving.marts.{table} as select * from warehouse.marts.{table}").fetchone()[0]
        for table in tables
    }


def _write_docs(
    con: duckdb.DuckDBPyConnection,
    build_id: str,
    counts: dict[str, int],
    shop: ShopSettings,
    table_docs: list[tuple[str, str]],
    column_docs: list[tuple[str, str, str]],
) -> None:
    """Schema docs of the serving file: build, table_rows, settings, tables, columns."""
    con.execute("create schema serving.docs")
    con.execute("create table serving.docs.build (build_id varchar, built_at timestamp)")
    con.execute("insert into serving.docs.build values (?, current_timestamp::timestamp)", [build_id])
    con.execute("create table serving.docs.table_rows (table_name varchar, row_count bigint, build_id varchar)")
    con.executemany(
        "insert into serving.docs.table_rows values (?, ?, ?)",
        [(table, rows, build_id) for table, rows in counts.items()],
    )
    con.execute("create table serving.docs.settings (setting varchar, value_json varchar, origin varchar)")
    con.executemany(
        "insert into serving.docs.settings values (?, ?, ?)",
        [(name, json.dumps(value), shop.origins.get(name, "dbt_project.yml")) for name, value in shop.values.items()],
    )
    con.execute("create table serving.docs.tables (table_name varchar, description varchar)")
    con.executemany("insert into serving.docs.tables values (?, ?)", [t for t in table_docs if t[0] in counts])
    con.execute(
        "create table serving.docs.columns (table_name varchar, column_name varchar, data_type varchar, "
        "description varchar)"
    )
    con.execute(
        "insert into serving.docs.columns "
        "select table_name, column_name, data_type, null from information_schema.columns "
        "where table_catalog = 'serving' and table_schema = 'marts'"
    )
    con.executemany(
        "update serving.docs.columns set description = ? where table_name = ? and column_name = ?",
        [(description, table, column) for table, column, description in column_docs],
    )


@dg.asset(
    key=["serving", "serving_db"],
    deps=MART_KEYS,
    group_name="serving",
    kinds={"duckdb"},
    description="Copy of the marts in ECOM_SERVING_DB, published atomically after a successful build.",
)
def serving_db(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    with warehouse_lock(settings.warehouse, settings.lock_wait_seconds):
        # a run the daemon starts has no command line to do it at its start (cli.prepare_disks)
        for path, size in remove_publish_leftovers(settings.serving_db):
            context.log.info(f"removed {path} ({size:,} bytes), left by a publish that did not finish")
        counts = publish_serving_copy(
            settings.warehouse, settings.serving_db, dbt_project.manifest_path, build_id=context.run_id
        )
    return dg.MaterializeResult(
        metadata={
            "path": str(settings.serving_db),
            "build_id": context.run_id,
            "tables": len(counts),
            "size_bytes": settings.serving_db.stat().st_size,
            **{f"rows.{table}": rows for table, rows in counts.items()},
        }
    )
