"""One asset per landing source: new files into `raw`, bad rows into `raw.<source>_rejected`."""
# No `from __future__ import annotations` here: Dagster reads the context annotation at runtime.

from collections.abc import Iterator

import dagster as dg

from orchestration.loading import load
from orchestration.loading.contract import SOURCES
from orchestration.settings import load_settings

RAW_SPECS = [
    dg.AssetSpec(
        key=["raw", source],
        group_name="raw",
        kinds={"duckdb"},
        description=f"Landed `{source}/` files loaded once each into raw.{source}; rejects in raw.{source}_rejected.",
    )
    for source in SOURCES
]


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, name="load_landing")
def load_landing(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Loads every selected source in one warehouse connection, closed before dbt starts."""
    settings = load_settings()
    con = load.connect(settings.warehouse, settings.duckdb_memory_limit, settings.duckdb_threads)
    try:
        load.ensure_raw_schema(con)
        load_id = load.next_load_id(con)
        for key in sorted(context.selected_asset_keys, key=lambda k: SOURCES.index(k.path[-1])):
            source = key.path[-1]
            stats = load.load_source(con, settings.landing_dir, source, load_id, context.log.info)
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "load_id": load_id,
                    "files_loaded": stats.files_loaded,
                    "files_skipped": stats.files_skipped,
                    "rows_loaded": stats.rows_loaded,
                    "rows_rejected": stats.rows_rejected,
                    "duplicate_rows": stats.duplicate_rows,
                    "landing_dir": str(settings.landing_dir / source),
                },
            )
    finally:
        con.close()
