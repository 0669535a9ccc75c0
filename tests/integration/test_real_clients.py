"""A shop built only from events sent by real tracking libraries, every figure derived by hand.

Visits are sent through Segment's Python library (`segment-analytics-python`,
the shop's web server forwarding each page's context, as a server-side
integration does) and RudderStack's (`rudder-sdk-python`, the iOS app's
backend) to tests/collector.py on 127.0.0.1, which lands what they send as
events/segment.jsonl and events/rudder.jsonl with `receivedAt`. The orders and
order items are landed as CSV; the real pipeline (`make run`'s command) runs
once on that folder.

Days are relative to the run, D1 = two days before today (UTC), D2 = yesterday:
the collector stamps `receivedAt` with its own clock, and an event received
more than ecom__max_event_lateness_days (3) after its timestamp would be left
out of sessions. Every event lies in D1 10:00 .. D2 11:04 UTC, so it is 13 h to
< 3 days old when received. Reporting time zone UTC, currency USD (no rates).

Calls, in the order sent (time UTC; sent with the offset shown when not UTC):

  lib  id     time (UTC)         visitor / user    call
  seg  s1-01  D1 10:00:00       seg-anon-1         page / referrer "" (direct), sent as 11:00:00.000+01:00
  seg  s1-02  D1 10:00:30       seg-anon-1         track Product Viewed P1
  seg  s1-03  D1 10:01:00       seg-anon-1         track Product Added P1 x2
  seg  s1-04  D1 10:02:00       seg-anon-1         track Checkout Started
  seg  s1-05  D1 10:03:00       seg-anon-1         track Payment Info Entered
  seg  s1-06  D1 10:03:30       seg-anon-1 + C1    identify (login at checkout)
  seg  s1-07  D1 10:04:00       C1 only            track Order Completed O-1001, from the server (no anonymousId)
  seg  s1-08  D1 14:00:00       seg-anon-1         page /blog/kettles, referrer https://www.google.com/
  rud  r2-01  D2 02:30:00.25    rs-anon-2 (iOS)    page /, referrer "", UTM newsletter/email/dec,
                                                   sent as D1 21:30:00.250000-05:00 (local date D1, UTC date D2)
  rud  r2-02  D2 02:30:40.5     rs-anon-2          track Product Viewed P2
  rud  r2-03  D2 02:31:15       rs-anon-2          track "Added Product" (spec v1)
  rud  r2-04  D2 02:31:30       rs-anon-2 + C2     identify
  rud  r2-05  D2 02:32:00       rs-anon-2          track Checkout Started (no Payment Info Entered follows)
  rud  r2-06  D2 02:33:00.75    rs-anon-2 + C2     track "order completed" (lower case) O-1002
  rud  r2-07  D2 09:00:00.5     rs-anon-2          page /, referrer "", no UTM
  seg  s3-01  D2 11:00:00       seg-anon-3, userId ""  page /p/sku-3, referrer google, UTM Google/CPC/Brand
  seg  s3-02  D2 11:00:20       seg-anon-3         track "Viewed Product" (spec v1) P3
  seg  s3-03  D2 11:01:00       seg-anon-3         track " Product Added " (spaces)
  seg  s3-04  D2 11:02:00       seg-anon-3         track "Started Checkout" (spec v1)
  seg  s3-05  D2 11:03:00       seg-anon-3         track Payment Info Entered
  seg  s3-06  D2 11:04:00       seg-anon-3         track "Completed Order" (spec v1) O-1003

Sessions (timeout 30 min; a server-side event joins its person's open session):

  session  visitor     date  start..end         events  views  channel / source / medium / campaign       step  conv
  S1       seg-anon-1  D1    10:00:00..10:04:00  7       1     Direct / (direct) / (none) / (not set)       6     yes
     ("" referrer, no UTM: direct; s1-07 joins S1: C1's open session, 30 s after s1-06)
  S2       seg-anon-1  D1    14:00:00            1       1     Organic Search / google / organic / (not set) 1    no
  S3       rs-anon-2   D2    02:30:00.25..02:33:00.75  6   1     Email / newsletter / email / dec            4     yes
     (Added Product = Product Added; order completed = Order Completed; no Payment Info Entered:
      the funnel stops at step 4, Checkout Started, but the session converts)
  S5       rs-anon-2   D2    09:00:00.5          1       1     Direct / (direct) / (none) / (not set)       1     no
  S4       seg-anon-3  D2    11:00:00..11:04:00  6       1     Paid Search / google / cpc / brand           6     yes
     (UTM wins over the referrer; values lowercased; the spec-v1 names and " Product Added " count as v2)

Persons after stitching: seg-anon-1 -> C1 (s1-06), rs-anon-2 -> C2 (r2-04, r2-06);
seg-anon-3 sends userId "" (a logged-out visitor): that is no user, so its person is seg-anon-3.
S1, S2 and the server-side s1-07 belong to C1; S3 and S5 to C2; S4 to seg-anon-3.
Bounces: S2 and S5 (one page view, no track). Mobile (device.type ios): S3 and S5.

Orders (orders/ CSV, USD): O-1001 C1 D1 10:04:05, 2 x 25.00 = 50.00 -> S1;
O-1002 C2 D2 02:33:05, 1 x 80.00 -> S3; O-1003 C3 D2 11:04:05, 1 x 30.00 -> S4.

kpi_daily
  day  sessions  persons  bounced  converted  conversion  cart  checkout  mobile  orders  net_sales
  D1   2         1 (C1)   1 (S2)   1 (S1)     1/2         1     1         0       1       50.00
  D2   3         2        1 (S5)   2 (S3, S4) 2/3         2     2         2       2       110.00
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient

from tests.collector import Collector
from tests.conftest import PipelineRun, run_pipeline

UTC = dt.UTC
WEB_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0 Safari/537.36"
MAC_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
)
IOS_UA = "Kettleshop/3.2 (iPhone; iOS 18.1; Scale/3.00)"
IOS_CONTEXT = {
    "userAgent": IOS_UA,
    "device": {"type": "ios", "model": "iPhone16,2", "manufacturer": "Apple"},
    "os": {"name": "iOS", "version": "18.1"},
    "app": {"name": "Kettleshop", "version": "3.2"},
}
SEGMENT_KEY = "segment-write-key"
RUDDER_KEY = "rudder-write-key"
GOOGLE = "https://www.google.com/"


def page_context(path: str, title: str, referrer: str, user_agent: str, campaign: dict | None = None) -> dict:
    """What analytics.js sends and a server app forwards: document.referrer is "" for a direct visit."""
    context: dict[str, Any] = {
        "page": {
            "path": path,
            "url": "https://shop.example" + path,
            "title": title,
            "referrer": referrer,
            "search": "",
        },
        "userAgent": user_agent,
        "ip": "203.0.113.7",
        "locale": "en-US",
    }
    if campaign is not None:
        context["campaign"] = campaign
    return context


def product(product_id: str, price: float, quantity: int) -> dict:
    return {"product_id": product_id, "sku": product_id.lower(), "name": f"Kettle {product_id}", "price": price,
            "quantity": quantity}  # fmt: skip


def send_segment(client: SegmentClient, d1: dt.date, d2: dt.date) -> None:
    """The web shop's server: visitor 1 on D1 (with the server-side order), visitor 3 on D2."""

    def at(day: dt.date, clock: str, tz: dt.tzinfo = UTC) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=tz)

    a1, a3 = "seg-anon-1", "seg-anon-3"
    plus_one = dt.timezone(dt.timedelta(hours=1))
    kettle = product("P1", 25.0, 2)
    client.page(anonymous_id=a1, name="Home", message_id="s1-01", timestamp=at(d1, "11:00:00", plus_one),
                context=page_context("/", "Kettleshop", "", WEB_UA))  # fmt: skip
    context = page_context("/p/p1", "Kettle P1", "", WEB_UA)
    client.track(anonymous_id=a1, event="Product Viewed", properties=product("P1", 25.0, 1),
                 context=context, timestamp=at(d1, "10:00:30"), message_id="s1-02")  # fmt: skip
    client.track(anonymous_id=a1, event="Product Added", properties={**kettle, "cart_id": "cart-1"},
                 context=context, timestamp=at(d1, "10:01:00"), message_id="s1-03")  # fmt: skip
    context = page_context("/checkout", "Checkout", "", WEB_UA)
    client.track(anonymous_id=a1, event="Checkout Started",
                 properties={"order_id": "O-1001", "value": 50.0, "currency": "USD", "products": [kettle]},
                 context=context, timestamp=at(d1, "10:02:00"), message_id="s1-04")  # fmt: skip
    client.track(anonymous_id=a1, event="Payment Info Entered", properties={"order_id": "O-1001", "step": 2},
                 context=context, timestamp=at(d1, "10:03:00"), message_id="s1-05")  # fmt: skip
    client.identify(anonymous_id=a1, user_id="C1", traits={"email": "c1@example.com", "first_name": "Ada"},
                    context=context, timestamp=at(d1, "10:03:30"), message_id="s1-06")  # fmt: skip
    # the order system confirms the payment: server-side, the customer id only
    client.track(user_id="C1", event="Order Completed", message_id="s1-07", timestamp=at(d1, "10:04:00"),
                 properties={"order_id": "O-1001", "total": 50.0, "revenue": 50.0, "shipping": 0.0, "tax": 0.0,
                             "discount": 0.0, "currency": "USD", "products": [kettle]})  # fmt: skip
    client.page(anonymous_id=a1, name="Choosing a kettle", message_id="s1-08", timestamp=at(d1, "14:00:00"),
                context=page_context("/blog/kettles", "Choosing a kettle", GOOGLE, WEB_UA))  # fmt: skip

    # an older shop's code: spec-v1 names and a stray space; userId "" for a logged-out visitor
    campaign = {"source": "Google", "medium": "CPC", "name": "Brand", "term": "", "content": ""}
    context = page_context("/p/sku-3", "Kettle P3", GOOGLE, MAC_UA, campaign)
    teapot = product("P3", 30.0, 1)
    client.page(anonymous_id=a3, user_id="", name="Kettle P3", context=context, timestamp=at(d2, "11:00:00"),
                message_id="s3-01")  # fmt: skip
    for message_id, clock, event, properties in [
        ("s3-02", "11:00:20", "Viewed Product", teapot),
        ("s3-03", "11:01:00", " Product Added ", teapot),
        ("s3-04", "11:02:00", "Started Checkout", {"order_id": "O-1003", "value": 30.0, "products": [teapot]}),
        ("s3-05", "11:03:00", "Payment Info Entered", {"order_id": "O-1003"}),
        ("s3-06", "11:04:00", "Completed Order",
         {"order_id": "O-1003", "total": 30.0, "revenue": 30.0, "currency": "USD", "products": [teapot]}),
    ]:  # fmt: skip
        client.track(anonymous_id=a3, event=event, properties=properties, context=context,
                     timestamp=at(d2, clock), message_id=message_id)  # fmt: skip


def send_rudder(client: RudderClient, d1: dt.date, d2: dt.date) -> None:
    """The iOS app's backend: visitor 2, one session late on D1 New York time (D2 UTC), one on D2."""
    a2 = "rs-anon-2"
    new_york = dt.timezone(dt.timedelta(hours=-5))
    newsletter = {"source": "newsletter", "medium": "email", "name": "dec"}

    def at(clock: str) -> dt.datetime:
        return dt.datetime.combine(d2, dt.time.fromisoformat(clock), tzinfo=UTC)

    def context(path: str, title: str) -> dict:
        return {**IOS_CONTEXT, "page": {"path": path, "url": "https://shop.example" + path, "title": title,
                                        "referrer": ""}}  # fmt: skip

    kettle = product("P2", 80.0, 1)
    client.page(anonymous_id=a2, name="Home", message_id="r2-01",
                timestamp=dt.datetime.combine(d1, dt.time(21, 30, 0, 250000), tzinfo=new_york),
                context={**context("/", "Kettleshop"), "campaign": newsletter})  # fmt: skip
    client.track(anonymous_id=a2, event="Product Viewed", properties=kettle, context=context("/p/p2", "Kettle P2"),
                 timestamp=at("02:30:40.500000"), message_id="r2-02")  # fmt: skip
    client.track(anonymous_id=a2, event="Added Product", properties=kettle, context=context("/p/p2", "Kettle P2"),
                 timestamp=at("02:31:15"), message_id="r2-03")  # fmt: skip
    client.identify(anonymous_id=a2, user_id="C2", traits={"email": "c2@example.com"},
                    context=context("/login", "Log in"), timestamp=at("02:31:30"), message_id="r2-04")  # fmt: skip
    client.track(anonymous_id=a2, event="Checkout Started", context=context("/checkout", "Checkout"),
                 properties={"order_id": "O-1002", "value": 80.0, "currency": "USD", "products": [kettle]},
                 timestamp=at("02:32:00"), message_id="r2-05")  # fmt: skip
    client.track(anonymous_id=a2, user_id="C2", event="order completed", context=context("/thanks", "Thank you"),
                 properties={"order_id": "O-1002", "total": 80.0, "revenue": 80.0, "currency": "USD",
                             "products": [kettle]},
                 timestamp=at("02:33:00.750000"), message_id="r2-06")  # fmt: skip
    client.page(anonymous_id=a2, name="Home", context=context("/", "Kettleshop"), timestamp=at("09:00:00.500000"),
                message_id="r2-07")  # fmt: skip


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def land_orders(landing: Path, d1: dt.date, d2: dt.date) -> None:
    def order(order_id: str, customer: str, created: str, total: str) -> dict:
        return {"order_id": order_id, "customer_id": customer, "created_at": created, "status": "paid",
                "currency": "USD", "subtotal": total, "discount_total": "0.00", "shipping_total": "0",
                "tax_total": "0", "total": total, "payment_method": "credit_card", "source_name": "web"}  # fmt: skip

    write_csv(
        landing / "orders" / f"{d2}.csv",
        [
            order("O-1001", "C1", f"{d1}T10:04:05Z", "50.00"),
            {**order("O-1002", "C2", f"{d2}T02:33:05Z", "80.00"), "source_name": "ios"},
            order("O-1003", "C3", f"{d2}T11:04:05Z", "30.00"),
        ],
    )
    write_csv(
        landing / "order_items" / f"{d2}.csv",
        [
            {"order_id": "O-1001", "line_id": "O-1001-1", "product_id": "P1", "quantity": 2, "unit_price": "25.00",
             "discount": "0"},
            {"order_id": "O-1002", "line_id": "O-1002-1", "product_id": "P2", "quantity": 1, "unit_price": "80.00",
             "discount": "0"},
            {"order_id": "O-1003", "line_id": "O-1003-1", "product_id": "P3", "quantity": 1, "unit_price": "30.00",
             "discount": "0"},
        ],
    )  # fmt: skip


class Shop:
    def __init__(self, run: PipelineRun, d1: dt.date, d2: dt.date, segment: Collector, rudder: Collector) -> None:
        self.run, self.d1, self.d2 = run, d1, d2
        self.segment, self.rudder = segment, rudder
        self.con = duckdb.connect(str(run.warehouse), read_only=True)

    def rows(self, sql: str) -> list[dict]:
        cursor = self.con.execute(sql)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def at(self, day: int, clock: str) -> dt.datetime:
        """A naive UTC timestamp as the warehouse stores it, on D1 or D2."""
        return dt.datetime.combine(self.d1 if day == 1 else self.d2, dt.time.fromisoformat(clock))

    def sessions(self) -> dict[str, dict]:
        """fct_sessions keyed by the labels of the docstring (visitor and start time)."""
        labels = {
            ("seg-anon-1", self.at(1, "10:00:00")): "S1",
            ("seg-anon-1", self.at(1, "14:00:00")): "S2",
            ("rs-anon-2", self.at(2, "02:30:00.250000")): "S3",
            ("seg-anon-3", self.at(2, "11:00:00")): "S4",
            ("rs-anon-2", self.at(2, "09:00:00.500000")): "S5",
        }
        found = self.rows("select * from marts.fct_sessions")
        by_label = {labels.get((s["anonymous_id"], s["session_start_at"]), repr(s)): s for s in found}
        return by_label


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    workdir = tmp_path_factory.mktemp("real_clients")
    landing = workdir / "landing"
    today = dt.datetime.now(UTC).date()
    d1, d2 = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    errors: list[Exception] = []
    with pytest.MonkeyPatch.context() as env:
        # the libraries use requests, which honours *_PROXY: keep 127.0.0.1 off any proxy
        env.setenv("NO_PROXY", "127.0.0.1")
        env.setenv("no_proxy", "127.0.0.1")
        with Collector(landing, "segment", write_key=SEGMENT_KEY, max_seconds=60) as segment:
            # sync_mode: each call is one POST (/v1/batch with a one-message batch), no thread, no retry
            client = SegmentClient(write_key=SEGMENT_KEY, host=segment.url, sync_mode=True, gzip=True,
                                   max_retries=0, timeout=5)  # fmt: skip
            send_segment(client, d1, d2)
        with Collector(landing, "rudder", write_key=RUDDER_KEY, max_seconds=60) as rudder:
            # no sync_mode here: the consumer thread batches, as in production; no retries
            client = RudderClient(write_key=RUDDER_KEY, host=rudder.url, max_retries=0, timeout=5,
                                  upload_interval=0.05, on_error=lambda error, batch: errors.append(error))  # fmt: skip
            send_rudder(client, d1, d2)
            client.shutdown()
    assert errors == [] and segment.errors == [] and rudder.errors == []
    land_orders(landing, d1, d2)
    run = run_pipeline(workdir, landing)
    assert run.result.returncode == 0, run.result.stdout[-3000:] + run.result.stderr[-5000:]
    built = Shop(run, d1, d2, segment, rudder)
    yield built
    built.con.close()


def landed(path: Path) -> dict[str, dict]:
    return {m["messageId"]: m for m in map(json.loads, path.read_text().splitlines())}


def test_the_collector_lands_what_the_libraries_send(shop: Shop) -> None:
    segment, rudder = landed(shop.segment.path), landed(shop.rudder.path)
    assert len(segment) == 14 and len(rudder) == 7
    # the Segment library posts each call on its own (sync_mode), gzip-encoded; RudderStack's gzips by default
    # and its consumer thread batches (how many per batch depends on timing)
    assert {r["path"] for r in shop.segment.requests + shop.rudder.requests} == {"/v1/batch"}
    assert {r["content_encoding"] for r in shop.segment.requests + shop.rudder.requests} == {"gzip"}
    assert [len(r["payload"]["batch"]) for r in shop.segment.requests] == [1] * 14
    assert sum(len(r["payload"]["batch"]) for r in shop.rudder.requests) == 7
    iso_z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    for message in [*segment.values(), *rudder.values()]:
        assert iso_z.match(message["receivedAt"]), message
        assert "sentAt" in message and "originalTimestamp" not in message
        assert message["context"]["library"]["name"] == "analytics-python"
    # Segment: milliseconds and the offset given; RudderStack: Python's isoformat, microseconds only when non-zero
    assert segment["s1-01"]["timestamp"] == f"{shop.d1}T11:00:00.000+01:00"
    assert rudder["r2-01"]["timestamp"] == f"{shop.d1}T21:30:00.250000-05:00"
    assert rudder["r2-03"]["timestamp"] == f"{shop.d2}T02:31:15+00:00"
    # an absent id is sent as null; the server-side order has no anonymousId at all but null
    assert segment["s1-07"]["anonymousId"] is None and segment["s1-01"]["userId"] is None
    assert segment["s3-01"]["userId"] == ""
    assert segment["s1-01"]["context"]["page"]["referrer"] == ""
    # RudderStack adds channel "server" and integrations {"All": true}; Segment sends integrations {}
    assert {m["channel"] for m in rudder.values()} == {"server"} and all("channel" not in m for m in segment.values())
    assert rudder["r2-01"]["integrations"] == {"All": True} and segment["s1-01"]["integrations"] == {}
    # identify: Segment puts traits at the top, RudderStack in context.traits
    assert segment["s1-06"]["traits"]["email"] == "c1@example.com"
    assert "traits" not in rudder["r2-04"] and rudder["r2-04"]["context"]["traits"]["email"] == "c2@example.com"
    assert segment["s1-07"]["properties"]["products"][0]["quantity"] == 2


def test_no_event_is_rejected(shop: Shop) -> None:
    assert shop.rows("select reason, _file, _line, record from raw.events_rejected") == []
    # 14 + 7 messages, each one event
    assert shop.rows("select count(*) as n from marts.fct_events") == [{"n": 21}]


def test_sessions_per_visitor_and_day(shop: Shop) -> None:
    counts = Counter((s["anonymous_id"], s["session_date"]) for s in shop.rows("select * from marts.fct_sessions"))
    # r2-01 is sent as D1 21:30 New York time: 02:30 UTC on D2, its session date
    assert counts == {
        ("seg-anon-1", shop.d1): 2,
        ("rs-anon-2", shop.d2): 2,
        ("seg-anon-3", shop.d2): 1,
    }
    sessions = shop.sessions()
    assert sorted(sessions) == ["S1", "S2", "S3", "S4", "S5"]
    # s1-07 (server-side, C1 only) joins S1 and ends it; S3 ends at r2-06
    assert (sessions["S1"]["events"], sessions["S1"]["duration_seconds"]) == (7, 240)
    assert sessions["S1"]["session_end_at"] == shop.at(1, "10:04:00")
    assert (sessions["S3"]["events"], sessions["S3"]["session_end_at"]) == (6, shop.at(2, "02:33:00.750000"))
    assert [sessions[s]["is_bounce"] for s in ("S1", "S2", "S3", "S4", "S5")] == [False, True, False, False, True]
    assert [(sessions[s]["device_category"], sessions[s]["platform"]) for s in ("S1", "S3", "S4", "S5")] == [
        ("desktop", "web"),
        ("mobile", "ios"),
        ("desktop", "web"),
        ("mobile", "ios"),
    ]
    assert not any(s["is_bot"] for s in sessions.values())


def test_channels_per_session(shop: Shop) -> None:
    sessions = shop.sessions()
    got = {k: (s["channel_group"], s["source"], s["medium"], s["campaign"]) for k, s in sessions.items()}
    assert got == {
        # referrer "" (document.referrer of a direct visit) is no referrer
        "S1": ("Direct", "(direct)", "(none)", "(not set)"),
        "S2": ("Organic Search", "google", "organic", "(not set)"),
        # UTM on the first event wins over the "" referrer
        "S3": ("Email", "newsletter", "email", "dec"),
        # UTM wins over the google referrer, lowercased
        "S4": ("Paid Search", "google", "cpc", "brand"),
        "S5": ("Direct", "(direct)", "(none)", "(not set)"),
    }
    assert [sessions[s]["landing_page"] for s in ("S1", "S2", "S3", "S4")] == ["/", "/blog/kettles", "/", "/p/sku-3"]


def test_person_after_stitching(shop: Shop) -> None:
    sessions = shop.sessions()
    # seg-anon-3's userId "" is no user: its person is itself
    assert {k: s["person_id"] for k, s in sessions.items()} == {
        "S1": "C1",
        "S2": "C1",
        "S3": "C2",
        "S4": "seg-anon-3",
        "S5": "C2",
    }
    [server_side] = shop.rows("select * from marts.fct_events where message_id = 's1-07'")
    assert (server_side["person_id"], server_side["anonymous_id"], server_side["is_server_side"]) == ("C1", None, True)
    assert server_side["session_id"] == sessions["S1"]["session_id"]
    [page] = shop.rows("select user_id from marts.fct_events where message_id = 's3-01'")
    assert page["user_id"] is None


def test_funnel_and_conversion_per_session(shop: Shop) -> None:
    sessions = shop.sessions()
    got = {
        k: (s["funnel_step_reached"], s["is_converted"], s["has_product_added"], s["has_checkout_started"])
        for k, s in sessions.items()
    }
    assert got == {
        "S1": (6, True, True, True),
        "S2": (1, False, False, False),
        # Added Product -> Product Added, order completed -> Order Completed; no Payment Info Entered: step 4
        "S3": (4, True, True, True),
        # Viewed Product, " Product Added ", Started Checkout, Payment Info Entered, Completed Order
        "S4": (6, True, True, True),
        "S5": (1, False, False, False),
    }
    # time to convert: S1 10:00:00 -> 10:04:00 (server-side), S3 02:30:00.25 -> 02:33:00.75, S4 -> 11:04:00
    assert sessions["S1"]["time_to_convert_seconds"] == 240
    assert sessions["S3"]["time_to_convert_seconds"] == pytest.approx(180.5)
    assert sessions["S4"]["time_to_convert_seconds"] == 240


def test_spec_v1_and_variant_names_count_as_v2(shop: Shop) -> None:
    names = {r["message_id"]: r["event_name"] for r in shop.rows("select message_id, event_name from marts.fct_events")}
    assert {m: names[m] for m in ("r2-03", "r2-06", "s3-02", "s3-03", "s3-04", "s3-06")} == {
        "r2-03": "Product Added",
        "r2-06": "Order Completed",
        "s3-02": "Product Viewed",
        "s3-03": "Product Added",
        "s3-04": "Checkout Started",
        "s3-06": "Order Completed",
    }
    assert names["s1-01"] == "Page Viewed" and names["s1-07"] == "Order Completed"


def test_orders_link_to_their_sessions(shop: Shop) -> None:
    sessions = shop.sessions()
    orders = {r["order_id"]: r for r in shop.rows("select * from marts.fct_orders")}
    assert {o: orders[o]["session_id"] for o in orders} == {
        "O-1001": sessions["S1"]["session_id"],
        "O-1002": sessions["S3"]["session_id"],
        "O-1003": sessions["S4"]["session_id"],
    }


def test_kpi_daily(shop: Shop) -> None:
    days = {r["date_day"]: r for r in shop.rows("select * from marts.kpi_daily order by date_day")}
    assert list(days) == [shop.d1, shop.d2]
    pick: Callable[[dict], tuple] = lambda r: (  # noqa: E731
        r["sessions"], r["persons"], r["bounced_sessions"], r["converted_sessions"], r["cart_sessions"],
        r["checkout_sessions"], r["mobile_sessions"], r["orders"], r["net_sales"],
    )  # fmt: skip
    assert pick(days[shop.d1]) == (2, 1, 1, 1, 1, 1, 0, 1, Decimal("50.00"))
    assert pick(days[shop.d2]) == (3, 2, 1, 2, 2, 2, 2, 2, Decimal("110.00"))
    assert days[shop.d1]["conversion_rate"] == pytest.approx(1 / 2)
    assert days[shop.d2]["conversion_rate"] == pytest.approx(2 / 3)
    assert days[shop.d2]["mobile_traffic_share"] == pytest.approx(2 / 3)
