"""orchestration/dbt_command.py: dbt's saved parse holds for a warehouse at any path, and only then."""

from __future__ import annotations

from pathlib import Path

from dbt.adapters.duckdb.credentials import DuckDBCredentials

from orchestration.dbt_command import UNHASHED_KEYS, leave_path_out_of_the_parse_check
from tests.conftest import run_dbt

FULL_PARSE = "Unable to do partial parsing"


def test_dbt_duckdb_still_hashes_what_the_command_leaves_out() -> None:
    # a dbt-duckdb that renamed the hook or dropped the path from it would make the patch a no-op
    leave_path_out_of_the_parse_check()
    credentials = DuckDBCredentials(path="/somewhere/warehouse.duckdb", database="warehouse", schema="main")
    shown = dict(credentials.connection_info())
    assert "path" not in shown
    assert shown["database"] == "warehouse"
    assert set(UNHASHED_KEYS) <= set(DuckDBCredentials._connection_keys.original(credentials))


def parse_output(tmp_path: Path, warehouse: Path) -> str:
    """stdout of `dbt parse` (debug log) for a warehouse at that path, starting from the session's saved parse:
    the command itself (a new process), which is what this module tests, not dbt run in the test's process."""
    result = run_dbt(
        ["--log-level", "debug", "parse"], tmp_path / "target", {"ECOM_WAREHOUSE": str(warehouse)}, in_process=False
    )
    return result.stdout


def test_a_warehouse_at_a_new_path_reuses_the_saved_parse(tmp_path: Path) -> None:
    output = parse_output(tmp_path, tmp_path / "elsewhere" / "warehouse.duckdb")
    assert FULL_PARSE not in output, output[-3000:]
    assert "Partial parsing enabled" in output, output[-3000:]


def test_a_warehouse_of_another_name_parses_again(tmp_path: Path) -> None:
    # the file name is the database name, which the compiled relations carry: a new parse is right
    output = parse_output(tmp_path, tmp_path / "shop.duckdb")
    assert f"{FULL_PARSE} because profile has changed" in output, output[-3000:]
