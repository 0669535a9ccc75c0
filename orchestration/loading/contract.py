"""The landing contract (shared/design/landing-contract.md) as data.

Each shop source lists its columns: name, type and whether it is required.
The loader turns these into set-based checks; raw tables keep the text as it
landed, and staging casts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EVENT_SOURCE = "events"
EVENT_EXTENSIONS = (".jsonl", ".json", ".ndjson")
TABLE_EXTENSIONS = (".csv", ".parquet", ".jsonl", ".json", ".ndjson")
IGNORED_PREFIXES = (".", "_")
IGNORED_SUFFIXES = (".tmp", ".partial", ".inprogress")
EVENT_TYPES = ("track", "page", "screen", "identify", "group", "alias")


def blank_as_null(expression: str) -> str:
    """SQL for a landed text value trimmed of spaces, tabs and line breaks, with "" and whitespace-only
    as null: real senders write "no value" as "" (a browser's empty referrer, an exporter's empty cell),
    and every model must see one kind of absent. Staging's macro blank_as_null is the same rule."""
    # trim() only where an edge is a space or a control character: most values have neither, and
    # trimming every cell of every event cost ~4 s per million events (32 text fields each)
    trimmed = f"nullif(trim({expression}, ' ' || chr(9) || chr(10) || chr(13)), '')"
    return (
        f"case when {expression} = '' then null "
        f"when ascii({expression}) <= 32 or ascii(right({expression}, 1)) <= 32 then {trimmed} "
        f"else {expression} end"
    )


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "varchar"  # varchar, timestamp, date, decimal, double, integer, boolean
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False  # a number that must be > 0 (a rate)
    pattern: str | None = None  # a regular expression the whole (trimmed) text must match
    int32: bool = False  # an integer staging casts to a 32-bit integer: a larger one would stop the build


@dataclass(frozen=True)
class TableContract:
    source: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)


def _c(
    name: str,
    type_: str = "varchar",
    required: bool = False,
    minimum=None,
    maximum=None,
    positive: bool = False,
    pattern: str | None = None,
    int32: bool = False,
) -> Column:
    return Column(name, type_, required, minimum, maximum, positive, pattern, int32)


CURRENCY_CODE = "[A-Za-z]{3}"


TABLES: dict[str, TableContract] = {
    t.source: t
    for t in (
        TableContract(
            "orders",
            ("order_id",),
            (
                _c("order_id", required=True),
                _c("customer_id", required=True),
                _c("created_at", "timestamp", True),
                _c("status", required=True),
                _c("currency", required=True),
                _c("subtotal", "decimal"),
                _c("discount_total", "decimal"),
                _c("shipping_total", "decimal"),
                _c("tax_total", "decimal"),
                _c("total", "decimal"),
                _c("payment_method"),
                _c("source_name"),
                _c("shipping_country"),
                _c("email"),
            ),
        ),
        TableContract(
            "order_items",
            ("order_id", "line_id"),
            (
                _c("order_id", required=True),
                _c("line_id", required=True),
                _c("product_id", required=True),
                _c("quantity", "integer", True, minimum=0, int32=True),
                _c("unit_price", "decimal", True, minimum=0),
                _c("discount", "decimal", minimum=0),
            ),
        ),
        TableContract(
            "customers",
            ("customer_id",),
            (
                _c("customer_id", required=True),
                _c("created_at", "timestamp", True),
                _c("email"),
                _c("first_name"),
                _c("last_name"),
                _c("country"),
                _c("accepts_marketing", "boolean"),
                _c("sms_opt_in", "boolean"),
                _c("push_opt_in", "boolean"),
            ),
        ),
        TableContract(
            "products",
            ("product_id",),
            (
                _c("product_id", required=True),
                _c("sku"),
                _c("title"),
                _c("category"),
                _c("brand"),
                _c("price", "decimal", minimum=0),
                _c("unit_cost", "decimal", minimum=0),
            ),
        ),
        TableContract(
            "refunds",
            ("refund_id",),
            (
                _c("refund_id", required=True),
                _c("order_id", required=True),
                _c("created_at", "timestamp", True),
                _c("amount", "decimal", True, minimum=0),
                _c("product_id"),
                _c("quantity", "integer", minimum=0, int32=True),
                _c("reason"),
            ),
        ),
        TableContract(
            "shipments",
            ("shipment_id",),
            (
                _c("shipment_id", required=True),
                _c("order_id", required=True),
                _c("carrier"),
                _c("shipped_at", "timestamp"),
                _c("delivered_at", "timestamp"),
                _c("weight_kg", "decimal", minimum=0),
                _c("distance_km", "decimal", minimum=0),
            ),
        ),
        TableContract(
            "inventory",
            ("snapshot_date", "product_id"),
            (
                _c("snapshot_date", "date", True),
                _c("product_id", required=True),
                _c("on_hand", "integer", True),
            ),
        ),
        TableContract(
            "marketing_spend",
            ("date", "platform", "campaign"),
            (
                _c("date", "date", True),
                _c("platform", required=True),
                _c("campaign", required=True),
                _c("spend", "decimal", True, minimum=0),
                _c("currency"),
                _c("impressions", "integer", minimum=0),
                _c("clicks", "integer", minimum=0),
                _c("utm_source"),
                _c("utm_medium"),
                _c("utm_campaign"),
                _c("avg_position", "decimal"),
            ),
        ),
        TableContract(
            "support_tickets",
            ("ticket_id",),
            (
                _c("ticket_id", required=True),
                _c("created_at", "timestamp", True),
                _c("category", required=True),
                _c("customer_id"),
                _c("order_id"),
                _c("status"),
            ),
        ),
        TableContract(
            "reviews",
            ("review_id",),
            (
                _c("review_id", required=True),
                _c("product_id", required=True),
                _c("rating", "integer", True, minimum=1, maximum=5),
                _c("created_at", "timestamp", True),
                _c("customer_id"),
            ),
        ),
        TableContract(
            "nps_responses",
            ("response_id",),
            (
                _c("response_id", required=True),
                _c("score", "integer", True, minimum=0, maximum=10),
                _c("responded_at", "timestamp", True),
                _c("customer_id"),
            ),
        ),
        TableContract(
            "social_posts",
            ("date", "platform", "post_id"),
            (
                _c("date", "date", True),
                _c("platform", required=True),
                _c("post_id", required=True),
                _c("impressions", "integer", minimum=0),
                _c("reach", "integer", minimum=0),
                _c("engagements", "integer", minimum=0),
                _c("clicks", "integer", minimum=0),
                _c("followers", "integer", minimum=0),
            ),
        ),
        TableContract(
            "fx_rates",
            ("rate_date", "currency"),
            (
                _c("rate_date", "date", True),
                _c("currency", required=True, pattern=CURRENCY_CODE),
                # 1 unit of currency = rate units of quote_currency on rate_date
                _c("rate", "double", True, positive=True),
                _c("quote_currency", required=True, pattern=CURRENCY_CODE),
            ),
        ),
    )
}

SOURCES: tuple[str, ...] = (EVENT_SOURCE, *TABLES)
