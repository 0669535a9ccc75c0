"""Independent computations over the landed files, in plain Python.

Nothing here imports the pipeline: these functions read the landing folder
the way the contract (landing-contract.md) and the definitions
(kpi-definitions.md) describe it, so the marts can be checked against them.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

IGNORED_SUFFIXES = (".tmp", ".partial", ".inprogress")
BOT_PATTERNS = ("bot", "crawler", "spider", "python-requests", "curl/", "headlesschrome")
EVENT_TYPES = {"track", "page", "screen", "identify", "group", "alias"}


def landed_files(landing: Path, source: str) -> list[Path]:
    root = landing / source
    files = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if not path.is_file() or any(p.startswith((".", "_")) for p in parts) or path.name.endswith(IGNORED_SUFFIXES):
            continue
        files.append(path)
    # The contract's order: relative path, byte-wise.
    return sorted(files, key=lambda p: p.relative_to(landing).as_posix().encode())


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode()


def read_rows(path: Path) -> list[dict[str, str]]:
    text = read_text(path)
    name = path.name.removesuffix(".gz")
    if name.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text)))
    return [{k: "" if v is None else str(v) for k, v in json.loads(line).items()} for line in text.splitlines() if line]


def parse_ts(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def latest_rows(landing: Path, source: str, key: tuple[str, ...], valid) -> dict[tuple, dict[str, str]]:
    """Newest valid version per key: later file (byte-wise path), then later line."""
    latest: dict[tuple, dict[str, str]] = {}
    for path in landed_files(landing, source):
        for row in read_rows(path):
            if valid(row):
                latest[tuple(row[k] for k in key)] = row
    return latest


def fx_rates(seed_csv: Path) -> dict[str, list[tuple[dt.date, float]]]:
    """USD per unit of each currency per ECB day, from the seed's ECB shape (a column of units per 1 EUR
    per currency): (USD per EUR) / (currency per EUR); EUR is the USD column itself, USD is 1.
    (The landed fx_rates/ source is not read: the generated shop lands none.)"""
    rates: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    with seed_csv.open() as handle:
        for row in csv.DictReader(handle):
            day = dt.date.fromisoformat(row.pop("rate_date"))
            usd_per_eur = float(row["usd"])
            rates["EUR"].append((day, usd_per_eur))
            for code, per_eur in row.items():
                if per_eur:
                    rates[code.upper()].append((day, 1.0 if code == "usd" else usd_per_eur / float(per_eur)))
    for series in rates.values():
        series.sort()
    return rates


def rate_on(rates: dict, currency: str, day: dt.date) -> float:
    """Nearest earlier (or same) date's rate."""
    earlier = [rate for rate_day, rate in rates[currency] if rate_day <= day]
    if not earlier:
        raise KeyError(f"no {currency} rate on or before {day}")
    return earlier[-1]


def cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def is_decimal(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def valid_order(row: dict[str, str]) -> bool:
    """An orders/ row the contract accepts: its required fields present and its time readable."""
    return bool(
        row.get("order_id")
        and row.get("customer_id")
        and parse_ts(row.get("created_at", ""))
        and row.get("status")
        and row.get("currency")
    )


def valid_order_item(row: dict[str, str]) -> bool:
    """An order_items/ row the contract accepts: keys, product, a non-negative quantity, a price."""
    return bool(
        row.get("order_id")
        and row.get("line_id")
        and row.get("product_id")
        and row.get("quantity", "").lstrip("+").isdigit()
        and is_decimal(row.get("unit_price", ""))
    )


def orders_truth(landing: Path, seed_csv: Path) -> dict[str, dict]:
    """Per order: date (UTC), customer, cancelled flag, GMV and net sales in USD, to the cent."""
    orders = latest_rows(landing, "orders", ("order_id",), valid_order)
    items = latest_rows(landing, "order_items", ("order_id", "line_id"), valid_order_item)
    lines: dict[str, list[dict]] = defaultdict(list)
    for (order_id, _), row in items.items():
        lines[order_id].append(row)
    rates = fx_rates(seed_csv)
    truth = {}
    for (order_id,), row in orders.items():
        ordered_at = parse_ts(row["created_at"])
        gmv_local = sum(Decimal(r["quantity"]) * Decimal(r["unit_price"]) for r in lines[order_id])
        if row.get("discount_total"):
            discount_local = Decimal(row["discount_total"])
        else:
            discount_local = sum(Decimal(r.get("discount") or "0") for r in lines[order_id])
        rate = rate_on(rates, row["currency"], ordered_at.date()) / rate_on(rates, "USD", ordered_at.date())
        gmv = cents(float(gmv_local) * rate)
        discount = cents(float(discount_local) * rate)
        truth[order_id] = {
            "order_date": ordered_at.date(),
            "ordered_at": ordered_at,
            "customer_id": row["customer_id"],
            "is_cancelled": row["status"] == "cancelled",
            "units": sum(int(r["quantity"]) for r in lines[order_id]),
            "gmv": gmv,
            "net_sales": gmv - discount,
        }
    return truth


def valid_events(landing: Path, loaded_after: dt.datetime) -> dict[str, dict]:
    """Accepted events per messageId (first delivery by receivedAt), per the contract's rules."""
    events: dict[str, dict] = {}
    for path in landed_files(landing, "events"):
        for line in read_text(path).splitlines():
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(msg, dict):
                continue
            ts = parse_ts(msg.get("timestamp") or "")
            if (
                not msg.get("messageId")
                or msg.get("type") not in EVENT_TYPES
                or ts is None
                or not (msg.get("anonymousId") or msg.get("userId"))
                or (msg["type"] == "track" and not msg.get("event"))
                or ts > loaded_after + dt.timedelta(days=1)
            ):
                continue
            received = parse_ts(msg.get("receivedAt") or "") or dt.datetime.max
            known = events.get(msg["messageId"])
            if known is None or received < known["received_at"]:
                events[msg["messageId"]] = {"ts": ts, "received_at": received, "msg": msg}
    return events


FUNNEL_STEPS = ("Product Viewed", "Product Added", "Checkout Started", "Payment Info Entered", "Order Completed")


def identities(events: dict[str, dict]) -> dict[str, str]:
    """anonymousId -> userId; the latest link (by time, then messageId) wins; alias links previousId."""
    links: dict[str, tuple[dt.datetime, str, str]] = {}
    for message_id, event in events.items():
        msg = event["msg"]
        pairs = []
        if msg.get("anonymousId") and msg.get("userId"):
            pairs.append((msg["anonymousId"], msg["userId"]))
        if msg["type"] == "alias" and msg.get("previousId") and msg.get("userId"):
            pairs.append((msg["previousId"], msg["userId"]))
        for anonymous_id, user_id in pairs:
            key = (event["ts"], message_id)
            if anonymous_id not in links or key > links[anonymous_id][:2]:
                links[anonymous_id] = (event["ts"], message_id, user_id)
    return {anonymous_id: link[2] for anonymous_id, link in links.items()}


def funnel_step(events: list[dict]) -> int:
    """Strict order: step k is the first event of step k at or after step k-1's time."""
    ordered = sorted(events, key=lambda e: e["ts"])
    reached, at = 1, ordered[0]["ts"]
    for step in FUNNEL_STEPS:
        times = [e["ts"] for e in ordered if e["msg"].get("event") == step and e["ts"] >= at]
        if not times:
            break
        reached, at = reached + 1, min(times)
    return reached


def sessions_truth(events: dict[str, dict], timeout_minutes: int = 30) -> list[dict]:
    """Sessions per anonymousId (a gap over the timeout starts a new one; exactly the timeout stays),
    with server-side events joined to the person's session open at their time."""
    timeout = dt.timedelta(minutes=timeout_minutes)
    person_of = identities(events)
    by_visitor: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    server: list[str] = []
    for message_id, event in events.items():
        anonymous_id = event["msg"].get("anonymousId")
        if anonymous_id:
            by_visitor[anonymous_id].append((event["ts"], message_id))
        elif event["msg"].get("userId"):
            server.append(message_id)
    sessions: list[list[str]] = []
    for visitor_events in by_visitor.values():
        visitor_events.sort()
        current: list[str] = []
        previous: dt.datetime | None = None
        for ts, message_id in visitor_events:
            if previous is not None and ts - previous > timeout:
                sessions.append(current)
                current = []
            current.append(message_id)
            previous = ts
        sessions.append(current)
    # person -> [(client event time, session index)]
    client_times: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for index, message_ids in enumerate(sessions):
        anonymous_id = events[message_ids[0]]["msg"]["anonymousId"]
        person = person_of.get(anonymous_id, anonymous_id)
        client_times[person].extend((events[m]["ts"], index) for m in message_ids)
    joined: dict[int, list[str]] = defaultdict(list)
    for message_id in server:
        ts = events[message_id]["ts"]
        open_ones = [
            (t, i) for t, i in client_times.get(events[message_id]["msg"]["userId"], []) if t <= ts <= t + timeout
        ]
        if open_ones:
            joined[max(open_ones)[1]].append(message_id)
    result = []
    for index, message_ids in enumerate(sessions):
        client = [events[m] for m in message_ids]
        all_events = client + [events[m] for m in joined[index]]
        first = client[0]["msg"]
        times = [e["ts"] for e in all_events]
        duration = (max(times) - min(times)).total_seconds()
        converted = any(e["msg"].get("event") == "Order Completed" for e in all_events)
        user_agent = ((first.get("context") or {}).get("userAgent") or "").lower()
        page_views = sum(e["msg"]["type"] in ("page", "screen") for e in all_events)
        tracks = sum(e["msg"]["type"] == "track" for e in all_events)
        campaign = (first.get("context") or {}).get("campaign") or {}
        utm = None
        if campaign.get("source"):
            utm = tuple(
                (campaign.get(field) or "").strip().lower() or "(not set)" for field in ("source", "medium", "name")
            )
        pages = sorted(
            (e["ts"], m) for m, e in zip(message_ids, client, strict=True) if e["msg"]["type"] in ("page", "screen")
        )
        landing_msg = events[pages[0][1]]["msg"] if pages else None
        result.append(
            {
                "session_id": hashlib.md5(f"{first['anonymousId']}|{message_ids[0]}".encode()).hexdigest(),
                "message_ids": message_ids + joined[index],
                # the path of the first page or screen view (context.page.path, else properties.path)
                "landing_page": landing_msg
                and (
                    ((landing_msg.get("context") or {}).get("page") or {}).get("path")
                    or (landing_msg.get("properties") or {}).get("path")
                ),
                "session_start_at": min(times),
                "utm": utm,
                "session_date": client[0]["ts"].date(),
                "is_bot": any(p in user_agent for p in BOT_PATTERNS),
                "is_converted": converted,
                "is_engaged": duration >= 10 or page_views >= 2 or converted,
                "duration_seconds": duration,
                "person_id": person_of.get(first["anonymousId"], first["anonymousId"]),
                "has_checkout_started": any(e["msg"].get("event") == "Checkout Started" for e in all_events),
                "is_bounce": page_views == 1 and tracks == 0,
                "has_product_added": any(e["msg"].get("event") == "Product Added" for e in all_events),
                "funnel_step": funnel_step(all_events),
                "events": len(all_events),
            }
        )
    return result


def spend_truth(landing: Path, seed_csv: Path) -> dict[dt.date, Decimal]:
    """Marketing spend per day in USD: newest valid row per (date, platform, campaign), converted per row."""
    rows = latest_rows(
        landing,
        "marketing_spend",
        ("date", "platform", "campaign"),
        lambda r: (
            r.get("date")
            and r.get("platform")
            and r.get("campaign")
            and is_decimal(r.get("spend", ""))
            and Decimal(r["spend"]) >= 0
        ),
    )
    rates = fx_rates(seed_csv)
    per_day: dict[dt.date, Decimal] = defaultdict(Decimal)
    for row in rows.values():
        day = dt.date.fromisoformat(row["date"])
        rate = rate_on(rates, row.get("currency") or "USD", day) / rate_on(rates, "USD", day)
        per_day[day] += cents(float(Decimal(row["spend"])) * rate)
    return dict(per_day)


def refunds_truth(landing: Path, seed_csv: Path, orders: dict[str, dict]) -> dict[str, dict]:
    """Per refund: date (UTC) and amount in USD at the refund date's rate, in the refunded order's currency.

    Refunds of cancelled orders are left out (they never counted as sales).
    """
    refunds = latest_rows(
        landing,
        "refunds",
        ("refund_id",),
        lambda r: (
            r.get("refund_id")
            and r.get("order_id")
            and parse_ts(r.get("created_at", ""))
            and is_decimal(r.get("amount", ""))
            and Decimal(r["amount"]) >= 0
            and (not r.get("quantity") or r["quantity"].lstrip("+").isdigit())
        ),
    )
    currencies = {
        order_id: row["currency"]
        for (order_id,), row in latest_rows(landing, "orders", ("order_id",), lambda r: r.get("order_id")).items()
    }
    rates = fx_rates(seed_csv)
    truth = {}
    for (refund_id,), row in refunds.items():
        order = orders.get(row["order_id"])
        if order is not None and order["is_cancelled"]:
            continue
        refunded_at = parse_ts(row["created_at"])
        rate = rate_on(rates, currencies[row["order_id"]], refunded_at.date()) / rate_on(
            rates, "USD", refunded_at.date()
        )
        truth[refund_id] = {
            "refund_date": refunded_at.date(),
            "amount": cents(float(Decimal(row["amount"])) * rate),
            "quantity": int(row["quantity"] or 0),
        }
    return truth


def spend_by_campaign(landing: Path, seed_csv: Path) -> dict[tuple[str, str, str], Decimal]:
    """Spend in USD per (utm_source, utm_medium, utm_campaign), lower-cased and trimmed; rows without
    UTM columns use (platform, "(not set)", campaign), per kpi-definitions.md."""
    rows = latest_rows(
        landing,
        "marketing_spend",
        ("date", "platform", "campaign"),
        lambda r: r.get("date") and r.get("platform") and r.get("campaign") and is_decimal(r.get("spend", "")),
    )
    rates = fx_rates(seed_csv)
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows.values():
        day = dt.date.fromisoformat(row["date"])
        rate = rate_on(rates, row.get("currency") or "USD", day) / rate_on(rates, "USD", day)
        key = (
            (row.get("utm_source") or row["platform"]).strip().lower(),
            (row.get("utm_medium") or "(not set)").strip().lower(),
            (row.get("utm_campaign") or row["campaign"]).strip().lower(),
        )
        totals[key] += cents(float(Decimal(row["spend"])) * rate)
    return dict(totals)


def last_touch_sales_by_campaign(
    orders: dict[str, dict], sessions: list[dict], lookback_days: int = 30
) -> dict[tuple[str, str, str], Decimal]:
    """Net sales per UTM (source, medium, campaign) credited by the last-touch model: each
    non-cancelled order's latest non-bot session of its customer that starts within the
    lookback before the order (ties: the larger session id)."""
    by_person: dict[str, list[dict]] = defaultdict(list)
    for session in sessions:
        if not session["is_bot"]:
            by_person[session["person_id"]].append(session)
    credited: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    window = dt.timedelta(days=lookback_days)
    for order in orders.values():
        if order["is_cancelled"]:
            continue
        touches = [
            s
            for s in by_person.get(order["customer_id"], [])
            if order["ordered_at"] - window <= s["session_start_at"] <= order["ordered_at"]
        ]
        if touches:
            last = max(touches, key=lambda s: (s["session_start_at"], s["session_id"]))
            if last["utm"]:
                credited[last["utm"]] += order["net_sales"]
    return dict(credited)


def nps_by_month(landing: Path) -> dict[dt.date, float]:
    """NPS per month of responded_at (UTC): % promoters (9-10) - % detractors (0-6)."""
    rows = latest_rows(
        landing,
        "nps_responses",
        ("response_id",),
        lambda r: (
            r.get("response_id")
            and r.get("score", "").lstrip("+").isdigit()
            and 0 <= int(r["score"]) <= 10
            and parse_ts(r.get("responded_at", ""))
        ),
    )
    scores: dict[dt.date, list[int]] = defaultdict(list)
    for row in rows.values():
        scores[parse_ts(row["responded_at"]).date().replace(day=1)].append(int(row["score"]))
    return {
        month: 100.0 * (sum(s >= 9 for s in values) - sum(s <= 6 for s in values)) / len(values)
        for month, values in scores.items()
    }
