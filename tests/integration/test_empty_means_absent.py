"""Empty means absent, and case does not matter where it carries no meaning: property-based.

Real senders write "no value" in many ways: a browser's `document.referrer` is "" and
analytics.js forwards it; exporters write null, "" or a blank; other trackers send other
case. For every optional field of a hand-made visit, hypothesis draws one of: the value as
it is, absent, null, "", whitespace only, or (for fields whose case means nothing) another
case. Every drawn visitor lands twice in ONE warehouse: as drawn (prefix `v<n>`) and in its
canonical form (prefix `c<n>`: absent-like variants removed, case restored). Each drawn
visitor's sessions, events and rejects must equal its canonical twin's, ids aside.

The visit (hand-made; times UTC, 2026-03-02), with what the marts must say of the clean
copy, derived by hand:

    e1 10:00:00 page /            referrer google, UTM google / cpc / brand
    e2 10:01:00 Viewed Product     (spec v1 name -> Product Viewed)     P1
    e3 10:02:00 Added Product      (spec v1 -> Product Added)           P1 x 1
    e4 10:03:00 Started Checkout   (spec v1 -> Checkout Started)
    e5 10:04:00 Payment Info Entered
    e6 10:04:30 identify           anonymous id -> user id
    e7 10:05:00 Completed Order    (spec v1 -> Order Completed)         order O1, products[]

    one session (no gap over 30 min), 10:00:00 .. 10:05:00: duration 300 s, 1 page view,
    7 events, not a bounce (track events), engaged (300 s >= 10 s), converted;
    funnel: every step of the default six in time order -> step 6; time to convert 300 s;
    source/medium/campaign google / cpc / brand (UTM wins over the referrer) -> Paid Search;
    person = the user id (identify stitches the anonymous id).

Two fixed copies check the empty-string rule by hand as well:
    `empty`: referrer "" and every UTM "" -> no referrer, no UTM -> (direct) / (none),
             channel Direct (before this rule it came out as source '', Referral);
    `blank`: referrer "   " and UTM medium/source "\t" -> the same: Direct.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orchestration.loading import load
from orchestration.loading.contract import SOURCES
from tests.conftest import run_dbt

pytestmark = pytest.mark.slow

ABSENT = object()  # the key is left out of the message
# absent-like spellings of "no value"
BLANKS: tuple[Any, ...] = (ABSENT, None, "", "  ", "\t", " \n ")

# (path in the message, case carries meaning?) for every optional field the visit sets
OPTIONAL_FIELDS: dict[str, list[tuple[tuple[str, ...], bool]]] = {
    "page": [
        (("context", "page", "referrer"), True),
        (("context", "page", "path"), True),
        (("context", "page", "url"), True),
        (("context", "page", "title"), True),
        (("context", "campaign", "source"), False),
        (("context", "campaign", "medium"), False),
        (("context", "campaign", "name"), False),
        (("context", "userAgent"), True),
        (("context", "device", "type"), False),
        (("context", "os", "name"), True),
        (("name",), True),
    ],
    "track": [
        (("properties", "product_id"), True),
        (("properties", "sku"), True),
        (("properties", "price"), True),
        (("properties", "quantity"), True),
        (("properties", "currency"), False),
        (("properties", "order_id"), True),
        (("properties", "revenue"), True),
        (("context", "page", "path"), True),
        (("context", "userAgent"), True),
    ],
    "identify": [(("userId",), True)],
}

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def visit(prefix: str) -> list[dict[str, Any]]:
    """The hand-made visit of one visitor; ids carry the visitor's prefix."""
    anon, user = f"{prefix}-anon", f"{prefix}-user"
    page_context = {
        "page": {"path": "/", "url": "https://shop.example/", "title": "Home", "referrer": "https://www.google.com/"},
        "campaign": {"source": "google", "medium": "cpc", "name": "brand"},
        "userAgent": UA,
        "device": {"type": "desktop"},
        "os": {"name": "Windows"},
    }

    def track(n: int, at: str, name: str, properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": f"{prefix}-e{n}",
            "type": "track",
            "event": name,
            "timestamp": f"2026-03-02T{at}.000Z",
            "anonymousId": anon,
            "context": {"page": {"path": "/p/sku-1"}, "userAgent": UA},
            "properties": properties,
        }

    product = {"product_id": "P1", "sku": "SKU-1", "price": 19.99, "quantity": 1, "currency": "usd"}
    return [
        {
            "messageId": f"{prefix}-e1",
            "type": "page",
            "name": "Home",
            "timestamp": "2026-03-02T10:00:00.000Z",
            "anonymousId": anon,
            "userId": None,
            "context": page_context,
            "properties": {},
        },
        track(2, "10:01:00", "Viewed Product", dict(product)),
        track(3, "10:02:00", "Added Product", dict(product)),
        track(4, "10:03:00", "Started Checkout", {"order_id": f"{prefix}-O1", "revenue": 19.99, "currency": "usd"}),
        track(5, "10:04:00", "Payment Info Entered", {"order_id": f"{prefix}-O1"}),
        {
            "messageId": f"{prefix}-e6",
            "type": "identify",
            "timestamp": "2026-03-02T10:04:30.000Z",
            "anonymousId": anon,
            "userId": user,
            "traits": {"email": "someone@example.com"},
        },
        track(
            7,
            "10:05:00",
            "Completed Order",
            {
                "order_id": f"{prefix}-O1",
                "revenue": 19.99,
                "currency": "usd",
                "products": [{"product_id": "P1", "sku": "SKU-1", "price": 19.99, "quantity": 1}],
            },
        ),
    ]


def _set(message: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = message
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is ABSENT:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def _get(message: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = message
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return ABSENT
        node = node[key]
    return node


def other_case(value: str, style: int) -> str:
    return [value.upper(), value.title(), value.swapcase(), f"  {value.upper()} "][style % 4]


@st.composite
def drawn_visitor(draw: st.DrawFn, n: int) -> tuple[list[dict], list[dict], list[str]]:
    """(the drawn messages, their canonical twins, a description of each change)."""
    drawn, canonical, changes = visit(f"v{n}"), visit(f"c{n}"), []
    for index, message in enumerate(drawn):
        kind = message["type"]
        for path, case_sensitive in OPTIONAL_FIELDS[kind]:
            clean = _get(message, path)
            if clean is ABSENT:
                continue
            choices: list[str] = ["keep", "blank"] + ([] if case_sensitive or not isinstance(clean, str) else ["case"])
            choice = draw(st.sampled_from(choices))
            if choice == "blank":
                blank = draw(st.sampled_from(BLANKS))
                _set(message, path, blank)
                _set(canonical[index], path, ABSENT)
                changes.append(
                    f"{message['messageId']} {'.'.join(path)}={blank if blank is not ABSENT else '<absent>'!r}"
                )
            elif choice == "case":
                spelled = other_case(clean, draw(st.integers(0, 3)))
                _set(message, path, spelled)
                changes.append(f"{message['messageId']} {'.'.join(path)}={spelled!r}")
        # event names and message types: any case and spacing counts
        if kind == "track" and draw(st.booleans()):
            name = message["event"]
            spelled = draw(st.sampled_from([name.upper(), name.lower(), name.replace(" ", "_"), f"  {name}  "]))
            message["event"] = spelled
            changes.append(f"{message['messageId']} event={spelled!r}")
        if draw(st.booleans()):
            message["type"] = message["type"].title()
            changes.append(f"{message['messageId']} type={message['type']!r}")
    return drawn, canonical, changes


def fixed_visitor(prefix: str, referrer: str, utm: str) -> list[dict]:
    messages = visit(prefix)
    messages[0]["context"]["page"]["referrer"] = referrer
    messages[0]["context"]["campaign"] = {"source": utm, "medium": utm, "name": utm}
    return messages


def write_jsonl(path: Path, messages: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(m) + "\n" for m in messages))


def rows(con: duckdb.DuckDBPyConnection, sql: str, prefix: str) -> list[tuple]:
    """Rows of one visitor with its prefix taken out of every text value, so twins compare equal."""
    out = []
    for row in con.execute(sql, [f"{prefix}-%", f"{prefix}-%"]).fetchall():
        out.append(tuple(v.replace(f"{prefix}-", "X-") if isinstance(v, str) else v for v in row))
    return sorted(out, key=repr)


SESSIONS_SQL = """
    select * exclude (session_id) from marts.fct_sessions
    where anonymous_id like ? or person_id like ?
"""
EVENTS_SQL = """
    select message_id, event_at, event_type, event_name, page_path, product_id, order_id,
           seconds_to_next_event, person_id, utm_source, utm_medium, utm_campaign, device_type
    from marts.fct_events where message_id like ? or person_id like ?
"""
REJECTS_SQL = "select reason, json_extract_string(record, '$.messageId') as message_id from raw.events_rejected where json_extract_string(record, '$.messageId') like ? or json_extract_string(record, '$.messageId') like ?"

VISITORS = int(os.environ.get("ECOM_VARIANT_VISITORS", "40"))


def build(workdir: Path, visitors: list[tuple[list[dict], list[dict], list[str]]]) -> Path:
    if workdir.exists():
        shutil.rmtree(workdir)
    landing = workdir / "landing"
    write_jsonl(landing / "events" / "drawn.jsonl", [m for drawn, _, _ in visitors for m in drawn])
    write_jsonl(landing / "events" / "canonical.jsonl", [m for _, canonical, _ in visitors for m in canonical])
    write_jsonl(
        landing / "events" / "fixed.jsonl",
        fixed_visitor("empty", "", "") + fixed_visitor("blank", "   ", "\t") + visit("clean"),
    )
    warehouse = workdir / "warehouse.duckdb"
    con = load.connect(warehouse)
    try:
        load.load_landing(con, landing, list(SOURCES), lambda _message: None)
    finally:
        con.close()
    # models and seeds only: the marts compared here, without the other marts and the tests (other tests run them)
    run_dbt(
        [
            "build",
            "--quiet",
            "--select",
            "+fct_sessions",
            "+fct_events",
            "--resource-type",
            "model",
            "--resource-type",
            "seed",
        ],
        workdir / "target",
        {"ECOM_WAREHOUSE": str(warehouse)},
    )
    return warehouse


@settings(
    max_examples=int(os.environ.get("ECOM_HYPOTHESIS_EXAMPLES", "2")),
    deadline=None,
    # each example is one warehouse build: shrinking would rebuild it many times; the
    # failure message lists every drawn change of the failing visitor instead
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(st.tuples(*(drawn_visitor(n) for n in range(VISITORS))))
def test_blank_and_case_variants_give_the_canonical_marts(tmp_path: Path, visitors: tuple) -> None:
    warehouse = build(tmp_path / "variants", list(visitors))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the clean and the fixed copies, by hand (module docstring)
        clean = con.execute(
            """select count(*), min(duration_seconds), min(page_views), min(events), bool_and(is_converted),
                      min(funnel_step_reached), min(time_to_convert_seconds), min(source), min(medium),
                      min(campaign), min(channel_group), min(person_id)
               from marts.fct_sessions where anonymous_id = 'clean-anon'"""
        ).fetchone()
        assert clean == (1, 300, 1, 7, True, 6, 300, "google", "cpc", "brand", "Paid Search", "clean-user")
        for prefix in ("empty", "blank"):
            fixed = con.execute(
                "select source, medium, campaign, channel_group from marts.fct_sessions where anonymous_id = ?",
                [f"{prefix}-anon"],
            ).fetchall()
            assert fixed == [("(direct)", "(none)", "(not set)", "Direct")], prefix
        names = con.execute(
            "select event_name, count(*) from marts.fct_events where message_id like 'clean-%' group by 1 order by 1"
        ).fetchall()
        assert names == [
            ("Checkout Started", 1),
            ("Order Completed", 1),
            ("Page Viewed", 1),
            ("Payment Info Entered", 1),
            ("Product Added", 1),
            ("Product Viewed", 1),
            ("identify", 1),
        ]
        # every drawn visitor equals its canonical twin
        for n, (_, _, changes) in enumerate(visitors):
            for sql in (SESSIONS_SQL, EVENTS_SQL, REJECTS_SQL):
                assert rows(con, sql, f"v{n}") == rows(con, sql, f"c{n}"), f"visitor v{n}, changes: {changes}"
