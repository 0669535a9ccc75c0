"""Issue 19: each hostile case lands beside the tiny shop, the pipeline publishes anyway, and a later
good file publishes too (nothing stalls for good). Counts derived by hand beside each assertion.

Before: the NUL key reached the marts as an order; `2026-03-02 10:00` beside `2026-03-02` failed
the staging uniqueness tests (nothing published, then or later); `size "EU"` and `_file` stopped the
whole load; the symlink loop and the FIFO left no trace.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, PipelineRun, land_fixture, run_pipeline

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "tiny_shop"
ORDERS_HEADER = "order_id,customer_id,created_at,status,currency,total"


def land_hostile_cases(landing: Path) -> None:
    orders = landing / "orders"
    # a NUL inside a key (line 2), a header with a quote and the loader's own column names, a good row (line 3)
    (orders / "2026-03-06-hostile.csv").write_bytes(
        (
            f'{ORDERS_HEADER},"size ""EU""",_file,select,größe,it\'s\n'
            "T11\x00X,C1,2026-03-02T10:00:00Z,paid,USD,10.00,42,x,s,g,i\n"
            "H1,C1,2026-03-02T11:00:00Z,paid,USD,10.00,43,y,s,g,i\n"
        ).encode()
    )
    os.symlink("loop-b.csv", orders / "loop-a.csv")
    os.symlink("loop-a.csv", orders / "loop-b.csv")
    os.mkfifo(landing / "events" / "pipe.jsonl")
    inventory = landing / "inventory"
    inventory.mkdir()
    (inventory / "a.csv").write_text("snapshot_date,product_id,on_hand\n2026-03-02,P1,5\n")
    # a restatement at midnight (7 wins over 5), a time of day (rejected), and negative stock (allowed)
    (inventory / "b.csv").write_text(
        "snapshot_date,product_id,on_hand\n2026-03-02 00:00:00,P1,7\n2026-03-02 10:00,P1,9\n2026-03-03,P1,-2\n"
    )
    spend = landing / "marketing_spend"
    spend.mkdir()
    (spend / "a.csv").write_text("date,platform,campaign,spend\n2026-03-02,google,brand,10\n")
    (spend / "b.csv").write_text(
        "date,platform,campaign,spend\n2026-03-02 10:00,google,brand,12\n2026-3-2,google,brand,11\n"
    )


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineRun, PipelineRun]:
    workdir = tmp_path_factory.mktemp("hostile")
    landing = workdir / "landing"
    land_fixture(FIXTURE, landing)
    land_hostile_cases(landing)
    first = run_pipeline(workdir, landing)
    assert first.result.returncode == 0, first.result.stderr[-5000:]
    # then a good file: the next run publishes it
    (landing / "orders" / "2026-03-07.csv").write_text(f"{ORDERS_HEADER}\nG1,C1,2026-03-03T09:00:00Z,paid,USD,5.00\n")
    second = run_pipeline(workdir, landing)
    assert second.result.returncode == 0, second.result.stderr[-5000:]
    return first, second


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_bad_key_is_quarantined_and_the_rest_publishes(hostile_runs) -> None:
    _, second = hostile_runs
    # tiny shop's O1..O5, the hostile file's good row H1, the later good file's G1; no T11<NUL>X
    assert query(second.serving, "select order_id from marts.fct_orders order by order_id") == [
        ("G1",),
        ("H1",),
        ("O1",),
        ("O2",),
        ("O3",),
        ("O4",),
        ("O5",),
    ]
    assert query(second.warehouse, "select _line, reason from raw.orders_rejected where _line is not null") == [
        (2, "control character U+0000 in order_id")
    ]
    # under their stored names: double quotes dropped, '_file' as 'landed_file' (landing-contract.md)
    stored = 'select "size EU", landed_file, "select", "größe", "it\'s" from raw.orders where order_id = \'H1\''
    assert query(second.warehouse, stored) == [("43", "y", "s", "g", "i")]


def test_date_keys_in_two_spellings_publish_one_row(hostile_runs) -> None:
    _, second = hostile_runs
    # P1 on 03-02: 5 (a.csv) restated by 7 (b.csv, midnight); 9 at 10:00 rejected; 03-03: -2 kept
    assert query(
        second.serving,
        "select snapshot_date::varchar, on_hand, is_stockout from marts.inventory_daily order by snapshot_date",
    ) == [("2026-03-02", 7, False), ("2026-03-03", -2, True)]
    assert query(second.warehouse, "select _file, _line from raw.marketing_spend_rejected") == [
        ("marketing_spend/b.csv", 2)
    ]


def test_unreadable_names_are_logged_once(hostile_runs) -> None:
    first, _ = hostile_runs
    logged = query(first.warehouse, "select path, error from raw.load_log where sha256 is null order by path")
    assert [path for path, _ in logged] == ["events/pipe.jsonl", "orders/loop-a.csv", "orders/loop-b.csv"]
    assert "FIFO" in logged[0][1] and "symlink loop" in logged[1][1]
    # the published ingest summary counts them as rejected files: 2 names under orders, 1 under events
    rejected = dict(query(first.serving, "select source, files_rejected from marts.ingest_summary"))
    assert (rejected["orders"], rejected["events"]) == (2, 1)
