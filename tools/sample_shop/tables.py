"""The shop's tables (everything but events), each with the day of the file it lands in.

Every query returns `file_day` first and then the landed columns already
formatted as text, so the writer does no formatting and the bytes depend only
on the SQL.
"""

from __future__ import annotations

from tools.sample_shop import reference as ref
from tools.sample_shop.build import ShopParams

TS = "'%Y-%m-%dT%H:%M:%SZ'"

# Extra bad rows per source (contract faults for the quarantine), per 1,000 rows.
TABLE_FAULT_RATE = 3


def table_queries(p: ShopParams) -> dict[str, str]:
    end_ts = f"(timestamp '{p.end_date.isoformat()}' + interval 1 day)"
    start = p.start_date.isoformat()
    return {
        # First version of every order on its creation day, the final status
        # (fulfilled or cancelled) restated two or three days later.
        "orders": f"""
            with versions as (
                select cast(created_at as date) as file_day, initial_status as status, *
                from orders
                union all
                select cast(restated_at as date) as file_day, final_status as status, *
                from orders
                where restated_at < {end_ts}
            )
            select
                file_day,
                order_id,
                customer_id,
                strftime(created_at, {TS}) as created_at,
                status,
                currency,
                printf('%.2f', subtotal) as subtotal,
                case when omit_discount_total then '' else printf('%.2f', discount_total) end as discount_total,
                printf('%.2f', shipping_total) as shipping_total,
                printf('%.2f', tax_total) as tax_total,
                printf('%.2f', total) as total,
                payment_method,
                source_name,
                country as shipping_country,
                'customer' || v::varchar || '@mail.example' as email
            from versions
            order by file_day, created_at, order_id, status = initial_status desc
        """,
        "order_items": """
            select
                cast(orders.created_at as date) as file_day,
                order_items.order_id,
                order_items.line_id,
                order_items.product_id,
                order_items.quantity::varchar as quantity,
                printf('%.2f', order_items.unit_price) as unit_price,
                printf('%.2f', order_items.discount) as discount
            from order_items
            inner join orders on orders.order_id = order_items.order_id
            order by file_day, orders.created_at, order_items.order_id, order_items.line_no
        """,
        # Registered visitors signed up before the window; guests become
        # customers with their first order; both land on their creation day.
        "customers": f"""
            with first_orders as (
                select v, min(created_at) as first_order_at
                from orders
                group by v
            ),
            customer_base as (
                select
                    visitors.v,
                    visitors.customer_id,
                    visitors.country,
                    coalesce(
                        case when visitors.is_registered then timestamp '{start}'
                            - to_days(1 + floor(400 * u('signup', visitors.v))::integer)
                            + to_seconds(floor(86400 * u('signupt', visitors.v))::bigint) end,
                        first_orders.first_order_at
                    ) as created_at
                from visitors
                left join first_orders on first_orders.v = visitors.v
                where visitors.is_registered or first_orders.v is not null
            )
            select
                greatest(cast(created_at as date), date '{start}') as file_day,
                customer_id,
                strftime(created_at, {TS}) as created_at,
                'customer' || v::varchar || '@mail.example' as email,
                pick({list(ref.FIRST_NAMES)}, u('fn', v)) as first_name,
                pick({list(ref.LAST_NAMES)}, u('ln', v)) as last_name,
                country,
                (u('mkt', v) < 0.55)::varchar as accepts_marketing,
                (u('sms', v) < 0.2)::varchar as sms_opt_in,
                (u('push', v) < 0.35)::varchar as push_opt_in
            from customer_base
            order by file_day, created_at, customer_id
        """,
        "refunds": f"""
            with refunded as (
                select
                    orders.order_id,
                    orders.created_at + to_days(6 + floor(20 * u('rfd', orders.order_id))::integer) as refunded_at,
                    order_items.product_id,
                    order_items.unit_price - round(order_items.discount / order_items.quantity, 2) as amount
                from orders
                inner join order_items on order_items.order_id = orders.order_id and order_items.line_no = 1
                where orders.final_status = 'fulfilled' and u('refund', orders.order_id) < 0.08
            )
            select
                cast(refunded_at as date) as file_day,
                're_' || substr(order_id, 5) as refund_id,
                order_id,
                strftime(refunded_at, {TS}) as created_at,
                printf('%.2f', amount) as amount,
                product_id,
                '1' as quantity,
                pick({list(ref.REFUND_REASONS)}, u('reason', order_id)) as reason
            from refunded
            where refunded_at < {end_ts}
            order by file_day, refunded_at, refund_id
        """,
        "shipments": f"""
            with shipped as (
                select
                    orders.order_id,
                    orders.restated_at,
                    orders.created_at + to_seconds((6 * 3600 + floor(34 * 3600 * u('ship', orders.order_id)))::bigint)
                        as shipped_at,
                    u('deliv', orders.order_id) as x_deliv,
                    orders.units
                from orders
                where orders.final_status = 'fulfilled' and orders.restated_at < {end_ts}
            )
            select
                cast(restated_at as date) as file_day,
                'sh_' || substr(order_id, 5) as shipment_id,
                order_id,
                pick({list(ref.CARRIERS)}, u('carrier', order_id)) as carrier,
                strftime(shipped_at, {TS}) as shipped_at,
                case when x_deliv < 0.03 then ''
                     else strftime(shipped_at + to_seconds((20 * 3600 + floor(120 * 3600 * x_deliv))::bigint), {TS})
                end as delivered_at,
                printf('%.2f', 0.4 + 0.9 * units) as weight_kg,
                (20 + floor(1500 * u('dist', order_id)))::bigint::varchar as distance_km
            from shipped
            order by file_day, shipped_at, shipment_id
        """,
        "inventory": f"""
            select
                date '{start}' + day::integer as file_day,
                strftime(date '{start}' + day::integer, '%Y-%m-%d') as snapshot_date,
                product_id,
                case when u2('stockout', product_idx, day // 5) < 0.04 then '0'
                     else (3 + floor(150 * u2('onhand', product_idx, day)))::bigint::varchar end as on_hand
            from products
            cross join range({p.days}) t(day)
            order by file_day, product_id
        """,
        "marketing_spend": f"""
            select
                date '{start}' + day::integer as file_day,
                strftime(date '{start}' + day::integer, '%Y-%m-%d') as date,
                platform,
                campaign,
                printf('%.2f', daily_spend * (0.7 + 0.6 * u2('spend', campaign, day))) as spend,
                coalesce(currency, 'USD') as currency,
                floor(daily_spend * (0.7 + 0.6 * u2('spend', campaign, day)) / cpm * 1000)::bigint::varchar
                    as impressions,
                floor(daily_spend * (0.7 + 0.6 * u2('spend', campaign, day)) / cpm * 1000 * ctr
                      * (0.8 + 0.4 * u2('ctr', campaign, day)))::bigint::varchar as clicks,
                coalesce(utm_source, '') as utm_source,
                coalesce(utm_medium, '') as utm_medium,
                coalesce(utm_campaign, '') as utm_campaign,
                case when utm_medium = 'cpc' then printf('%.1f', 1 + 2 * u2('pos', campaign, day)) else '' end
                    as avg_position
            from campaigns
            cross join range({p.days}) t(day)
            order by file_day, platform, campaign
        """,
        "support_tickets": f"""
            with ticketed as (
                select orders.*, orders.created_at
                    + to_seconds(floor(86400 * (1 + 9 * u('tkt', orders.order_id)))::bigint) as ticket_at
                from orders
                where u('ticket', orders.order_id) < 0.09
            )
            select
                cast(ticket_at as date) as file_day,
                'tk_' || substr(order_id, 5) as ticket_id,
                strftime(ticket_at, {TS}) as created_at,
                pick({list(ref.TICKET_CATEGORIES)}, u('tcat', order_id)) as category,
                customer_id,
                order_id,
                case when u('tstat', order_id) < 0.8 then 'solved' else 'open' end as status
            from ticketed
            where ticket_at < {end_ts}
            order by file_day, ticket_at, ticket_id
        """,
        "reviews": f"""
            with reviewed as (
                select order_items.*, orders.customer_id, orders.created_at
                    + to_days(5 + floor(20 * u2('rvt', order_items.order_id, order_items.line_no))::integer) as review_at
                from order_items
                inner join orders on orders.order_id = order_items.order_id
                where orders.final_status = 'fulfilled' and u2('review', order_items.order_id, order_items.line_no) < 0.12
            )
            select
                cast(review_at as date) as file_day,
                'rv_' || substr(line_id, 5) as review_id,
                product_id,
                case when u('rating', line_id) < 0.05 then '1' when u('rating', line_id) < 0.1 then '2'
                     when u('rating', line_id) < 0.22 then '3' when u('rating', line_id) < 0.5 then '4'
                     else '5' end as rating,
                strftime(review_at, {TS}) as created_at,
                customer_id
            from reviewed
            where review_at < {end_ts}
            order by file_day, review_at, review_id
        """,
        "nps_responses": f"""
            with responded as (
                select orders.order_id, orders.customer_id, orders.created_at
                    + to_days(10 + floor(10 * u('npst', orders.order_id))::integer) as responded_at
                from orders
                where u('nps', orders.order_id) < 0.15
            )
            select
                cast(responded_at as date) as file_day,
                'nps_' || substr(order_id, 5) as response_id,
                (least(10, floor(11 * pow(u('score', order_id), 0.45))))::bigint::varchar as score,
                strftime(responded_at, {TS}) as responded_at,
                customer_id
            from responded
            where responded_at < {end_ts}
            order by file_day, responded_at, response_id
        """,
        "social_posts": f"""
            with posts as (
                select
                    day,
                    platform,
                    n,
                    1000 + floor(20000 * pow(u2('impr', platform, day * 10 + n), 2)) as impressions
                from range({p.days}) t(day)
                cross join (select unnest({list(ref.SOCIAL_PLATFORMS)}) as platform)
                cross join range(3) k(n)
                where n < floor(3 * u2('posts', platform, day))
            )
            select
                date '{start}' + day::integer as file_day,
                strftime(date '{start}' + day::integer, '%Y-%m-%d') as date,
                platform,
                platform || '-' || strftime(date '{start}' + day::integer, '%Y%m%d') || '-' || n::varchar as post_id,
                impressions::bigint::varchar as impressions,
                floor(impressions * 0.7)::bigint::varchar as reach,
                floor(impressions * (0.01 + 0.06 * u2('eng', platform, day * 10 + n)))::bigint::varchar as engagements,
                floor(impressions * 0.004 * u2('clk', platform, day * 10 + n))::bigint::varchar as clicks,
                (5000 + day * 12 + floor(30 * u(platform, day)))::bigint::varchar as followers
            from posts
            order by file_day, platform, post_id
        """,
    }


# Extra rows that break the contract, appended to the file of a real row:
# (source, reason the loader should give, column to spoil, replacement text).
TABLE_FAULTS: tuple[tuple[str, str, str, str], ...] = (
    ("orders", "missing order_id", "order_id", ""),
    ("orders", "unparseable created_at", "created_at", "31/02/2026 25:61"),
    ("order_items", "negative quantity", "quantity", "-1"),
    ("order_items", "unparseable unit_price", "unit_price", "12,99 EUR"),
    ("refunds", "unparseable amount", "amount", "n/a"),
    ("marketing_spend", "unparseable spend", "spend", "$12"),
    ("reviews", "rating out of range", "rating", "7"),
)


def products_query() -> str:
    return """
        select product_id, sku, title, category, brand, price, unit_cost
        from products
        order by product_id
    """


def fault_rows_query(source: str, column: str, replacement: str, columns: list[str], base_sql: str) -> str:
    """Spoiled copies of a small, hash-chosen share of a source's rows."""
    select_list = ", ".join(
        f"'{replacement}' as {c}"
        if c == column
        else (f"{c} || '-bad'" if c in ("line_id", "refund_id", "review_id") else c)
        for c in columns
    )
    row_key = "concat_ws('|', " + ", ".join(columns) + ")"
    return f"""
        select file_day, {select_list}
        from ({base_sql}) as src
        qualify row_number() over (order by hash('tfault-{column}', {row_key}))
            <= greatest(1, count(*) over () * {TABLE_FAULT_RATE} // 1000)
        order by file_day, {row_key}
    """
