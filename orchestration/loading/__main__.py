"""Load the landing folder into the warehouse's raw schema, without Dagster.

    python -m orchestration.loading [--sources events,orders]

Paths come from ECOM_LANDING_DIR and ECOM_WAREHOUSE, like every other command.
`make run` does this as the first step of its Dagster run; this entry point
serves the crash tests, the benchmark and a quick manual reload.
"""

from __future__ import annotations

import argparse
import sys
import time

from orchestration.loading import load
from orchestration.loading.contract import SOURCES
from orchestration.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.loading", description=__doc__)
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sources (default: all)")
    args = parser.parse_args(argv)
    sources = [s for s in args.sources.split(",") if s]
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        parser.error(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    settings = load_settings()
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    con = load.connect(settings.warehouse, settings.duckdb_memory_limit, settings.duckdb_threads)
    try:
        load_id, stats = load.load_landing(con, settings.landing_dir, sources, progress)
    finally:
        con.close()
    for s in stats.values():
        progress(
            f"load {load_id} {s.source}: {s.files_loaded} new files ({s.files_skipped} known), "
            f"{s.rows_loaded:,} rows, {s.rows_rejected:,} rejected, {s.duplicate_rows:,} duplicates"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
