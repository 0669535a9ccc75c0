"""Operating the pipeline: one writer at a time, the serving copy under readers, failed runs publish nothing."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, TINY_SHOP, PipelineRun, copy_run, pipeline_env, run_pipeline

pytestmark = pytest.mark.slow
FIXTURE = TINY_SHOP
CLI = [sys.executable, "-m", "orchestration.cli", "run"]

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

serving, stop, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
# "hold": one connection open for the whole run; "fresh": a new connection per answer;
# "sqlalchemy": a new connection per answer through SQLAlchemy + duckdb-engine, as Superset connects.
# (DuckDB shares one open database per file within a process, hence one process per reader.)
held = duckdb.connect(str(serving), read_only=True) if mode == "hold" else None
if mode == "sqlalchemy":
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(
        f"duckdb:///{serving}", connect_args={"read_only": True}, poolclass=NullPool
    )

    class Connection:
        # the reader loop's two calls, over a SQLAlchemy connection
        def __init__(self):
            self.connection = engine.connect()

        def execute(self, sql):
            return self.connection.execute(sqlalchemy.text(sql))

        def close(self):
            self.connection.close()

answers, errors, builds = 0, [], set()
while not stop.exists():
    for con, fresh in ((held, False),) if held else ((None, True),):
        try:
            con = con or (Connection() if mode == "sqlalchemy" else duckdb.connect(str(serving), read_only=True))
            [(build_id,)] = con.execute("select build_id from docs.build").fetchall()
            recorded = con.execute("select table_name, row_count, build_id from docs.table_rows").fetchall()
            for table, rows, table_build in recorded:
                actual = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
                if actual != rows or table_build != build_id:
                    errors.append(f"{table}: {actual} rows, {rows} recorded; build {table_build} vs {build_id}")
            builds.add(build_id)
            answers += 1
            if fresh:
                con.close()
        except Exception as error:  # any error at all fails the test
            errors.append(repr(error))
    time.sleep(0.05)
print(json.dumps({"answers": answers, "errors": errors[:20], "builds": sorted(builds)}))
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_is_held(lock: Path) -> bool:
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@pytest.fixture(scope="module")
def first_run(tiny_shop_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """A copy of the session's tiny shop run for the whole module; the tests below run in file order
    and each leaves it runnable for the next (the one that breaks it on purpose is last)."""
    return copy_run(tiny_shop_run, tmp_path_factory.mktemp("operations"))


def add_events_day(landing: Path, day: int) -> str:
    """A new day of events (a copy of a landed file with new message ids), so the next run has work."""
    source = FIXTURE / "events" / "2026-03-03.jsonl"
    prefix = f"d{day}-"
    lines = source.read_text().replace('"messageId":"', f'"messageId":"{prefix}')
    (landing / "events" / f"2026-03-{day:02d}.jsonl").write_text(lines.replace("2026-03-03T", f"2026-03-{day:02d}T"))
    return prefix


def test_a_second_run_stops_at_once_while_the_first_writes(first_run) -> None:
    prefix = add_events_day(first_run.landing, 6)
    env = pipeline_env(first_run.warehouse.parent, first_run.landing)
    lock = first_run.warehouse.with_name(first_run.warehouse.name + ".lock")
    first = subprocess.Popen(CLI, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not lock_is_held(lock):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run never took the writer lock"
        time.sleep(0.1)
    started = time.monotonic()
    second = subprocess.run(CLI, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2
    assert "pipeline NOT started" in second.stderr
    assert f"process {first.pid}" in second.stderr and str(first_run.warehouse) in second.stderr
    # it did not wait for the first run to finish
    assert first.poll() is None or time.monotonic() - started < 30
    _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-5000:]
    # the first run loaded the new day once
    with duckdb.connect(str(first_run.serving), read_only=True) as con:
        assert con.execute(f"select count(*) from marts.fct_events where message_id like '{prefix}%'").fetchone()[0] > 0


def test_a_program_holding_the_warehouse_gets_a_clear_error(first_run) -> None:
    env = pipeline_env(first_run.warehouse.parent, first_run.landing)
    holder = duckdb.connect(str(first_run.warehouse))  # like a notebook left open
    try:
        result = subprocess.run(CLI, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        holder.close()
    assert result.returncode == 2
    assert f"cannot open {first_run.warehouse}" in result.stderr
    assert f"PID {os.getpid()}" in result.stderr


def test_readers_see_one_whole_build_while_a_run_publishes(first_run, tmp_path: Path) -> None:
    add_events_day(first_run.landing, 7)
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, str(first_run.serving), str(stop), mode], stdout=subprocess.PIPE, text=True
        )
        for mode in ("hold", "fresh", "sqlalchemy")
    }
    try:
        time.sleep(1)
        run = run_pipeline(first_run.warehouse.parent, first_run.landing)
        assert run.result.returncode == 0, run.result.stderr[-5000:]
        time.sleep(1)
    finally:
        stop.write_text("stop")
        reports = {mode: json.loads(reader.communicate(timeout=60)[0]) for mode, reader in readers.items()}
    for report in reports.values():
        assert report["errors"] == []
        assert report["answers"] > 10
    # the held connection kept answering from the old build, new connections moved to the new one
    assert len(reports["hold"]["builds"]) == 1
    assert len(reports["fresh"]["builds"]) == 2
    assert reports["hold"]["builds"][0] in reports["fresh"]["builds"]
    # a BI tool's driver (SQLAlchemy + duckdb-engine, read only) queried the marts throughout
    assert reports["sqlalchemy"]["builds"] == reports["fresh"]["builds"]


def test_serving_file_has_column_docs_and_opens_in_duckdb_1_1(first_run, tmp_path: Path) -> None:
    with duckdb.connect(str(first_run.serving), read_only=True) as con:
        [(described,)] = con.execute(
            "select description from docs.columns where table_name = 'fct_orders' and column_name = 'net_sales'"
        ).fetchall()
        assert described == "gmv - discount_total."
        undocumented = con.execute("select table_name, column_name from docs.columns where description is null")
        assert undocumented.fetchall() == []
        expected = con.execute("select count(*) from marts.fct_orders").fetchone()[0]
    venv = tmp_path / "duckdb11"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "duckdb==1.1.3"],
        check=True,
        timeout=600,
    )
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__, con.execute('select count(*) from marts.fct_orders').fetchone()[0])"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, str(first_run.serving)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out == ["1.1.3", str(expected)]


# last: it leaves the landing folder failing on purpose
def test_a_failing_error_test_blocks_the_publish_and_keeps_the_old_serving_file(first_run) -> None:
    before = (sha256(first_run.serving), first_run.serving.stat().st_ino)
    # an order in a currency without any rate stops the build, naming the currency and date
    (first_run.landing / "orders" / "2026-03-09.csv").write_text(
        "order_id,customer_id,created_at,status,currency,subtotal,discount_total,shipping_total,tax_total,total,"
        "payment_method,source_name\nOX1,C9,2026-03-05T12:00:00Z,paid,XYZ,10.00,0,0,0,10.00,card,web\n"
    )
    run = run_pipeline(first_run.warehouse.parent, first_run.landing)
    assert run.result.returncode == 1
    assert "XYZ: no rate on 2026-03-05 (the first order_date without one" in run.result.stderr
    assert "fx_rates/ landing folder" in run.result.stderr
    assert (sha256(first_run.serving), first_run.serving.stat().st_ino) == before
