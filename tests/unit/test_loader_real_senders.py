"""What real senders write reaches raw as the contract means it: blanks are absent, and the event time
follows Segment's rules whatever fields a library sets. Derivations beside each assertion."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.loading import load
from orchestration.loading.contract import TABLES

BLANKS = ("", " ", "   ", "\t", " \t ")


def load_folder(tmp_path: Path, files: dict[str, str], sources: list[str]) -> duckdb.DuckDBPyConnection:
    landing = tmp_path / "landing"
    for name, text in files.items():
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_text(text)
    con = load.connect(tmp_path / "warehouse.duckdb")
    load.load_landing(con, landing, sources, lambda _message: None)
    return con


def event_times(tmp_path: Path, messages: list[dict]) -> dict[str, tuple]:
    con = load_folder(tmp_path, {"events/e.jsonl": "".join(json.dumps(m) + "\n" for m in messages)}, ["events"])
    accepted = {
        m: (str(at), None) for m, at in con.execute("select message_id, event_at::varchar from raw.events").fetchall()
    }
    rejected = {
        json.loads(line)["messageId"]: (None, reason)
        for line, reason in con.execute("select record, reason from raw.events_rejected").fetchall()
    }
    return accepted | rejected


def test_event_time_from_timestamp_or_segments_clock_skew_rule(tmp_path: Path) -> None:
    base = {"type": "track", "event": "Product Viewed", "anonymousId": "a1"}
    times = event_times(
        tmp_path,
        [
            # timestamp wins as sent, whatever else is there; +05:30 and microseconds: 04:32:00.123456 UTC
            base | {"messageId": "t1", "timestamp": "2026-03-02T10:02:00.123456+05:30", "sentAt": "x"},
            # no timestamp: receivedAt - (sentAt - originalTimestamp) = 12:00:05 - (11:00:10 - 11:00:00)
            # = 11:59:55: the device clock ran an hour behind, and the event happened 10 s before sending
            base
            | {
                "messageId": "t2",
                "originalTimestamp": "2026-03-02T11:00:00Z",
                "sentAt": "2026-03-02T11:00:10Z",
                "receivedAt": "2026-03-02T12:00:05Z",
            },
            # no timestamp, no sentAt: originalTimestamp as it is
            base | {"messageId": "t3", "originalTimestamp": "2026-03-02T09:00:00-01:00"},
            # a blank timestamp counts as none
            base | {"messageId": "t4", "timestamp": "  ", "originalTimestamp": "2026-03-02T08:00:00Z"},
            # no time at all: quarantined with the reason
            base | {"messageId": "t5", "timestamp": "", "receivedAt": "2026-03-02T08:00:00Z"},
            # an unparseable timestamp is not silently replaced by originalTimestamp
            base | {"messageId": "t6", "timestamp": "yesterday", "originalTimestamp": "2026-03-02T08:00:00Z"},
        ],
    )
    assert times == {
        "t1": ("2026-03-02 04:32:00.123456", None),
        "t2": ("2026-03-02 11:59:55", None),
        "t3": ("2026-03-02 10:00:00", None),
        "t4": ("2026-03-02 08:00:00", None),
        "t5": (None, "missing timestamp"),
        "t6": (None, "unparseable timestamp"),
    }


def test_blank_ids_names_and_types_of_events(tmp_path: Path) -> None:
    base = {"timestamp": "2026-03-02T10:00:00Z"}
    con = load_folder(
        tmp_path,
        {
            "events/e.jsonl": "".join(
                json.dumps(m) + "\n"
                for m in [
                    # userId "" and anonymousId "  " are both absent: quarantined
                    base | {"messageId": "b1", "type": "page", "anonymousId": "  ", "userId": ""},
                    # type in other case, padded ids: accepted, trimmed, type lower-cased
                    base | {"messageId": " b2 ", "type": "Track", "event": " Order Completed ", "userId": " u1 "},
                    # a blank event name on a track call: quarantined
                    base | {"messageId": "b3", "type": "track", "event": "\t", "anonymousId": "a1"},
                ]
            )
        },
        ["events"],
    )
    assert con.execute("select message_id, type, event, anonymous_id, user_id from raw.events").fetchall() == [
        ("b2", "track", "Order Completed", None, "u1")
    ]
    reasons = sorted(r for (r,) in con.execute("select reason from raw.events_rejected").fetchall())
    assert reasons == ["missing anonymousId and userId", "track without event"]


ORDER_OPTIONAL = [c.name for c in TABLES["orders"].columns if not c.required]


@settings(max_examples=15, deadline=None)
@given(
    blanks=st.dictionaries(st.sampled_from(ORDER_OPTIONAL), st.sampled_from(BLANKS), min_size=1),
    dropped=st.sets(st.sampled_from(ORDER_OPTIONAL)),
    key_blank=st.sampled_from(BLANKS),
)
def test_blank_shop_cells_are_absent(
    tmp_path_factory, blanks: dict[str, str], dropped: set[str], key_blank: str
) -> None:
    """An optional cell that is "" or whitespace loads exactly as a column the file does not have;
    a blank required cell is a missing value, quarantined with that reason."""
    tmp_path = tmp_path_factory.mktemp("blank")
    columns = ["order_id", "customer_id", "created_at", "status", "currency"] + [
        c for c in ORDER_OPTIONAL if c not in dropped
    ]
    row = {"order_id": "O1", "customer_id": "C1", "created_at": "2026-03-02T10:00:00Z", "status": "paid"}
    row |= {"currency": "USD"} | {c: blanks.get(c, "") for c in ORDER_OPTIONAL if c not in dropped}
    bad = dict(row, order_id="O2", customer_id=key_blank)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([row, bad])
    con = load_folder(tmp_path, {"orders/o.csv": text.getvalue()}, ["orders"])
    optional = ", ".join(f'"{c}"' for c in ORDER_OPTIONAL)
    # every optional column is null, whether blank in the file or missing from it
    assert con.execute(f"select {optional} from raw.orders where order_id = 'O1'").fetchall() == [
        (None,) * len(ORDER_OPTIONAL)
    ]
    assert con.execute("select reason, _line from raw.orders_rejected").fetchall() == [("missing customer_id", 3)]
