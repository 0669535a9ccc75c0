"""Runs the generator steps in order: reference data, traffic, orders, files."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from orchestration.settings import read_environment
from tools.sample_shop import build, write


def generate(
    out: Path,
    days: int,
    visitors: int,
    seed: int,
    end_date: dt.date,
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    params = build.ShopParams(seed=seed, days=days, visitors=visitors, end_date=end_date)
    out.mkdir(parents=True, exist_ok=True)
    # A scratch database file, not an in-memory one: its tables can leave memory.
    # The events are rendered and written a chunk of days at a time, so the
    # memory needed stays about the same whatever the size of the shop.
    with (
        tempfile.TemporaryDirectory(prefix="ecom-shop-") as scratch,
        duckdb.connect(str(Path(scratch) / "shop.duckdb")) as con,
    ):
        con.execute("set TimeZone = 'UTC'")
        # DuckDB's share of memory (ECOM_GENERATOR_MEMORY_LIMIT); tables beyond it wait in the scratch file.
        con.execute(f"set memory_limit = '{read_environment().generator_memory_limit}'")
        build.create_reference_tables(con, params)
        build.create_visitors_and_sessions(con, params)
        progress("visitors and sessions built")
        build.create_event_skeleton(con, params)
        build.create_orders(con, params)
        build.create_order_products_json(con)
        progress("events and orders built")
        events = write.EventFiles(con, out, progress)
        for first_day, last_day in build.session_day_chunks(params):
            build.create_event_lines(con, params, first_day, last_day)
            build.create_event_files(con, params)
            # no session started later has an event before its start day
            events.add_chunk(params.start_date + dt.timedelta(days=last_day))
        event_counts = events.finish()
        progress("event lines rendered and written")
        faults = write.write_tables(con, params, out)
        progress("shop tables written")
        write.write_ignored_files(out, params)
        return write.write_manifest(con, params, out, event_counts, faults)
