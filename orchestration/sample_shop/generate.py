"""Runs the generator steps in order: reference data, traffic, orders, files."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from orchestration.sample_shop import build, write


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
    # a scratch database file, not an in-memory one: its tables can leave memory,
    # so large shops (5M events) stay under ECOM_GENERATOR_MEMORY_LIMIT
    with (
        tempfile.TemporaryDirectory(prefix="ecom-shop-") as scratch,
        duckdb.connect(str(Path(scratch) / "shop.duckdb")) as con,
    ):
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"set memory_limit = '{os.environ.get('ECOM_GENERATOR_MEMORY_LIMIT') or '6GB'}'")
        build.create_reference_tables(con, params)
        build.create_visitors_and_sessions(con, params)
        progress("visitors and sessions built")
        build.create_event_skeleton(con, params)
        build.create_orders(con, params)
        progress("events and orders built")
        build.create_event_lines(con, params)
        build.create_event_files(con, params)
        progress("event lines rendered")
        write.write_events(con, out, progress)
        faults = write.write_tables(con, params, out)
        progress("shop tables written")
        write.write_ignored_files(out, params)
        return write.write_manifest(con, params, out, faults)
