"""dbt's command line, whose saved parse holds for a warehouse at any path.

python orchestration/dbt_command.py build ...   # what `dbt build ...` does (COMMAND below)

dbt parses the whole project again (about 6 s) when a hash of the profile's connection settings
differs from the saved parse's. dbt-duckdb puts the database file's path in that hash, so a
warehouse at a new path (each test's, the bench's fresh warehouse, a second shop) paid a full
parse, in `make prepare` and again inside the Dagster run. Parsing never reads the path: the
manifest holds the database *name* (the file name without its extension, e.g. `warehouse`), and
that stays in the hash, as do the settings, extensions and attachments. So this entry point
leaves only the path out, and otherwise is dbt's own `dbt` command. Every dbt command of the
project runs through it (Makefile, `make prepare`, Dagster, the tests, the bench) so that they
share one saved parse; a plain `dbt` still works and at worst parses once more.
tests/unit/test_dbt_command.py fails if dbt-duckdb renames what this relies on.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve()
if __name__ == "__main__":
    # Run as a file (so that it needs no installed package and works from any folder, as in
    # dagster-dbt's dbt_project/): its folder is no import root, or settings.py would shadow others.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]

# The command that replaces `dbt`: this virtualenv's Python running this file.
COMMAND = [sys.executable, str(HERE)]

# The flags of a pipeline run's `dbt build` (orchestration/assets/dbt.py; the bench measures the same).
# dbt's unit tests check the SQL on fixed rows, not the data: the same answer every run, so a
# scheduled run skips them (as dbt's docs advise for production) and `make test` runs them once
# (tests/integration/test_dbt_unit_tests.py). The data tests still run after each model.
UNIT_TESTS_SKIPPED = ["--exclude-resource-type", "unit_test"]


# dbt writes manifest.json (2 MB, with semantic_manifest.json) twice and run_results.json into the invocation's own
# target folder: Dagster reads neither (it follows dbt's log lines, and the assets come from
# `make prepare`'s manifest), so skipping them saves about a second per run. dbt.log stays.
NO_ARTIFACTS = ["--no-write-json"]

# The profile setting that parsing does not depend on: the database file's location.
UNHASHED_KEYS = ("path",)


def leave_path_out_of_the_parse_check() -> None:
    """DuckDBCredentials._connection_keys names what dbt shows in `dbt debug` and hashes into the
    saved parse's profile check (dbt/parser/manifest.py, build_manifest_state_check)."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    keys = DuckDBCredentials._connection_keys
    if getattr(keys, "leaves_out", None) == UNHASHED_KEYS:
        return

    def connection_keys(self: DuckDBCredentials) -> tuple[str, ...]:
        return tuple(key for key in keys(self) if key not in UNHASHED_KEYS)

    connection_keys.leaves_out = UNHASHED_KEYS  # type: ignore[attr-defined]
    connection_keys.original = keys  # type: ignore[attr-defined]
    DuckDBCredentials._connection_keys = connection_keys


def main(argv: Sequence[str] | None = None) -> int:
    leave_path_out_of_the_parse_check()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    # click exits with dbt's exit code (0 success, 1 a failed node, 2 an error)
    return cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="dbt")


if __name__ == "__main__":
    raise SystemExit(main())
