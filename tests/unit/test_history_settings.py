"""A change of a setting that incremental models read makes the next build a full refresh."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import history_settings
from orchestration.assets.dbt import build_args
from orchestration.history_settings import (
    HISTORY_SEEDS,
    HISTORY_SETTINGS,
    changed_history_settings,
    record_history_settings,
)
from orchestration.settings import REPO_ROOT, SHOP_SETTINGS, load_shop_settings

VAR_CALL = re.compile(r"""var\(\s*['"](\w+)['"]""")


def settings_read_by_incremental_models(manifest: dict) -> set[str]:
    """Every shop setting an incremental model reads: in its own SQL, the models upstream of it up to the
    next incremental model, and every macro these call (recursively)."""
    nodes, macros = manifest["nodes"], manifest["macros"]
    seen_nodes: set[str] = set()
    seen_macros: set[str] = set()
    found: set[str] = set()

    def visit_macro(unique_id: str) -> None:
        if unique_id in seen_macros or unique_id not in macros:
            return
        seen_macros.add(unique_id)
        found.update(VAR_CALL.findall(macros[unique_id]["macro_sql"]))
        for called in macros[unique_id]["depends_on"]["macros"]:
            visit_macro(called)

    def visit_model(unique_id: str, start: bool) -> None:
        node = nodes.get(unique_id)
        if node is None or node["resource_type"] != "model" or unique_id in seen_nodes:
            return
        if not start and node["config"]["materialized"] == "incremental":
            return  # its own stored rows; visited as a start of its own
        seen_nodes.add(unique_id)
        found.update(VAR_CALL.findall(node["raw_code"]))
        for called in node["depends_on"]["macros"]:
            visit_macro(called)
        for upstream in node["depends_on"]["nodes"]:
            visit_model(upstream, start=False)

    for unique_id, node in nodes.items():
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental":
            visit_model(unique_id, start=True)
    return found & set(SHOP_SETTINGS)


def test_the_history_settings_are_exactly_those_incremental_models_read(dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    assert settings_read_by_incremental_models(manifest) == set(HISTORY_SETTINGS)


def seeds_read_by_incremental_models(manifest: dict) -> set[str]:
    """Seeds an incremental model reads, directly or through the non-incremental models it reads."""
    nodes = manifest["nodes"]
    found: set[str] = set()

    def visit(unique_id: str, start: bool) -> None:
        node = nodes.get(unique_id)
        if node is None:
            return
        if node["resource_type"] == "seed":
            found.add(node["name"])
            return
        if node["resource_type"] != "model" or (not start and node["config"]["materialized"] == "incremental"):
            return
        for upstream in node["depends_on"]["nodes"]:
            visit(upstream, start=False)

    for unique_id, node in nodes.items():
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental":
            visit(unique_id, start=True)
    return found


def test_the_history_seeds_are_exactly_those_incremental_models_read(dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    assert seeds_read_by_incremental_models(manifest) == set(HISTORY_SEEDS)


def test_an_edited_seed_asks_for_a_full_refresh_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(REPO_ROOT / "seeds", seeds)
    monkeypatch.setattr(history_settings, "SEEDS_DIR", seeds)
    warehouse = tmp_path / "warehouse.duckdb"
    shop = load_shop_settings()
    record_history_settings(warehouse, shop)
    assert changed_history_settings(warehouse, shop) == {}
    # a shop maps its own event name: stored events named the old way are stale
    with (seeds / "event_name_aliases.csv").open("a") as aliases:
        aliases.write("checkout begun,Checkout Started,this shop\n")
    changed = changed_history_settings(warehouse, shop)
    assert list(changed) == ["seeds/event_name_aliases.csv"]
    record_history_settings(warehouse, shop)
    assert changed_history_settings(warehouse, shop) == {}


def test_a_changed_history_setting_asks_for_a_full_refresh_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    defaults = load_shop_settings()
    # a new warehouse, then one built before the record existed: nothing to compare with
    assert changed_history_settings(warehouse, defaults) == {}
    record_history_settings(warehouse, defaults)
    assert changed_history_settings(warehouse, defaults) == {}
    # a table-only setting changes nothing stored
    monkeypatch.setenv("ECOM_DBT_VARS", "{churn_days: 30, reporting_currency: EUR}")
    assert changed_history_settings(warehouse, load_shop_settings()) == {}
    monkeypatch.setenv("ECOM_DBT_VARS", "{session_timeout_minutes: 45, funnel_steps: [Order Completed]}")
    shop = load_shop_settings()
    assert changed_history_settings(warehouse, shop) == {
        "session_timeout_minutes": (30, 45),
        "funnel_steps": (defaults.values["funnel_steps"], ["Order Completed"]),
    }
    # after that build succeeded the record follows: the next build is incremental again
    record_history_settings(warehouse, shop)
    assert changed_history_settings(warehouse, shop) == {}


def test_a_warehouse_built_before_url_sanitizing_is_refreshed_once(tmp_path: Path) -> None:
    # issue 19: past events hold personal data in their URLs until they are re-staged; a record
    # written before ecom__url_parameters_kept existed lacks the setting, so the next build is a full refresh
    warehouse = tmp_path / "warehouse.duckdb"
    shop = load_shop_settings()
    record_history_settings(warehouse, shop)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.build_settings where setting = 'ecom__url_parameters_kept'")
    assert changed_history_settings(warehouse, shop) == {
        "ecom__url_parameters_kept": (None, shop.values["ecom__url_parameters_kept"])
    }
    record_history_settings(warehouse, shop)
    assert changed_history_settings(warehouse, shop) == {}


def test_the_build_command_carries_the_full_refresh_and_the_vars() -> None:
    # unit tests are left to `make test` (test_dbt_unit_tests.py): they check SQL on fixed rows
    assert build_args({}, full_refresh=False) == ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]
    assert build_args({"churn_days": 30}, full_refresh=True) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--no-write-json",
        "--full-refresh",
        "--vars",
        '{"churn_days": 30}',
    ]
