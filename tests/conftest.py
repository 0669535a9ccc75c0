"""Shared fixtures: a generated shop run through the real pipeline, in temp dirs only."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import fcntl
import functools
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.dbt_command import COMMAND as DBT_COMMAND

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A developer's own shop settings must not change what the tests build: a test passes them explicitly.
SHOP_SETTINGS_ENV = ("ECOM_CONFIG", "ECOM_DBT_VARS")


def without_shop_settings(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in SHOP_SETTINGS_ENV}


@dataclass(frozen=True)
class PipelineRun:
    landing: Path
    warehouse: Path
    serving: Path
    dagster_home: Path
    result: subprocess.CompletedProcess


def pipeline_env(workdir: Path, landing: Path) -> dict[str, str]:
    env = without_shop_settings(dict(os.environ))
    env.update(
        ECOM_LANDING_DIR=str(landing),
        ECOM_WAREHOUSE=str(workdir / "warehouse.duckdb"),
        ECOM_SERVING_DB=str(workdir / "serving.duckdb"),
        DAGSTER_HOME=str(workdir / "dagster_home"),
    )
    return env


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below a folder with its size and mtime (empty when the folder does not exist).

    data/dagster_home is left out: a `make dev` running beside the tests writes its
    heartbeats there. That the run's own Dagster history goes elsewhere is tested
    through PipelineRun.dagster_home.
    """
    if not folder.exists():
        return {}
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and "dagster_home" not in p.relative_to(folder).parts
    }


def run_pipeline(
    workdir: Path, landing: Path, command: tuple[str, ...] = ("run",), extra_env: dict[str, str] | None = None
) -> PipelineRun:
    """`make run`'s command (or another orchestration.cli command, e.g. a backfill), pointed at temp
    paths, with `extra_env` (e.g. shop settings) on top; it must leave the repository's data/ alone."""
    env = {**pipeline_env(workdir, landing), **(extra_env or {})}
    data_before = snapshot(REPO_ROOT / "data")
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert snapshot(REPO_ROOT / "data") == data_before, "a run pointed elsewhere wrote into data/"
    return PipelineRun(
        landing=landing,
        warehouse=Path(env["ECOM_WAREHOUSE"]),
        serving=Path(env["ECOM_SERVING_DB"]),
        dagster_home=Path(env["DAGSTER_HOME"]),
        result=result,
    )


def run_dbt(
    args: list[str],
    target_path: Path,
    env: dict[str, str],
    check: bool = True,
    timeout: float = 900,
    in_process: bool | None = None,
) -> subprocess.CompletedProcess:
    """One dbt command on this project with its own target dir (the shared manifest Dagster reads
    is left alone) and `env` over the test process's environment; asserts success when `check`.
    The target dir starts with the session's saved parse, as dagster-dbt's do: dbt then parses only
    what differs (nothing, unless the test passes other --vars).

    A DuckDB command runs in this process (`dbt_in_process`), without the 3 s of a new Python
    importing dbt; `timeout` then does not apply. Spark's (ECOM_DBT_TARGET=spark) starts a JVM:
    it runs as the `dbt` command, as does any call with `in_process=False`."""
    saved_parse = REPO_ROOT / "dbt_project" / "target" / "partial_parse.msgpack"
    if saved_parse.exists() and not (target_path / saved_parse.name).exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copy(saved_parse, target_path / saved_parse.name)
    dbt_args = [
        "--no-use-colors",
        *args,
        "--project-dir",
        str(REPO_ROOT / "dbt_project"),
        "--profiles-dir",
        str(REPO_ROOT),
        "--target-path",
        str(target_path),
    ]
    full_env = dict(without_shop_settings(dict(os.environ)), **env)
    if in_process is None:
        in_process = full_env.get("ECOM_DBT_TARGET", "duckdb") in ("duckdb", "serving")
    if in_process:
        result = dbt_in_process(dbt_args, full_env)
    else:
        result = subprocess.run(
            [*DBT_COMMAND, *dbt_args],
            cwd=REPO_ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if check:
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


def dbt_in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """What `python orchestration/dbt_command.py <args>` does, in this process: the same patched
    parse check and dbt's own programmatic runner, with `env` as the whole environment and the
    console output captured. dbt may run only one command at a time in a process (each xdist
    worker is its own process, and a test calls it from its own thread). dbt-duckdb keeps its
    database environment in a class attribute: it is closed after each command, so that no
    connection to the warehouse outlives the command, as with the `dbt` process."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    from orchestration.dbt_command import leave_path_out_of_the_parse_check

    leave_path_out_of_the_parse_check()
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(REPO_ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            outcome = dbtRunner().invoke(args)
    finally:
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    # dbt's exit codes: 0 success, 1 a failed node, 2 an error that stopped the command
    code = 0 if outcome.success else 1 if outcome.exception is None else 2
    if outcome.exception is not None:
        err.write(f"{type(outcome.exception).__name__}: {outcome.exception}\n")
    return subprocess.CompletedProcess(["dbt", *args], code, out.getvalue(), err.getvalue())


def dbt_build(
    warehouse: Path,
    target_path: Path,
    dbt_vars: dict | None = None,
    full_refresh: bool = False,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """`dbt build` on a warehouse that is already loaded; asserts success when `check`."""
    args = ["build", "--quiet"]
    if full_refresh:
        args.append("--full-refresh")
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    return run_dbt(args, target_path, {"ECOM_WAREHOUSE": str(warehouse)}, check=check)


def generate_shop(out: Path, days: int, visitors: int, seed: int, end_date: str = "2026-10-31") -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.sample_shop",
            "--out",
            str(out),
            "--days",
            str(days),
            "--visitors",
            str(visitors),
            "--seed",
            str(seed),
            "--end-date",
            end_date,
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Dagster reads dbt's manifest; build it once if `make prepare` has not. Under `pytest -n 2`
    the first worker parses, under a lock, and the other waits for it."""
    manifest = REPO_ROOT / "dbt_project" / "target" / "manifest.json"
    manifest.parent.mkdir(exist_ok=True)
    # one parse per test run: a second worker parsing again would rewrite the manifest while the
    # first worker's pipeline reads it
    parsed = manifest.parent / f".parsed-{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}"
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not parsed.exists():
            for old in manifest.parent.glob(".parsed-*"):
                old.unlink()
            parse()
            parsed.touch()
    return manifest


def parse() -> None:
    subprocess.run(
        # absolute paths: the manifest records them, and Dagster runs dbt from inside dbt_project/
        [
            *DBT_COMMAND,
            "parse",
            "--project-dir",
            str(REPO_ROOT / "dbt_project"),
            "--profiles-dir",
            str(REPO_ROOT),
            "--quiet",
        ],
        cwd=REPO_ROOT,
        check=True,
    )


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """A 45-day shop (about 100k events), generated and run once for the whole session."""
    workdir = tmp_path_factory.mktemp("generated")
    landing = workdir / "landing"
    generate_shop(landing, days=45, visitors=18000, seed=11)
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


TINY_SHOP = REPO_ROOT / "tests" / "fixtures" / "tiny_shop"


def land_fixture(fixture: Path, landing: Path) -> Path:
    """A hand-made landing folder copied for a run (its README is not a landed file)."""
    shutil.copytree(fixture, landing, ignore=shutil.ignore_patterns("README.md"))
    return landing


@pytest.fixture(scope="session")
def tiny_shop_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """tests/fixtures/tiny_shop through `make run`'s command, once for the whole session. Read it;
    a test that runs the pipeline again or changes a file works on `copy_run` of it."""
    workdir = tmp_path_factory.mktemp("tiny_shop")
    run = run_pipeline(workdir, land_fixture(TINY_SHOP, workdir / "landing"))
    assert run.result.returncode == 0, run.result.stderr[-5000:]
    return run


def copy_run(run: PipelineRun, workdir: Path) -> PipelineRun:
    """A run's whole folder (landing, warehouse, serving file, Dagster home) copied with its files'
    times, so the copy's next run sees what the original's would: nothing new to load."""
    source = run.warehouse.parent
    assert run.landing.parent == source and run.serving.parent == source and run.dagster_home.parent == source
    shutil.copytree(source, workdir, dirs_exist_ok=True)
    return PipelineRun(
        landing=workdir / run.landing.name,
        warehouse=workdir / run.warehouse.name,
        serving=workdir / run.serving.name,
        dagster_home=workdir / run.dagster_home.name,
        result=run.result,
    )


def loaded_at_bound() -> dt.datetime:
    """Events more than a day past the load time are rejected: any test load happens after this."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@pytest.fixture(autouse=True)
def no_shop_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process code reads the shop settings from os.environ: start every test without them."""
    for name in SHOP_SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


# `make test` runs the suite on both cores (pytest-xdist, `-n 2`). A worker builds a module's or the
# session's fixtures for itself, so the tests sharing a built shop go to one worker together: a
# module that uses a session-wide shop joins that shop's group, any other module is a group of its
# own. xdist's own `--dist loadgroup` cannot do it under pytest 9 (it renames node ids, which pytest 9
# no longer allows), hence the scheduler below. The longest groups start first, so the two workers
# finish together; within a group, tests keep their file order.
SESSION_SHOPS = ("generated_run", "tiny_shop_run")


@functools.cache
def group_of(module: str) -> str:
    """The xdist group of a test module (a path relative to the repository, as in node ids)."""
    source = (REPO_ROOT / module).read_text()
    return next((shop for shop in SESSION_SHOPS if shop in source), module)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class ByShop(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid.split("::")[0])

    return ByShop(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow = {item.nodeid.split("::")[0]: item.get_closest_marker("slow") is not None for item in items}
    # a module that runs pipelines (marked slow) outweighs any number of quick ones
    cost = collections.Counter()
    for module, is_slow in slow.items():
        cost[group_of(module)] += 1000 if is_slow else 1
    items.sort(key=lambda item: -cost[group_of(item.nodeid.split("::")[0])])
