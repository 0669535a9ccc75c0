"""The marts' public interface as dbt declares it (README, The marts): contracts, groups, exposures, selectors.

The serving file publishes every table of schema `marts` (orchestration/assets/serving.py). Each
of those models is `access: public` with a contract that dbt enforces on DuckDB, so a changed
column name or type fails the build instead of reaching the BI tools. The exposures name what
reads the marts outside dbt, and selectors.yml the common selections. Read from a manifest that
dbt parses in-process into a temporary target, so a ref hidden in a macro counts too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from dbt.cli.main import dbtRunner

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO_ROOT / "dbt_project"
# materializations that leave a table in the warehouse: what the serving copy takes from `marts`
TABLE_MATERIALIZATIONS = {"table", "incremental"}
# dbt refuses a contract on an incremental model whose schema changes are ignored
CONTRACT_SCHEMA_CHANGES = {"append_new_columns", "fail"}
# enforced on DuckDB only: the data types are DuckDB's (README, The marts)
CONTRACT_ON_DUCKDB = "{{ target.type == 'duckdb' }}"
BUILT_TYPES = ("model.", "seed.", "snapshot.", "test.", "unit_test.")


def published_marts(manifest: Mapping[str, Any]) -> set[str]:
    """The models the serving file publishes: tables in schema marts."""
    return {
        key
        for key, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["schema"] == "marts"
        and node["config"]["materialized"] in TABLE_MATERIALIZATIONS
    }


def contract_problems(manifest: Mapping[str, Any]) -> list[str]:
    """One line per published mart without a complete enforced contract, and per other model made public."""
    published = published_marts(manifest)
    problems = []
    for key, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model":
            continue
        name = node["name"]
        if key not in published:
            if node.get("access") == "public":
                problems.append(f"{name}: public, but the serving file does not publish it")
            continue
        if node.get("access") != "public":
            problems.append(f"{name}: published, but access is {node.get('access')}")
        if not node["config"].get("contract", {}).get("enforced"):
            problems.append(f"{name}: published without an enforced contract")
        if not node["columns"]:
            problems.append(f"{name}: published with no column declared")
        untyped = [column for column, spec in node["columns"].items() if not spec.get("data_type")]
        if untyped:
            problems.append(f"{name}: no data_type for {', '.join(untyped)}")
        on_schema_change = node["config"].get("on_schema_change")
        if node["config"]["materialized"] == "incremental" and on_schema_change not in CONTRACT_SCHEMA_CHANGES:
            problems.append(f"{name}: incremental with a contract needs on_schema_change fail or append_new_columns")
    return problems


def ancestors(manifest: Mapping[str, Any], keys: Iterable[str]) -> set[str]:
    """The keys and every node they are built from (models, seeds, snapshots)."""
    found, todo = set(), list(keys)
    while todo:
        key = todo.pop()
        if key in found:
            continue
        found.add(key)
        todo += [parent for parent in manifest["parent_map"].get(key, []) if parent.split(".")[0] != "source"]
    return found


def models(keys: Iterable[str]) -> set[str]:
    return {key for key in keys if key.startswith("model.")}


@pytest.fixture(scope="module")
def dbt(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dbtRunner, list[str]]:
    """(manifest.json, a runner holding the parsed manifest, the arguments every command takes)."""
    target = tmp_path_factory.mktemp("dbt_target")
    common = [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(REPO_ROOT),
        "--target",
        "duckdb",
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--quiet",
    ]
    parsed = dbtRunner().invoke(["parse", *common])
    assert parsed.success, parsed.exception
    manifest = json.loads((target / "manifest.json").read_text())
    return manifest, dbtRunner(manifest=parsed.result), common


def listed(dbt: tuple[dict[str, Any], dbtRunner, list[str]], *selection: str) -> set[str]:
    """The unique ids `dbt ls <selection>` prints (no parse: the runner holds the manifest)."""
    _, runner, common = dbt
    result = runner.invoke(["ls", *selection, "--output", "json", "--output-keys", "unique_id", *common])
    assert result.success, result.exception
    return {json.loads(line)["unique_id"] for line in result.result}


def test_the_check_names_each_gap_in_a_contract() -> None:
    def model(name: str, schema: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        config = {"materialized": extra.pop("materialized", "table"), "contract": extra.pop("contract", {})}
        config.update(extra.pop("config", {}))
        node = {"resource_type": "model", "name": name, "schema": schema, "config": config, "columns": {}}
        return f"model.p.{name}", {**node, **extra}

    typed = {"a": {"name": "a", "data_type": "varchar"}}
    manifest = {
        "nodes": dict(
            [
                model("fct_ok", "marts", access="public", contract={"enforced": True}, columns=typed),
                model("fct_loose", "marts", access="public", columns=typed),
                model("fct_protected", "marts", access="protected", contract={"enforced": True}, columns=typed),
                model(
                    "fct_untyped",
                    "marts",
                    access="public",
                    contract={"enforced": True},
                    columns={"a": {"name": "a", "data_type": None}, "b": {"name": "b", "data_type": "date"}},
                ),
                model("fct_empty", "marts", access="public", contract={"enforced": True}),
                model(
                    "fct_incremental",
                    "marts",
                    access="public",
                    contract={"enforced": True},
                    columns=typed,
                    materialized="incremental",
                    config={"on_schema_change": "ignore"},
                ),
                # a helper beside the marts, built in schema intermediate: not published, must not be public
                model("area__helper", "intermediate", access="public"),
                model("int_fine", "intermediate", access="protected"),
                # a view in marts is not copied to the serving file
                model("v_marts", "marts", access="protected", materialized="view"),
            ]
        )
    }
    assert contract_problems(manifest) == [
        "area__helper: public, but the serving file does not publish it",
        "fct_empty: published with no column declared",
        "fct_incremental: incremental with a contract needs on_schema_change fail or append_new_columns",
        "fct_loose: published without an enforced contract",
        "fct_protected: published, but access is protected",
        "fct_untyped: no data_type for a",
    ]


def test_every_published_mart_is_public_with_an_enforced_contract(dbt) -> None:
    manifest, _, _ = dbt
    published = {manifest["nodes"][key]["name"] for key in published_marts(manifest)}
    # every mart the design names is published (the check would pass vacuously on an empty set)
    design = (REPO_ROOT / "docs" / "design" / "marts.md").read_text().split("## Required marts", 1)[1]
    required = set(re.findall(r"^- `(\w+)`", design, flags=re.MULTILINE))
    assert len(required) > 15
    assert required <= published, sorted(required - published)

    problems = contract_problems(manifest)
    assert not problems, "the serving file's marts are the public interface:\n" + "\n".join(problems)


def test_contracts_are_enforced_on_duckdb_only(dbt) -> None:
    """The declared types are DuckDB's; Spark's differ (sum of bigint, decimal precision), so the
    contract is written as a condition on the target, which dbt renders when it parses."""
    manifest, _, _ = dbt
    for key in sorted(published_marts(manifest)):
        node = manifest["nodes"][key]
        properties = yaml.safe_load((PROJECT_DIR / node["patch_path"].split("://", 1)[1]).read_text())
        [entry] = [model for model in properties["models"] if model["name"] == node["name"]]
        assert entry["config"]["contract"] == {"enforced": CONTRACT_ON_DUCKDB}, node["name"]


def test_every_model_and_seed_has_a_group_with_an_owner(dbt) -> None:
    manifest, _, _ = dbt
    owners = {group["name"]: group["owner"] for group in manifest["groups"].values()}
    assert owners
    for name, owner in owners.items():
        assert re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", owner.get("email") or ""), name
        assert owner.get("name"), name
    grouped = [node for node in manifest["nodes"].values() if node["resource_type"] in ("model", "seed")]
    assert len(grouped) > 50
    without = sorted(node["name"] for node in grouped if node["config"].get("group") not in owners)
    assert not without, f"models and seeds without a declared group: {without}"


def test_the_exposures_name_what_each_consumer_reads(dbt) -> None:
    manifest, _, _ = dbt
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert set(exposures) == {"serving_file", "kpi_dashboard", "semantic_layer"}
    for exposure in exposures.values():
        assert exposure["owner"]["email"], exposure["name"]
    reads = {name: set(exposure["depends_on"]["nodes"]) for name, exposure in exposures.items()}
    names = {key: node["name"] for key, node in manifest["nodes"].items()}

    # the serving file: every published mart
    assert reads["serving_file"] == published_marts(manifest)
    # the dashboard: the marts orchestration/report.py queries
    report = (REPO_ROOT / "orchestration" / "report.py").read_text()
    queried = set(re.findall(r"\bmarts\.(\w+)", report))
    assert queried
    assert {names[key] for key in reads["kpi_dashboard"]} == queried
    # the semantic layer: the models of the semantic models, and the time spine
    semantic = {key for model in manifest["semantic_models"].values() for key in model["depends_on"]["nodes"]}
    spines = {key for key, node in manifest["nodes"].items() if node.get("time_spine")}
    assert semantic and spines
    assert reads["semantic_layer"] == semantic | spines


def test_each_selector_selects_what_it_says(dbt) -> None:
    manifest, _, _ = dbt
    selectors = yaml.safe_load((PROJECT_DIR / "selectors.yml").read_text())["selectors"]
    assert not any(selector.get("default") for selector in selectors), "a default selector would change every run"
    checked = {"daily", "published_marts", "kpis", "marketing", "dashboard", "events_incremental", "ci_unit_tests"}
    assert {selector["name"] for selector in selectors} == checked

    def group(name: str) -> set[str]:
        return {key for key, node in manifest["nodes"].items() if node["config"].get("group") == name}

    def built(keys: set[str]) -> set[str]:
        return {key for key in keys if key.startswith(BUILT_TYPES)}

    # daily: what a dbt build without a selection builds
    assert built(listed(dbt, "--selector", "daily")) == built(listed(dbt))
    assert models(listed(dbt, "--selector", "published_marts")) == published_marts(manifest)
    for selector, name in (("kpis", "kpi"), ("marketing", "marketing")):
        assert models(group(name))
        assert models(listed(dbt, "--selector", selector)) == models(ancestors(manifest, models(group(name))))
    [dashboard] = [exposure for exposure in manifest["exposures"].values() if exposure["name"] == "kpi_dashboard"]
    expected = models(ancestors(manifest, dashboard["depends_on"]["nodes"]))
    assert models(listed(dbt, "--selector", "dashboard")) == expected
    tagged = {key for key, node in manifest["nodes"].items() if "daily_partitioned" in node["tags"]}
    assert models(tagged)
    assert models(listed(dbt, "--selector", "events_incremental")) == models(tagged)
    unit_tests = listed(dbt, "--selector", "ci_unit_tests")
    assert unit_tests == set(manifest["unit_tests"]) and unit_tests
