"""`make run` when a disk fills, when a publish died before, when a program takes the warehouse mid-run.

Faults are injected into the real command (`python -m orchestration.cli run`) in its own process: the
errors a full disk raises (DuckDB's message, SQLite's for Dagster's run history) and a program opening
the warehouse between the load and dbt. No disk is filled for real.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, land_fixture, pipeline_env, run_pipeline

pytestmark = pytest.mark.slow
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "tiny_shop"
MB = 1024 * 1024

# the disk is full from the moment the publish has written the marts to its temporary file: the publish
# fails with DuckDB's message, and so does every later write of Dagster's run history
PUBLISH_ON_A_FULL_DISK = r"""
import sqlite3
import duckdb, sqlalchemy.exc
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
import orchestration.assets.serving as serving

full = []

def write_docs(con, *args):
    # the publish's temporary file, whatever its name (the newest .tmp there): the marts are in it by now
    folder = serving.load_settings().serving_db.parent
    tmp = max((path for path in folder.iterdir() if path.name.endswith(".tmp")), key=lambda path: path.stat().st_mtime)
    full.append(tmp)
    raise duckdb.IOException(f'IO Error: Could not write file "{tmp}": No space left on device')

serving._write_docs = write_docs
store_event = SqliteEventLogStorage.store_event

def store_event_on_a_full_disk(self, event):
    if full:
        raise sqlalchemy.exc.OperationalError("INSERT INTO event_logs", {}, sqlite3.OperationalError("disk I/O error"))
    return store_event(self, event)

SqliteEventLogStorage.store_event = store_event_on_a_full_disk
"""

LOAD_ON_A_FULL_DISK = r"""
import duckdb
from orchestration.loading import load
from orchestration.settings import load_settings

def load_landing(*args, **kwargs):
    raise duckdb.IOException(
        f'IO Error: Could not write file "{load_settings().warehouse}.wal": No space left on device'
    )

load.load_landing = load_landing
"""

ONE_MB_FREE = r"""
import collections, shutil
Usage = collections.namedtuple("Usage", "total used free")
shutil.disk_usage = lambda path: Usage(10**12, 10**12 - 2**20, 2**20)
"""

# after the load, before dbt starts, a program (here a Python one-liner) opens the warehouse for writing
TAKEN_BEFORE_DBT = r"""
import os, subprocess, sys, time
from pathlib import Path
import orchestration.assets.dbt as dbt_asset

HOLDER = (
    "import duckdb, pathlib, sys, time; con = duckdb.connect(sys.argv[1]); "
    "pathlib.Path(sys.argv[2]).write_text('ready'); time.sleep(900)"
)
changed_history_settings = dbt_asset.changed_history_settings

def then_taken(warehouse, shop):
    changed = changed_history_settings(warehouse, shop)
    ready = Path(os.environ["TEST_HOLDER_READY"])
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse), str(ready), "outsider-notebook"])
    Path(os.environ["TEST_HOLDER_PID"]).write_text(str(holder.pid))
    while not ready.exists():
        time.sleep(0.1)
    return changed

dbt_asset.changed_history_settings = then_taken
"""


def run_injected(
    workdir: Path, landing: Path, injection: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    code = injection + "\nfrom orchestration.cli import main\nraise SystemExit(main(['run']))\n"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**pipeline_env(workdir, landing), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=900,
    )


def failed_line(stderr: str) -> str:
    """The one `pipeline FAILED` line, which must be the last thing the command prints."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("pipeline FAILED")] == lines[-1:], stderr[-5000:]
    return lines[-1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".tmp" in path.name)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory):
    """A workdir whose serving folder holds what a publish killed by an older and by this release left;
    then one ordinary run. The tests below run in file order on it."""
    workdir = tmp_path_factory.mktemp("run_failures")
    landing = workdir / "landing"
    land_fixture(FIXTURE, landing)
    for name in (
        ".serving.duckdb.4242.tmp",
        ".serving.duckdb.4242.tmp.wal",
        "serving.duckdb.publish.tmp",
        "serving.duckdb.publish.tmp.wal",
    ):
        (workdir / name).write_bytes(b"\0" * MB)
    return run_pipeline(workdir, landing)


def test_a_run_removes_what_a_killed_publish_left(first_run) -> None:
    assert first_run.result.returncode == 0, first_run.result.stderr[-5000:]
    assert leftovers(first_run.serving.parent) == []
    assert f"removed {first_run.serving.parent / '.serving.duckdb.4242.tmp'} (1.0 MB)" in first_run.result.stderr


def test_too_little_free_space_refuses_the_run_naming_the_disk(first_run) -> None:
    result = run_injected(first_run.serving.parent, first_run.landing, ONE_MB_FREE)
    assert result.returncode == 2, result.stderr[-5000:]
    workdir = first_run.serving.parent
    assert (
        f"pipeline NOT started: not enough free space on the disk of {workdir} (the warehouse's folder, the "
        f"serving file's folder) and {workdir / 'dagster_home'} (Dagster's home), mounted at " in result.stderr
    )
    assert "1.0 MB free, this run needs about" in result.stderr


def test_a_full_disk_during_the_load_fails_naming_the_disk(first_run) -> None:
    result = run_injected(first_run.serving.parent, first_run.landing, LOAD_ON_A_FULL_DISK)
    assert result.returncode == 1
    line = failed_line(result.stderr)
    assert "failed steps: ['load_landing']" in line
    assert f"load_landing: no space left on the disk of {first_run.warehouse.parent} (mounted at " in line
    assert "No space left on device" in line


def test_a_program_taking_the_warehouse_during_the_run_is_named(first_run, tmp_path: Path) -> None:
    pid_file, ready = tmp_path / "holder.pid", tmp_path / "ready"
    env = {"TEST_HOLDER_PID": str(pid_file), "TEST_HOLDER_READY": str(ready)}
    try:
        result = run_injected(first_run.serving.parent, first_run.landing, TAKEN_BEFORE_DBT, env)
        holder = int(pid_file.read_text())
        line = failed_line(result.stderr)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert result.returncode == 1
    # dbt fails, and so do the checks that open the warehouse after it (quarantine_rate): one reason for all
    assert "failed steps: ['dbt_models'" in line
    taken = f"{re.escape(str(first_run.warehouse))} was taken during the run by process {holder} \\("
    assert re.search(rf"; dbt_models(, \w+)*: {taken}", line), line
    assert "outsider-notebook)" in line


def test_a_full_disk_during_the_publish_says_so_in_one_line(first_run) -> None:
    before = sha256(first_run.serving)
    result = run_injected(first_run.serving.parent, first_run.landing, PUBLISH_ON_A_FULL_DISK)
    assert result.returncode == 1
    line = failed_line(result.stderr)
    # Dagster's own storage failed, and the publish's error it could not record is still named
    assert line.startswith(f"pipeline FAILED: Dagster could not write its run history in {first_run.dagster_home}")
    assert f"no space left on the disk of {first_run.dagster_home} (mounted at " in line
    assert f"no space left on the disk of {first_run.serving.parent} (mounted at " in line
    assert "Traceback" not in result.stderr
    # the failed publish removed its temporary file; readers keep the old serving file
    assert leftovers(first_run.serving.parent) == []
    assert sha256(first_run.serving) == before
