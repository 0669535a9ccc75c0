"""Every behaviour mart built incrementally over several loads equals a full refresh of the same raw data.

One generated landing folder is fed to the pipeline in stages, in time order
but with some files held back and delivered late (so late events merge or
split sessions, and identify calls and server-side events arrive after the
events they concern); the pipeline (`make run`'s command) runs after each
stage. Then a copy of the warehouse is rebuilt with `dbt build --full-refresh`
and every mart is compared row for row.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import dbt_build, generate_shop, run_pipeline
from tests.snapshots import table_rows

pytestmark = pytest.mark.slow

# Columns that record when a row was computed, not what it says.
RUN_COLUMNS = {"sessionized_at"}


def day_of(path: Path) -> int:
    return int(path.parent.name.removeprefix("date=").replace("-", "")) if path.parent.name.startswith("date=") else 0


def stages(source: Path) -> list[list[Path]]:
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("_"))
    days = sorted({day_of(p) for p in files if day_of(p)})
    cut1, cut2 = days[len(days) // 3], days[2 * len(days) // 3]
    # held back: one day's web and server events and its orders, delivered in the last stage
    late_day = days[len(days) // 4]
    late = [p for p in files if day_of(p) == late_day and p.name.startswith(("web-", "server-", "orders"))]
    first = [p for p in files if day_of(p) < cut1 and p not in late]
    second = [p for p in files if cut1 <= day_of(p) < cut2 and p not in late]
    third = [p for p in files if p not in late and p not in first and p not in second]
    return [first, second, third, late]


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    return table_rows(warehouse, "marts", skip=RUN_COLUMNS)


def test_incremental_runs_equal_a_full_refresh(tmp_path: Path) -> None:
    source = tmp_path / "generated"
    generate_shop(source, days=21, visitors=3000, seed=21)
    workdir = tmp_path / "work"
    landing = workdir / "landing"
    for stage in stages(source):
        assert stage, "every stage delivers files"
        for path in stage:
            target = landing / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        run = run_pipeline(workdir, landing)
        assert run.result.returncode == 0, run.result.stderr[-5000:]

    incremental = marts(run.warehouse)
    assert len(incremental["fct_sessions"]) > 2000

    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(run.warehouse, rebuilt)
    dbt_build(rebuilt, tmp_path / "dbt_target", full_refresh=True)
    full = marts(rebuilt)
    assert full.keys() == incremental.keys()
    for table in full:
        assert incremental[table] == full[table], table
