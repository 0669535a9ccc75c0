"""SIGKILL during a load, at several points: after a rerun, raw equals an uninterrupted load, row for row."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.loading.contract import SOURCES
from tests.conftest import REPO_ROOT, generate_shop
from tests.snapshots import table_rows

pytestmark = pytest.mark.slow

# Load metadata differs between any two loads; everything else must be equal.
VOLATILE = {"_load_id", "_loaded_at", "load_id", "loaded_at"}


def load_into(warehouse: Path, landing: Path, kill_after_lines: int | None = None) -> tuple[int, int]:
    """Runs the loader in its own process; returns (exit code, progress lines seen).

    With kill_after_lines, the process gets SIGKILL right after printing that
    many progress lines: each line is printed inside the load's transaction,
    after a batch of a source, so the kill lands mid-load by construction.
    """
    env = dict(os.environ, ECOM_LANDING_DIR=str(landing), ECOM_WAREHOUSE=str(warehouse))
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.loading"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = 0
    assert proc.stderr is not None
    for line in proc.stderr:
        if "files," in line:  # a batch progress line
            seen += 1
            if kill_after_lines is not None and seen == kill_after_lines:
                proc.send_signal(signal.SIGKILL)
                break
    return proc.wait(timeout=600), seen


def raw_snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    tables = ["load_log", "events", *(s for s in SOURCES if s != "events"), *(f"{s}_rejected" for s in SOURCES)]
    return table_rows(warehouse, "raw", tables, skip=VOLATILE)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash")
    generate_shop(root / "landing", days=30, visitors=6000, seed=5)
    return root / "landing"


@pytest.fixture(scope="module")
def reference(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    warehouse = tmp_path_factory.mktemp("reference") / "warehouse.duckdb"
    code, lines = load_into(warehouse, landing)
    assert code == 0
    snapshot = raw_snapshot(warehouse)
    assert len(snapshot["events"]) > 20_000
    snapshot["__progress_lines__"] = [(lines,)]
    return snapshot


@pytest.mark.parametrize("draw", range(4))
def test_kill_then_rerun_equals_an_uninterrupted_load(
    draw: int, landing: Path, reference: dict, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    total_lines = reference["__progress_lines__"][0][0]
    # a random batch boundary of the load: the first draw kills right after events
    kill_after = 1 if draw == 0 else random.randint(1, total_lines - 1)
    code, _ = load_into(warehouse, landing, kill_after_lines=kill_after)
    assert code == -signal.SIGKILL, "the load should have been killed mid-way"
    # a killed load left nothing: the transaction never committed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.load_log").fetchone()[0] == 0
    assert load_into(warehouse, landing)[0] == 0
    expected = {k: v for k, v in reference.items() if k != "__progress_lines__"}
    assert raw_snapshot(warehouse) == expected


def test_kill_after_a_committed_load_then_rerun(landing: Path, reference: dict, tmp_path: Path) -> None:
    """A first load of some sources commits, a second is killed: the rerun completes the rest exactly once."""
    warehouse = tmp_path / "warehouse.duckdb"
    env = dict(os.environ, ECOM_LANDING_DIR=str(landing), ECOM_WAREHOUSE=str(warehouse))
    subprocess.run(
        [sys.executable, "-m", "orchestration.loading", "--sources", "events,orders"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    code, _ = load_into(warehouse, landing, kill_after_lines=2)
    assert code == -signal.SIGKILL
    assert load_into(warehouse, landing)[0] == 0
    expected = {k: v for k, v in reference.items() if k != "__progress_lines__"}
    assert raw_snapshot(warehouse) == expected
