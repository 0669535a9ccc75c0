"""Garbage never stops a load and never vanishes: one test per kind, counts derived by hand.

Each landing folder holds the garbage file next to a good file; the good
file must load whatever happens to the garbage.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import load

GOOD_EVENT = '{"messageId":"%s","type":"page","timestamp":"2026-01-01T10:00:00Z","anonymousId":"a1"}'
ORDERS_HEADER = "order_id,customer_id,created_at,status,currency"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    (root / "events").mkdir(parents=True)
    (root / "orders").mkdir(parents=True)
    # the good files: 2 events, 1 order
    (root / "events" / "a-good.jsonl").write_text(GOOD_EVENT % "g1" + "\n" + GOOD_EVENT % "g2" + "\n")
    (root / "orders" / "a-good.csv").write_text(ORDERS_HEADER + "\nO1,C1,2026-01-01T10:00:00Z,paid,USD\n")
    return root


def load_all(tmp_path: Path, landing: Path) -> duckdb.DuckDBPyConnection:
    con = load.connect(tmp_path / "warehouse.duckdb")
    load.load_landing(con, landing, ["events", "orders"])
    return con


def log_row(con, path: str) -> tuple:
    return con.execute(
        "select rows_loaded, rows_rejected, error is not null from raw.load_log where path = ?", [path]
    ).fetchone()


def good_files_loaded(con) -> bool:
    events = con.execute("select count(*) from raw.events where _file = 'events/a-good.jsonl'").fetchone()[0]
    orders = con.execute("select count(*) from raw.orders where _file = 'orders/a-good.csv'").fetchone()[0]
    return (events, orders) == (2, 1)


def test_truncated_gzip(tmp_path: Path, landing: Path) -> None:
    data = gzip.compress(("\n".join(GOOD_EVENT % f"t{i}" for i in range(50)) + "\n").encode())
    (landing / "events" / "b-truncated.jsonl.gz").write_bytes(data[: len(data) // 2])
    con = load_all(tmp_path, landing)
    # the whole file is quarantined as one row naming the reader's error; its log row carries the error
    assert log_row(con, "events/b-truncated.jsonl.gz") == (0, 1, True)
    (reason,) = con.execute("select reason from raw.events_rejected where _file like '%truncated%'").fetchone()
    assert reason.startswith("unreadable file:") and "GZIP" in reason.upper()
    assert good_files_loaded(con)


def test_binary_file_named_jsonl(tmp_path: Path, landing: Path) -> None:
    (landing / "events" / "b-binary.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    con = load_all(tmp_path, landing)
    # not UTF-8 text: quarantined whole
    assert log_row(con, "events/b-binary.jsonl") == (0, 1, True)
    assert good_files_loaded(con)


def test_csv_without_header(tmp_path: Path, landing: Path) -> None:
    (landing / "orders" / "b-noheader.csv").write_text(
        "O2,C2,2026-01-02T10:00:00Z,paid,USD\nO3,C3,2026-01-02T11:00:00Z,paid,USD\n"
    )
    con = load_all(tmp_path, landing)
    # the first row would be taken for a header, so no required column is found: the file is quarantined whole
    assert log_row(con, "orders/b-noheader.csv") == (0, 1, True)
    (reason,) = con.execute("select reason from raw.orders_rejected").fetchone()
    assert "none of the required columns" in reason
    assert good_files_loaded(con)


def test_csv_with_another_delimiter_is_sniffed(tmp_path: Path, landing: Path) -> None:
    (landing / "orders" / "b-semicolon.csv").write_text(
        ORDERS_HEADER.replace(",", ";") + "\nO2;C2;2026-01-02T10:00:00Z;paid;USD\nO3;C3;2026-01-02T11:00:00Z;paid;EUR\n"
    )
    con = load_all(tmp_path, landing)
    # DuckDB's sniffer finds the ';': both rows load with their columns intact
    assert log_row(con, "orders/b-semicolon.csv") == (2, 0, False)
    assert con.execute("select currency from raw.orders where order_id = 'O3'").fetchone() == ("EUR",)
    assert good_files_loaded(con)


def test_empty_files(tmp_path: Path, landing: Path) -> None:
    (landing / "events" / "b-empty.jsonl").write_bytes(b"")
    (landing / "orders" / "b-empty.csv").write_bytes(b"")
    con = load_all(tmp_path, landing)
    # nothing to load or quarantine: the log row says "empty file"
    assert log_row(con, "events/b-empty.jsonl") == (0, 0, True)
    assert log_row(con, "orders/b-empty.csv") == (0, 0, True)
    assert good_files_loaded(con)


def test_utf8_bom(tmp_path: Path, landing: Path) -> None:
    (landing / "events" / "b-bom.jsonl").write_bytes(b"\xef\xbb\xbf" + (GOOD_EVENT % "b1").encode() + b"\n")
    (landing / "orders" / "b-bom.csv").write_bytes(
        b"\xef\xbb\xbf" + (ORDERS_HEADER + "\nO2,C2,2026-01-02T10:00:00Z,paid,USD\n").encode()
    )
    con = load_all(tmp_path, landing)
    # the BOM is not part of the first line: the event and the order_id column both load
    assert log_row(con, "events/b-bom.jsonl") == (1, 0, False)
    assert log_row(con, "orders/b-bom.csv") == (1, 0, False)
    assert con.execute("select count(*) from raw.orders where order_id = 'O2'").fetchone() == (1,)


def test_crlf_line_endings(tmp_path: Path, landing: Path) -> None:
    (landing / "events" / "b-crlf.jsonl").write_bytes(
        ((GOOD_EVENT % "c1") + "\r\n" + (GOOD_EVENT % "c2") + "\r\n" + "{not json\r\n").encode()
    )
    (landing / "orders" / "b-crlf.csv").write_bytes(
        (ORDERS_HEADER + "\r\nO2,C2,2026-01-02T10:00:00Z,paid,USD\r\n").encode()
    )
    con = load_all(tmp_path, landing)
    assert log_row(con, "events/b-crlf.jsonl") == (2, 1, False)
    assert log_row(con, "orders/b-crlf.csv") == (1, 0, False)
    # no stray carriage return in the stored text
    assert con.execute("select record from raw.events_rejected where _file = 'events/b-crlf.jsonl'").fetchall() == [
        ("{not json",)
    ]
    assert con.execute("select anonymous_id from raw.events where message_id = 'c2'").fetchone() == ("a1",)
    assert con.execute("select currency from raw.orders where order_id = 'O2'").fetchone() == ("USD",)


def test_blank_and_whitespace_lines(tmp_path: Path, landing: Path) -> None:
    # lines: 1 good, 2 empty, 3 spaces only, 4 a tab, 5 spaces then a good event, 6 a non-breaking space
    # (U+00A0), 7 good. Empty lines and lines of spaces or other Unicode white space are no event and no
    # rejection (2, 3, 6: DuckDB's trim); a tab is a character to check: invalid JSON (4); leading spaces
    # before an object are JSON's white space (5). Line numbers count every line, blank ones too.
    lines = [GOOD_EVENT % "w1", "", "   ", "\t", "  " + GOOD_EVENT % "w5", "\u00a0", GOOD_EVENT % "w7"]
    (landing / "events" / "b-blank.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = load_all(tmp_path, landing)
    assert log_row(con, "events/b-blank.jsonl") == (3, 1, False)
    loaded = con.execute(
        "select _line, message_id from raw.events where _file = 'events/b-blank.jsonl' order by _line"
    ).fetchall()
    assert loaded == [(1, "w1"), (5, "w5"), (7, "w7")]
    rejected = con.execute(
        "select _line, reason from raw.events_rejected where _file = 'events/b-blank.jsonl' order by _line"
    ).fetchall()
    assert rejected == [(4, "invalid JSON")]
    assert good_files_loaded(con)


def test_ten_megabyte_line(tmp_path: Path, landing: Path) -> None:
    big = '{"messageId":"big","type":"track","event":"Big","timestamp":"2026-01-01T10:00:00Z","anonymousId":"a1","properties":{"blob":"%s"}}'
    (landing / "events" / "b-big.jsonl").write_text(big % ("x" * 10_000_000) + "\n" + GOOD_EVENT % "after" + "\n")
    con = load_all(tmp_path, landing)
    # both lines load, the big one whole
    assert log_row(con, "events/b-big.jsonl") == (2, 0, False)
    assert con.execute("select length(properties) > 10000000 from raw.events where message_id = 'big'").fetchone() == (
        True,
    )
    assert good_files_loaded(con)


def test_invalid_utf8(tmp_path: Path, landing: Path) -> None:
    (landing / "events" / "b-latin1.jsonl").write_bytes(
        (GOOD_EVENT % "u1").encode() + b"\n" + (GOOD_EVENT % "caf\xe9").encode("latin-1") + b"\n"
    )
    con = load_all(tmp_path, landing)
    # DuckDB's reader refuses the file at line 2: quarantined whole with the reader's message
    assert log_row(con, "events/b-latin1.jsonl") == (0, 1, True)
    (reason,) = con.execute("select reason from raw.events_rejected where _file = 'events/b-latin1.jsonl'").fetchone()
    assert "Line: 2" in reason
    assert good_files_loaded(con)


def test_a_new_column_in_a_later_file_is_kept(tmp_path: Path, landing: Path) -> None:
    con = load_all(tmp_path, landing)
    (landing / "orders" / "b-wider.csv").write_text(
        ORDERS_HEADER + ",gift_message\nO9,C9,2026-01-03T10:00:00Z,paid,USD,hello\n"
    )
    load.load_landing(con, landing, ["orders"])
    assert con.execute("select gift_message from raw.orders where order_id = 'O9'").fetchone() == ("hello",)
    # the older row simply has no value there
    assert con.execute("select gift_message from raw.orders where order_id = 'O1'").fetchone() == (None,)
