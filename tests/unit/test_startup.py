"""What a run saves at start-up keeps its behaviour: the window reaches dbt, the run history is whole."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy
from dagster_dbt import DbtCliResource
from sqlalchemy.pool import NullPool

from orchestration.assets.dbt import WINDOW_ENV, split_window
from orchestration.cli import quick_run_history
from orchestration.resources import LeanDbtCliResource, dbt_resource
from orchestration.run_history import QuickSqliteEventLogStorage, quick_instance
from orchestration.settings import subprocess_environment as environment

FULL, NORMAL = 2, 1


@pytest.fixture(autouse=True)
def _restored_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """export_for_subprocesses (dbt_resource, prepare) writes os.environ: undo it after each test."""
    for name in (
        "ECOM_WAREHOUSE",
        "DAGSTER_HOME",
        "ECOM_RAW_PARQUET_DIR",
        "ECOM_DUCKDB_MEMORY_LIMIT",
        "ECOM_DUCKDB_THREADS",
        "ECOM_BACKFILL_START",
        "ECOM_BACKFILL_END",
    ):
        # setenv records the value to restore (none: delete); delenv records nothing for an unset name
        value = os.environ.get(name)
        monkeypatch.setenv(name, value or "")
        if value is None:
            monkeypatch.delenv(name)


def test_the_window_goes_to_the_environment_and_the_settings_stay_vars() -> None:
    variables = {
        "churn_days": 30,
        "ecom__backfill_start": "2026-10-01 00:00:00",
        "ecom__backfill_end": "2026-10-08 00:00:00",
    }
    assert split_window(variables) == (
        {"churn_days": 30},
        {"ECOM_BACKFILL_START": "2026-10-01 00:00:00", "ECOM_BACKFILL_END": "2026-10-08 00:00:00"},
    )
    # a run without a window blanks it: one left in the caller's environment must not apply
    assert split_window({}) == ({}, {"ECOM_BACKFILL_START": "", "ECOM_BACKFILL_END": ""})


def test_the_window_is_set_only_while_dbt_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_BACKFILL_START", "left over")
    monkeypatch.delenv("ECOM_BACKFILL_END", raising=False)
    with environment({"ECOM_BACKFILL_START": "2026-10-01", "ECOM_BACKFILL_END": "2026-10-02"}):
        assert os.environ["ECOM_BACKFILL_START"] == "2026-10-01"
        assert os.environ["ECOM_BACKFILL_END"] == "2026-10-02"
    assert os.environ["ECOM_BACKFILL_START"] == "left over"
    assert "ECOM_BACKFILL_END" not in os.environ


def test_the_macro_reads_the_window_from_the_environment() -> None:
    macro = (Path(__file__).parents[2] / "dbt_project" / "macros" / "in_backfill_window.sql").read_text()
    for name, env in WINDOW_ENV.items():
        assert f"var('{name}', none) or (env_var('{env}', '')" in macro


def test_the_lean_dbt_resource_overrides_hooks_dagster_dbt_still_has() -> None:
    # a dagster-dbt release that renames them would silently bring their cost back
    for hook in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hook in vars(DbtCliResource), hook
        assert hook in vars(LeanDbtCliResource), hook


def test_the_lean_dbt_resource_reports_the_version_of_the_dbt_it_runs() -> None:
    resource = dbt_resource()
    command = [resource.dbt_executable, *resource.global_config_flags, "--version"]
    printed = subprocess.run(command, capture_output=True, text=True).stdout
    assert f"installed: {resource._cli_version}" in printed
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def synchronous(path: Path) -> int:
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        return connection.exec_driver_sql("pragma synchronous").scalar()


def test_quick_run_history_touches_only_dagster_home_and_only_during_the_run(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "dagster_home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    with quick_run_history(home):
        assert synchronous(home / "runs.db") == NORMAL
        assert synchronous(elsewhere / "other.db") == FULL
    assert synchronous(home / "runs.db") == FULL


def an_asset_and_its_check(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dg.AssetsDefinition, Any]:
    """An asset and a check of it, with DAGSTER_HOME at `home` (Dagster's default storage there)."""
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    @dg.asset
    def one() -> int:
        return 1

    @dg.asset_check(asset=one)
    def one_is_fine() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    return one, one_is_fine


def test_a_run_under_quick_run_history_is_recorded_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one, one_is_fine = an_asset_and_its_check(tmp_path, monkeypatch)
    with quick_run_history(tmp_path), dg.DagsterInstance.get() as instance:
        result = dg.materialize([one, one_is_fine], instance=instance)
    with dg.DagsterInstance.get() as instance:
        stored = [event.dagster_event_type for event in instance.all_logs(result.run_id)]
        assert instance.get_latest_materialization_event(dg.AssetKey("one")) is not None
    # every event the run yielded is stored (the history also holds the planned events)
    assert not Counter(event.event_type for event in result.all_events) - Counter(stored)
    assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in stored


def test_prepare_parses_in_the_environment_of_a_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orchestration import project

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda args: calls.append((args, dict(os.environ))) or 0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOM_WAREHOUSE", "relative/warehouse.duckdb")
    monkeypatch.setenv("ECOM_DBT_VARS", "{churn_days: 90}")
    assert project.prepare() == 0
    [(args, env)] = calls
    # the warehouse path as the run hands it to dbt (profiles.yml): absolute
    assert env["ECOM_WAREHOUSE"] == str(tmp_path / "relative" / "warehouse.duckdb")
    assert args[args.index("--vars") + 1] == json.dumps({"churn_days": 90, "ecom__settings_source": "ECOM_DBT_VARS"})


def test_a_run_through_the_quick_instance_is_recorded_whole_in_dagsters_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, one_is_fine = an_asset_and_its_check(tmp_path, monkeypatch)
    with quick_instance(tmp_path) as instance:
        assert isinstance(instance.event_log_storage, QuickSqliteEventLogStorage)
        result = dg.materialize([one, one_is_fine], instance=instance)
        held = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.db"))
    # Dagster's own storage (as `make dev` opens it) reads what the run stored
    with dg.DagsterInstance.get() as instance:
        assert not isinstance(instance.event_log_storage, QuickSqliteEventLogStorage)
        assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.db")) == held
        stored = [event.dagster_event_type for event in instance.all_logs(result.run_id)]
        assert instance.get_run_by_id(result.run_id).is_success
        assert instance.get_latest_materialization_event(dg.AssetKey("one")) is not None
    assert not Counter(event.event_type for event in result.all_events) - Counter(stored)
    assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in stored


def test_the_quick_instance_keeps_a_storage_that_dagster_yaml_chooses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {tmp_path / 'own'}\n")
    with quick_instance(tmp_path) as instance:
        assert not isinstance(instance.event_log_storage, QuickSqliteEventLogStorage)
    assert (tmp_path / "own").is_dir()


def test_dagster_dev_prepares_the_manifest_as_make_prepare_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # dagster-dbt's own preparation would run a plain `dbt parse` without the shop's --vars
    import importlib

    from orchestration import project
    from orchestration.dbt_command import COMMAND

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda args: calls.append(args) or 0)
    monkeypatch.setenv("ECOM_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("ECOM_DBT_VARS", "{churn_days: 90}")
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    importlib.reload(project)
    [args] = calls
    assert args[: len(COMMAND)] == COMMAND
    assert args[len(COMMAND) + 1] == "parse"
    assert json.loads(args[args.index("--vars") + 1])["churn_days"] == 90
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI")
    importlib.reload(project)
    assert len(calls) == 1
