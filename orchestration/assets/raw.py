"""One asset per landing source: new files into `raw`, bad rows into `raw.<source>_rejected`."""
# No `from __future__ import annotations` here: Dagster reads the context annotation at runtime.

from collections.abc import Iterator

import dagster as dg

from orchestration.loading import load
from orchestration.loading.contract import SOURCES
from orchestration.locking import warehouse_lock
from orchestration.settings import load_settings

RAW_SPECS = [
    dg.AssetSpec(
        key=["raw", source],
        group_name="raw",
        kinds={"duckdb"},
        description=f"Landed `{source}/` files loaded once each into raw.{source}; rejects in raw.{source}_rejected.",
    )
    for source in SOURCES
] + [
    dg.AssetSpec(
        key=["raw", "load_log"],
        group_name="raw",
        kinds={"duckdb"},
        description="raw.load_log: one row per landed file version loaded or quarantined whole (feeds ingest_summary).",
    )
]


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, name="load_landing")
def load_landing(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Loads every selected source as one load: one transaction, one connection, closed before dbt starts."""
    settings = load_settings()
    selected = {key.path[-1] for key in context.selected_asset_keys}
    sources = [source for source in SOURCES if source in selected]
    with warehouse_lock(settings.warehouse, settings.lock_wait_seconds):
        con = load.connect(settings.warehouse, settings.duckdb_memory_limit, settings.duckdb_threads)
        try:
            load_id, stats = load.load_landing(con, settings.landing_dir, sources, context.log.info)
        finally:
            # dbt opens the warehouse in its own process next: never hold it open.
            con.close()
    for source in sources:
        s = stats[source]
        yield dg.MaterializeResult(
            asset_key=["raw", source],
            metadata={
                "load_id": load_id,
                "files_loaded": s.files_loaded,
                "files_skipped": s.files_skipped,
                "files_rejected": s.files_rejected,
                "rows_loaded": s.rows_loaded,
                "rows_rejected": s.rows_rejected,
                "duplicate_rows": s.duplicate_rows,
                "landing_dir": str(settings.landing_dir / source),
            },
        )
    if "load_log" in selected:
        yield dg.MaterializeResult(
            asset_key=["raw", "load_log"],
            metadata={
                "load_id": load_id,
                "files_loaded": sum(s.files_loaded for s in stats.values()),
                "rows_loaded": sum(s.rows_loaded for s in stats.values()),
                "rows_rejected": sum(s.rows_rejected for s in stats.values()),
            },
        )
