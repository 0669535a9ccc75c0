"""The shop settings that shape stored history, and the full refresh a change of one needs.

The incremental models (stg_tracking__events, int_events_sessionized,
fct_events, fct_sessions) keep the rows earlier runs wrote and re-derive only
what new loads touch. A row they hold was computed with the settings of its
run: the session timeout and lateness bound (int_events_sessionized), the
reporting time zone (event and session dates), the shop domains (direct or
referral), the funnel steps (fct_sessions.funnel_step_reached), the query
parameters kept in URLs (stg_tracking__events.page_url, page_referrer), and the
editable seeds they read (event name aliases, referrer domains, channel rules,
bot patterns). Change one of these and the stored rows are stale, so the next
build is a full refresh.
The settings of the last successful build are kept in the warehouse, in
raw.build_settings; the table models always use the current settings.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb

from orchestration.settings import REPO_ROOT, ShopSettings

# The settings that incremental models (or the views and macros they read) use.
# tests/unit/test_history_settings.py checks this list against the dbt manifest.
HISTORY_SETTINGS = (
    "reporting_timezone",
    "session_timeout_minutes",
    "ecom__max_event_lateness_days",
    "ecom__shop_domains",
    "funnel_steps",
    "ecom__url_parameters_kept",
)
# The seeds incremental models read (checked against the manifest by the same test): an edited
# seed, say a new event name alias, is recorded by its content's checksum.
HISTORY_SEEDS = ("bot_user_agent_patterns", "channel_rules", "event_name_aliases", "referrer_domains")
SEEDS_DIR = REPO_ROOT / "seeds"
TABLE = "raw.build_settings"


def _seed_checksum(name: str) -> str:
    return "sha256:" + hashlib.sha256((SEEDS_DIR / f"{name}.csv").read_bytes()).hexdigest()


def history_values(shop: ShopSettings) -> dict[str, Any]:
    values: dict[str, Any] = {name: shop.values[name] for name in HISTORY_SETTINGS}
    values |= {f"seeds/{name}.csv": _seed_checksum(name) for name in HISTORY_SEEDS}
    return values


def _stored(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'build_settings'"
    ).fetchone()[0]
    if not exists:
        return None
    return {
        name: json.loads(value) for name, value in con.execute(f"select setting, value_json from {TABLE}").fetchall()
    }


def changed_history_settings(warehouse: Path, shop: ShopSettings) -> dict[str, tuple[Any, Any]]:
    """{setting: (value of the last build, value now)} for each history setting that changed; empty for a
    warehouse with no record (new, or built before the record existed: its build is taken as it is)."""
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = _stored(con)
    if stored is None:
        return {}
    now = history_values(shop)
    return {name: (stored.get(name), value) for name, value in now.items() if stored.get(name) != value}


def record_history_settings(warehouse: Path, shop: ShopSettings) -> None:
    """After a successful build: the settings its incremental rows were computed with."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        con.execute(f"create or replace table {TABLE} (setting varchar, value_json varchar)")
        con.executemany(
            f"insert into {TABLE} values (?, ?)", [(name, json.dumps(v)) for name, v in history_values(shop).items()]
        )
