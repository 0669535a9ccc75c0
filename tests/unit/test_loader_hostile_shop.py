"""A hostile or careless shop export: no single row, header or landed name can stop, corrupt or
vanish from a load (issue 19). Every case sits beside a good file that must load; counts by hand.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import discovery, load

ORDERS_HEADER = "order_id,customer_id,created_at,status,currency"
GOOD_ORDER = "O1,C1,2026-01-01T10:00:00Z,paid,USD"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for source in ("orders", "inventory", "marketing_spend", "events"):
        (root / source).mkdir(parents=True)
    (root / "orders" / "a-good.csv").write_text(f"{ORDERS_HEADER}\n{GOOD_ORDER}\n")
    return root


def write_parquet(path: Path, select: str) -> None:
    """A Parquet file from a SQL select (DuckDB writes it; no pyarrow needed)."""
    with duckdb.connect() as con:
        con.execute(f"copy ({select}) to '{path}' (format parquet)")


def load_all(tmp_path: Path, landing: Path, sources: list[str]) -> duckdb.DuckDBPyConnection:
    con = load.connect(tmp_path / "warehouse.duckdb")
    load.load_landing(con, landing, sources)
    return con


def good_order_loaded(con) -> bool:
    return con.execute("select count(*) from raw.orders where _file = 'orders/a-good.csv'").fetchone() == (1,)


def reasons(con, source: str) -> list[tuple]:
    return con.execute(f"select _file, _line, reason from raw.{source}_rejected order by _file, _line").fetchall()


# --- 1. control characters ---------------------------------------------------------------------


def test_control_characters_in_csv_fields_are_rejected(tmp_path: Path, landing: Path) -> None:
    (landing / "orders" / "b-controls.csv").write_bytes(
        (
            f"{ORDERS_HEADER},payment_method\n"
            "T11\x00X,C1,2026-01-02T10:00:00Z,paid,USD,card\n"  # line 2: NUL in the key
            "T12,C1,2026-01-02T10:00:00Z,paid,USD,ca\x1brd\n"  # line 3: ESC (U+001B) in an optional field
            "T13,C1,2026-01-02T10:00:00Z,paid,USD,ca\trd\n"  # line 4: a tab is text: loads
            "T14,C1,2026-01-02T10:00:00Z,paid,USD,\x7f\n"  # line 5: DEL is not a C0 control: loads
        ).encode()
    )
    con = load_all(tmp_path, landing, ["orders"])
    # 4 rows: 2 rejected (NUL, ESC), 2 loaded (tab, DEL)
    assert con.execute(
        "select rows_loaded, rows_rejected from raw.load_log where path = 'orders/b-controls.csv'"
    ).fetchone() == (2, 2)
    assert reasons(con, "orders") == [
        ("orders/b-controls.csv", 2, "control character U+0000 in order_id"),
        ("orders/b-controls.csv", 3, "control character U+001B in payment_method"),
    ]
    # the NUL key never reaches raw as an order of its own
    assert con.execute("select order_id from raw.orders order by order_id").fetchall() == [
        ("O1",),
        ("T13",),
        ("T14",),
    ]


def test_a_line_break_inside_a_key_is_rejected_but_kept_in_free_text(tmp_path: Path, landing: Path) -> None:
    # a quoted CSV field may span lines: fine in free text, never in a key (which names one thing)
    (landing / "orders" / "b-breaks.csv").write_text(
        f"{ORDERS_HEADER},payment_method\n"
        '"T21\nX",C1,2026-01-02T10:00:00Z,paid,USD,card\n'  # line 2 (spans 2 lines): key with a line break
        'T22,C1,2026-01-02T10:00:00Z,paid,USD,"gift\ncard"\n'
    )
    con = load_all(tmp_path, landing, ["orders"])
    assert [r[2] for r in reasons(con, "orders")] == ["control character U+000A in order_id"]
    assert con.execute("select payment_method from raw.orders where order_id = 'T22'").fetchone() == ("gift\ncard",)


def test_control_characters_in_parquet_and_json_fields_are_rejected(tmp_path: Path, landing: Path) -> None:
    write_parquet(
        landing / "orders" / "b-controls.parquet",
        "select * from (values ('P1', 'C1'), ('P2' || chr(0), 'C2'), ('P3', 'C3' || chr(7)))"
        " as t(order_id, customer_id), (select '2026-01-02T10:00:00Z' as created_at, 'paid' as status,"
        " 'USD' as currency) order by order_id",
    )
    (landing / "orders" / "c-controls.jsonl").write_text(
        '{"order_id":"J1\\u0000","customer_id":"C1","created_at":"2026-01-02T10:00:00Z","status":"paid","currency":"USD"}\n'
        '{"order_id":"J2","customer_id":"C1","created_at":"2026-01-02T10:00:00Z","status":"paid","currency":"USD"}\n'
    )
    con = load_all(tmp_path, landing, ["orders"])
    # parquet: P2 (NUL in order_id), P3 (BEL in customer_id) rejected; json: J1 rejected
    assert reasons(con, "orders") == [
        ("orders/b-controls.parquet", 2, "control character U+0000 in order_id"),
        ("orders/b-controls.parquet", 3, "control character U+0007 in customer_id"),
        ("orders/c-controls.jsonl", 1, "control character U+0000 in order_id"),
    ]
    assert con.execute("select order_id from raw.orders order by order_id").fetchall() == [
        ("J2",),
        ("O1",),
        ("P1",),
    ]


# --- 2. date keys are parsed at load -----------------------------------------------------------


def test_two_spellings_of_a_date_key_are_one_key(tmp_path: Path, landing: Path) -> None:
    inventory = landing / "inventory"
    (inventory / "a.csv").write_text("snapshot_date,product_id,on_hand\n2026-03-01,P1,5\n2026-03-02,P1,6\n")
    # a restatement written by another tool: a datetime at midnight and an unpadded date
    (inventory / "b.csv").write_text(
        "snapshot_date,product_id,on_hand\n2026-03-01 00:00:00,P1,7\n2026-3-2,P1,8\n2026-03-03T00:00:00Z,P1,9\n"
    )
    con = load_all(tmp_path, landing, ["inventory"])
    # every spelling is stored as the ISO date: each restatement lands on its original key
    assert con.execute(
        "select snapshot_date, on_hand, _file from raw.inventory order by snapshot_date, _file"
    ).fetchall() == [
        ("2026-03-01", "5", "inventory/a.csv"),
        ("2026-03-01", "7", "inventory/b.csv"),
        ("2026-03-02", "6", "inventory/a.csv"),
        ("2026-03-02", "8", "inventory/b.csv"),
        ("2026-03-03", "9", "inventory/b.csv"),
    ]
    # b.csv's first two rows restate a.csv's keys: counted as duplicates
    assert con.execute("select duplicate_rows from raw.load_log where path = 'inventory/b.csv'").fetchone() == (2,)


def test_a_date_key_with_a_time_of_day_is_rejected(tmp_path: Path, landing: Path) -> None:
    (landing / "inventory" / "a.csv").write_text("snapshot_date,product_id,on_hand\n2026-03-01 10:00,P1,5\n")
    (landing / "marketing_spend" / "a.csv").write_text(
        "date,platform,campaign,spend\n2026-03-01,google,brand,10\n2026-03-01 10:00,google,brand,12\n"
    )
    con = load_all(tmp_path, landing, ["inventory", "marketing_spend"])
    assert reasons(con, "inventory") == [
        ("inventory/a.csv", 2, "snapshot_date has a time of day (2026-03-01 10:00): a daily key takes a date"),
    ]
    assert reasons(con, "marketing_spend") == [
        ("marketing_spend/a.csv", 3, "date has a time of day (2026-03-01 10:00): a daily key takes a date"),
    ]
    assert con.execute("select date, spend from raw.marketing_spend").fetchall() == [("2026-03-01", "10")]


@pytest.mark.parametrize("file_format", ["csv", "ndjson", "parquet"])
def test_a_date_folder_is_where_a_file_landed_not_its_date(tmp_path: Path, landing: Path, file_format: str) -> None:
    """A week of spend landed in the folder of the day it arrived: every row keeps its own date.

    DuckDB reads `date=2026-03-08` in a path as a column `date` unless told not to; it used to
    overwrite the file's own `date` column with the folder's, so three days became three rows of
    2026-03-08 (two of them duplicates), and every other source gained a `date` column."""
    folder = landing / "marketing_spend" / "date=2026-03-08"
    folder.mkdir()
    rows = [("2026-03-01", "10"), ("2026-03-02", "11"), ("2026-03-03", "12")]
    if file_format == "csv":
        lines = "".join(f"{day},google,brand,{spend}\n" for day, spend in rows)
        (folder / "spend.csv").write_text("date,platform,campaign,spend\n" + lines)
    elif file_format == "ndjson":
        lines = "".join(
            f'{{"date": "{day}", "platform": "google", "campaign": "brand", "spend": {spend}}}\n' for day, spend in rows
        )
        (folder / "spend.ndjson").write_text(lines)
    else:
        values = ", ".join(f"(date '{day}', 'google', 'brand', {spend})" for day, spend in rows)
        write_parquet(
            folder / "spend.parquet", f"select * from (values {values}) as t(date, platform, campaign, spend)"
        )
    orders = landing / "orders" / "date=2026-03-08"
    orders.mkdir()
    (orders / "orders.csv").write_text(f"{ORDERS_HEADER}\n{GOOD_ORDER.replace('O1', 'O2')}\n")
    con = load_all(tmp_path, landing, ["marketing_spend", "orders"])
    assert con.execute("select date, spend from raw.marketing_spend order by date").fetchall() == rows
    assert con.execute("select sum(duplicate_rows) from raw.load_log").fetchone() == (0,)
    # the folder's name is not a column of the orders either
    assert "date" not in {name for (name,) in con.execute("select column_name from (describe raw.orders)").fetchall()}


@pytest.mark.parametrize("folder", ["line=1", "filename=x", "date=2026-01-01"])
def test_a_folder_named_like_a_column_of_the_event_scan_loads(tmp_path: Path, landing: Path, folder: str) -> None:
    """`events/line=1/` was read as a hive partition that replaced each line's text with the number 1:
    the whole load, every source, stopped with a Binder error on `ascii(BIGINT)`."""
    (landing / "events" / folder).mkdir()
    (landing / "events" / folder / "e.jsonl").write_text(
        '{"messageId":"m1","type":"track","event":"X","timestamp":"2026-01-01T00:00:00Z","anonymousId":"a"}\n'
    )
    con = load_all(tmp_path, landing, ["events", "orders"])
    assert con.execute("select message_id, event, _file, _line from raw.events").fetchall() == [
        ("m1", "X", f"events/{folder}/e.jsonl", 1)
    ]
    assert good_order_loaded(con)


# --- 3. column names are data --------------------------------------------------------------------


def test_any_header_loads_under_a_predictable_name(tmp_path: Path, landing: Path) -> None:
    header = f'{ORDERS_HEADER},"size ""EU""",_file,_line,_load_id,_loaded_at,select,größe,version_rank'
    (landing / "orders" / "b-names.csv").write_text(f"{header}\nO2,C2,2026-01-02T10:00:00Z,paid,USD,42,f,l,i,t,s,g,v\n")
    con = load_all(tmp_path, landing, ["orders"])
    assert good_order_loaded(con)
    row = con.execute(
        'select "size EU", landed_file, landed_line, landed_load_id, landed_loaded_at, "select", "größe", '
        "version_rank, _file, _line from raw.orders where order_id = 'O2'"
    ).fetchone()
    # double quotes are dropped from a name (dbt's unit tests write names unescaped); a name the loader
    # owns (leading '_') is kept with 'landed' in front; the loader's own columns are intact
    assert row == ("42", "f", "l", "i", "t", "s", "g", "v", "orders/b-names.csv", 2)


def test_header_case_and_collisions_within_a_file(tmp_path: Path, landing: Path) -> None:
    # ORDER_ID is order_id (column names are case-blind); a landed 'landed_file' next to '_file' keeps
    # its name and the renamed '_file' takes the next free suffix
    (landing / "orders" / "b-case.csv").write_text(
        "ORDER_ID,Customer_Id,created_at,status,currency,landed_file,_file\nO3,C3,2026-01-02T10:00:00Z,paid,USD,a,b\n"
    )
    con = load_all(tmp_path, landing, ["orders"])
    assert con.execute(
        "select customer_id, landed_file, landed_file_2 from raw.orders where order_id = 'O3'"
    ).fetchone() == ("C3", "a", "b")
    assert good_order_loaded(con)


def test_a_parquet_column_named_like_the_loaders(tmp_path: Path, landing: Path) -> None:
    write_parquet(
        landing / "orders" / "b-line.parquet",
        "select 'P1' as order_id, 'C1' as customer_id, '2026-01-02T10:00:00Z' as created_at, 'paid' as status,"
        " 'USD' as currency, 7 as _line",
    )
    con = load_all(tmp_path, landing, ["orders"])
    assert con.execute("select _line, landed_line from raw.orders where order_id = 'P1'").fetchone() == (1, "7")


# --- 4. nothing vanishes ------------------------------------------------------------------------


def log_errors(con) -> dict[str, str]:
    return dict(con.execute("select path, error from raw.load_log where sha256 is null").fetchall())


def test_names_that_cannot_be_read_get_a_log_row(tmp_path: Path, landing: Path) -> None:
    orders = landing / "orders"
    os.symlink("loop-b.csv", orders / "loop-a.csv")
    os.symlink("loop-a.csv", orders / "loop-b.csv")
    os.symlink("nowhere.csv", orders / "dangling.csv")
    os.mkfifo(orders / "fifo.csv")  # opening it would block until a writer comes: it must not be opened
    os.mkfifo(landing / "events" / "fifo.jsonl")
    server = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(orders)  # a relative address: a socket path is limited to ~100 bytes
    try:
        server.bind("socket.csv")
    finally:
        os.chdir(cwd)
    try:
        con = load_all(tmp_path, landing, ["orders", "events"])
    finally:
        server.close()
    errors = log_errors(con)
    assert set(errors) == {
        "orders/loop-a.csv",
        "orders/loop-b.csv",
        "orders/dangling.csv",
        "orders/fifo.csv",
        "orders/socket.csv",
        "events/fifo.jsonl",
    }
    assert "symlink loop" in errors["orders/loop-a.csv"]
    assert "dangling symlink" in errors["orders/dangling.csv"] and "nowhere.csv" in errors["orders/dangling.csv"]
    assert "FIFO" in errors["orders/fifo.csv"]
    assert "socket" in errors["orders/socket.csv"]
    # every such name is also a whole-file quarantine row, as an unreadable file is
    assert con.execute("select count(*) from raw.orders_rejected where record is null").fetchone() == (5,)
    assert good_order_loaded(con)
    # a second load logs nothing again while the names stay as they are
    load.load_landing(con, landing, ["orders", "events"])
    assert con.execute("select count(*) from raw.load_log where sha256 is null").fetchone() == (6,)


def test_a_dangling_symlink_loads_once_its_target_appears(tmp_path: Path, landing: Path) -> None:
    os.symlink("target.csv", landing / "orders" / "link.csv")
    con = load_all(tmp_path, landing, ["orders"])
    assert "dangling symlink" in log_errors(con)["orders/link.csv"]
    # the hidden-name rule keeps the target itself out of discovery: only the link loads
    (landing / "orders" / "target.csv").write_text(f"{ORDERS_HEADER}\nL1,C1,2026-01-02T10:00:00Z,paid,USD\n")
    os.replace(landing / "orders" / "target.csv", landing / "orders" / "_target.csv")
    os.remove(landing / "orders" / "link.csv")
    os.symlink("_target.csv", landing / "orders" / "link.csv")
    load.load_landing(con, landing, ["orders"])
    assert con.execute("select _file from raw.orders where order_id = 'L1'").fetchone() == ("orders/link.csv",)


def test_a_file_without_read_permission_gets_a_log_row(
    tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod 000 does not stop root (tests may run as root): the refusal is simulated where the
    # loader opens a file, exactly as the OS reports it
    (landing / "orders" / "b-secret.csv").write_text(f"{ORDERS_HEADER}\nS1,C1,2026-01-02T10:00:00Z,paid,USD\n")
    real_sha = load.sha256_of

    def refusing(path: Path) -> str:
        if path.name == "b-secret.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_sha(path)

    monkeypatch.setattr(load, "sha256_of", refusing)
    con = load_all(tmp_path, landing, ["orders"])
    assert "Permission denied" in log_errors(con)["orders/b-secret.csv"]
    assert good_order_loaded(con)


def test_discovery_reports_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "orders").mkdir()
    os.mkfifo(tmp_path / "orders" / "f.csv")
    os.mkfifo(tmp_path / "orders" / "f.txt")  # not a data file's name: ignored as before
    [found] = discovery.discover(tmp_path, "orders")
    assert found.relative_path == "orders/f.csv" and "FIFO" in (found.problem or "")


# --- 5. negative stock ---------------------------------------------------------------------------


def test_negative_stock_is_an_allowed_value(tmp_path: Path, landing: Path) -> None:
    # shops oversell (backorders, pre-orders): a negative count is data, not an error
    (landing / "inventory" / "a.csv").write_text("snapshot_date,product_id,on_hand\n2026-03-01,P1,-3\n")
    con = load_all(tmp_path, landing, ["inventory"])
    assert con.execute("select on_hand from raw.inventory").fetchall() == [("-3",)]
    assert reasons(con, "inventory") == []


def test_a_quantity_staging_cannot_hold_is_rejected(tmp_path: Path, landing: Path) -> None:
    # staging casts quantity to a 32-bit integer: 2147483648 (2^31) would stop the build, so the
    # loader rejects it; 2147483647 (2^31 - 1) fits and loads
    (landing / "order_items").mkdir()
    (landing / "order_items" / "a.csv").write_text(
        "order_id,line_id,product_id,quantity,unit_price\nO1,1,P1,2147483647,1\nO1,2,P1,2147483648,1\n"
    )
    con = load_all(tmp_path, landing, ["order_items"])
    assert reasons(con, "order_items") == [("order_items/a.csv", 3, "quantity too large (above 2147483647)")]
    assert con.execute("select line_id from raw.order_items").fetchall() == [("1",)]


def test_a_folder_that_cannot_be_listed_gets_a_log_row(
    tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as for a file, chmod cannot stop root: the refusal is simulated where the folder is listed
    (landing / "orders" / "2026").mkdir()
    (landing / "orders" / "2026" / "b.csv").write_text(f"{ORDERS_HEADER}\nS1,C1,2026-01-02T10:00:00Z,paid,USD\n")
    real_scandir = os.scandir

    def refusing(path):
        if str(path).endswith("2026"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    con = load_all(tmp_path, landing, ["orders"])
    assert "folder cannot be listed: Permission denied" in log_errors(con)["orders/2026"]
    assert good_order_loaded(con)
