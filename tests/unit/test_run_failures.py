"""A full disk, a killed publish's leftovers, the warehouse taken during a run: each says so plainly."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import sqlite3
from collections import namedtuple
from pathlib import Path

import duckdb
import pytest
import sqlalchemy.exc

from orchestration import disks
from orchestration.assets import serving
from orchestration.disks import NotEnoughSpaceError, check_free_space
from orchestration.failures import explain_crash, explain_step
from orchestration.settings import Settings, ShopSettings

MB = 1024 * 1024
Usage = namedtuple("Usage", "total used free")


def settings_in(root: Path) -> Settings:
    return Settings(
        landing_dir=root / "landing",
        warehouse=root / "data" / "warehouse.duckdb",
        serving_db=root / "data" / "serving.duckdb",
        dagster_home=root / "data" / "dagster_home",
        duckdb_memory_limit="1GB",
        duckdb_threads=1,
        lock_wait_seconds=0,
        raw_parquet_dir=root / "data" / "raw_parquet",
    )


def write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def free_space(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: Usage(10 * free + 1, 0, free))


def test_a_disk_with_less_free_space_than_the_run_needs_is_named_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in(tmp_path)
    write(settings.landing_dir / "orders" / "2026-03-01.csv", 3 * MB)
    write(settings.landing_dir / "events" / "2026-03-01.jsonl.gz", 1 * MB)  # read as 8 MB
    write(settings.serving_db, 2 * MB)
    monkeypatch.delenv("ECOM_FREE_SPACE_MARGIN_MB", raising=False)
    free_space(monkeypatch, 150 * MB)
    # All three folders are on one disk, so their needs add up (docs/operations.md, Free space):
    # warehouse: new landing 3 + 8 MB, marts rebuilt beside the old ones 2 MB  = 13 MB
    # serving:   the new copy 2 MB, a quarter of the new landing 11 / 4 MB     = 4.75 MB
    # Dagster's home 50 MB, margin 100 MB                                     -> 167.75 MB
    with pytest.raises(NotEnoughSpaceError) as refused:
        check_free_space(settings)
    message = str(refused.value)
    assert (
        f"on the disk of {settings.warehouse.parent} (the warehouse's folder, the serving file's folder) and "
        f"{settings.dagster_home} (Dagster's home), mounted at " in message
    )
    assert "150.0 MB free, this run needs about 167.8 MB" in message
    assert "new landing data 11.0 MB" in message
    # with room for it, the same run may start
    free_space(monkeypatch, 168 * MB)
    check_free_space(settings)


def test_files_already_loaded_do_not_count_as_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in(tmp_path)
    loaded = write(settings.landing_dir / "orders" / "2026-03-01.csv", 40 * MB)
    write(settings.landing_dir / "orders" / "2026-03-02.csv", 1 * MB)
    settings.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.load_log (path varchar, size_bytes bigint, mtime timestamp)")
        # the loader logs the mtime as a UTC timestamp without time zone
        mtime = dt.datetime.fromtimestamp(loaded.stat().st_mtime, dt.UTC).replace(tzinfo=None)
        con.execute("insert into raw.load_log values ('orders/2026-03-01.csv', ?, ?)", [40 * MB, mtime])
    assert disks.new_landing_bytes(settings.landing_dir, settings.warehouse) == 1 * MB
    # 1 MB new, no serving file: 1 + 0.25 + 50 + margin 0 = 51.25 MB
    monkeypatch.setenv("ECOM_FREE_SPACE_MARGIN_MB", "0")
    free_space(monkeypatch, 52 * MB)
    check_free_space(settings)


def test_a_full_disk_in_a_step_names_the_disk(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    settings.warehouse.parent.mkdir(parents=True)
    dbt_error = (
        "The dbt CLI process with command ... failed with exit code `1`.\n\nErrors parsed from dbt logs:\n\n"
        f'Runtime Error in model fct_events: IO Error: Could not write file "{settings.warehouse}.wal": '
        "No space left on device"
    )
    line = explain_step("dbt_models", dbt_error, settings)
    assert line is not None
    assert line.startswith(f"dbt_models: no space left on the disk of {settings.warehouse.parent} (mounted at ")
    assert "free now" in line and "No space left on device" in line


def test_dagster_storage_failing_does_not_hide_the_step_error(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    settings.dagster_home.mkdir(parents=True)
    step_error = OSError(errno.ENOSPC, "No space left on device", str(serving.publish_tmp_path(settings.serving_db)))
    storage = sqlalchemy.exc.OperationalError("INSERT INTO event_logs", {}, sqlite3.OperationalError("disk I/O error"))
    line = explain_crash(storage, [step_error], settings)
    assert line.startswith(f"pipeline FAILED: Dagster could not write its run history in {settings.dagster_home}")
    assert f"no space left on the disk of {settings.dagster_home}" in line
    # the publish's own error, which Dagster could not store, names the serving file's folder
    assert f"no space left on the disk of {settings.serving_db.parent}" in line
    assert "[Errno 28] No space left on device" in line
    assert "\n" not in line


def test_a_lock_taken_during_the_run_names_the_process(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    # DuckDB's message as dbt logs it; the holder is this test's own process
    dbt_error = (
        'Runtime Error\n  IO Error: Could not set lock on file "/x/warehouse.duckdb": Conflicting lock is held in '
        f"/usr/bin/python3 (PID {os.getpid()}) by user me. See also https://duckdb.org/docs/stable/connect/concurrency"
    )
    command = Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    line = explain_step("dbt_models", dbt_error, settings)
    assert line == (
        f"dbt_models: {settings.warehouse} was taken during the run by process {os.getpid()} ({command}): "
        "close that program (BI tools should open the serving file, ECOM_SERVING_DB, instead) and run again"
    )


def test_the_leftovers_of_a_publish_that_did_not_finish_are_found(tmp_path: Path) -> None:
    serving_db = write(tmp_path / "serving.duckdb", 10)
    leftovers = [
        write(tmp_path / ".serving.duckdb.4242.tmp", 10),  # named by an older release, with the pid
        write(tmp_path / ".serving.duckdb.4242.tmp.wal", 10),
        write(tmp_path / "serving.duckdb.publish.tmp", 10),
        write(tmp_path / "serving.duckdb.publish.tmp.wal", 10),
        write(tmp_path / "report" / ".index.html.4242.tmp", 10),
    ]
    kept = [serving_db, write(tmp_path / "other.duckdb.publish.tmp", 1), write(tmp_path / "report" / "index.html", 1)]
    removed = serving.remove_publish_leftovers(serving_db)
    assert sorted(path for path, _ in removed) == sorted(leftovers)
    assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in kept)


def test_a_failed_publish_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, serving_db, manifest = tmp_path / "w.duckdb", tmp_path / "serving.duckdb", tmp_path / "manifest.json"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.kpi_daily as select range as n from range(1000)")
    manifest.write_text(json.dumps({"nodes": {}}))
    write(serving_db, 10)

    def disk_full(*_args: object) -> None:
        raise duckdb.IOException(f'IO Error: Could not write file "{serving_db}.publish.tmp": No space left on device')

    monkeypatch.setattr(serving, "_write_docs", disk_full)
    with pytest.raises(duckdb.IOException):
        serving.publish_serving_copy(warehouse, serving_db, manifest, "b1", ShopSettings({}, {}, {}))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["manifest.json", "serving.duckdb", "w.duckdb"]
    assert serving_db.read_bytes() == b"x" * 10
