"""Builds the sample shop as DuckDB tables, set-based, no Python loop over rows.

Randomness comes from `hash(seed, stream, key)`, not from `random()`: a hash
of the row key gives the same value whatever the thread count or the order in
which DuckDB happens to process rows, so the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from tools.sample_shop import reference as ref


@dataclass(frozen=True)
class ShopParams:
    seed: int
    days: int
    visitors: int
    end_date: dt.date
    products: int = 120

    @property
    def start_date(self) -> dt.date:
        return self.end_date - dt.timedelta(days=self.days - 1)


def _values(rows: tuple[tuple, ...]) -> str:
    """Render Python tuples as a SQL VALUES list (reference data only)."""

    def lit(value: object) -> str:
        if value is None:
            return "null"
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        return repr(value)

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def create_reference_tables(con: duckdb.DuckDBPyConnection, p: ShopParams) -> None:
    # u(stream, key...) is a uniform number in [0, 1) that depends only on the
    # seed, the stream name and the key.
    con.execute(f"create or replace macro u(k, i) as (hash({p.seed}, k, i) % 1000003) / 1000003.0")
    con.execute(f"create or replace macro u2(k, i, j) as (hash({p.seed}, k, i, j) % 1000003) / 1000003.0")
    con.execute("create or replace macro pick(lst, x) as lst[1 + least(floor(x * len(lst))::bigint, len(lst) - 1)]")
    con.execute(
        "create or replace macro uuid_of(x) as "
        "substr(md5(x), 1, 8) || '-' || substr(md5(x), 9, 4) || '-4' || substr(md5(x), 14, 3) "
        "|| '-a' || substr(md5(x), 18, 3) || '-' || substr(md5(x), 21, 12)"
    )
    con.execute(
        "create or replace table campaigns (platform varchar, campaign varchar, utm_source varchar, "
        "utm_medium varchar, utm_campaign varchar, daily_spend double, currency varchar, cpm double, "
        f"ctr double, weight integer); insert into campaigns values {_values(ref.CAMPAIGNS)}"
    )
    # Session sources: paid campaigns by weight, then owned channels.
    owned = tuple((s, m, c, w) for s, m, c, w in ref.OWNED_UTMS)
    paid = tuple((c[2], c[3], c[4], c[9]) for c in ref.CAMPAIGNS if c[2] is not None and c[9] > 0)
    con.execute(
        "create or replace table utm_sources (utm_source varchar, utm_medium varchar, "
        f"utm_campaign varchar, weight integer); insert into utm_sources values {_values(paid + owned)}"
    )
    con.execute(
        """
        create or replace table utm_pick as
        select *, sum(weight) over (order by utm_campaign rows unbounded preceding) as cum,
               sum(weight) over () as total
        from utm_sources
        """
    )
    con.execute(
        "create or replace table countries (country varchar, currency varchar, share double, "
        f"price_factor double); insert into countries values {_values(ref.COUNTRIES)}"
    )
    con.execute(
        """
        create or replace table country_pick as
        select *, sum(share) over (order by country rows unbounded preceding) as cum from countries
        """
    )
    con.execute(
        f"""
        create or replace table products as
        select
            'P' || lpad(i::varchar, 4, '0') as product_id,
            'sku-' || lpad(i::varchar, 4, '0') as sku,
            pick({list(ref.BRANDS)}, u('pbrand', i)) || ' ' || pick({list(ref.CATEGORIES)}, u('pcat', i))
                || ' ' || i::varchar as title,
            pick({list(ref.CATEGORIES)}, u('pcat', i)) as category,
            pick({list(ref.BRANDS)}, u('pbrand', i)) as brand,
            round(15 + 160 * u('pprice', i), 0) - 0.01 as price,
            round((round(15 + 160 * u('pprice', i), 0) - 0.01) * (0.35 + 0.2 * u('pcost', i)), 2) as unit_cost,
            i as product_idx
        from range(1, {p.products} + 1) t(i)
        """
    )


def create_visitors_and_sessions(con: duckdb.DuckDBPyConnection, p: ShopParams) -> None:
    n_sessions = p.visitors + p.visitors // 2
    start = p.start_date.isoformat()
    con.execute(
        f"""
        create or replace table visitors as
        with base as (
            select
                v,
                u('plat', v) as x_plat,
                u('dev', v) as x_dev,
                u('bot', v) < 0.02 and u('plat', v) < 0.68 as is_bot,
                u('country', v) as x_country
            from range({p.visitors}) t(v)
        )
        select
            base.v,
            uuid_of('anon-{p.seed}-' || base.v) as anonymous_id,
            'cus_' || lpad(base.v::varchar, 7, '0') as customer_id,
            case when base.x_plat < 0.68 then 'web' when base.x_plat < 0.86 then 'ios' else 'android' end
                as platform,
            base.is_bot,
            not base.is_bot and u('reg', base.v) < 0.22 as is_registered,
            country_pick.country,
            country_pick.currency,
            country_pick.price_factor,
            case
                when base.is_bot then pick({list(ref.BOT_USER_AGENTS)}, u('botua', base.v))
                when base.x_plat < 0.68 then pick({[ua for _, ua in ref.WEB_USER_AGENTS]}, base.x_dev)
                when base.x_plat < 0.86 then 'ShopApp/4.2.0 (' || case when base.x_dev < 0.85 then 'iPhone' else 'iPad' end
                    || '; iOS 18.1; Scale/3.00)'
                else 'ShopApp/4.2.0 (Linux; Android 15; ' || case when base.x_dev < 0.9 then 'Pixel 9' else 'SM-X710' end || ')'
            end as user_agent,
            case
                when base.x_plat < 0.68 then null
                when base.x_plat < 0.86 then case when base.x_dev < 0.85 then 'iPhone17,1' else 'iPad14,5' end
                else case when base.x_dev < 0.9 then 'Pixel 9' else 'SM-X710' end
            end as device_model
        from base
        inner join country_pick
            on base.x_country < country_pick.cum
            and base.x_country >= country_pick.cum - country_pick.share
        """
    )
    con.execute(
        f"""
        create or replace table sessions as
        with base as (
            select
                s,
                case when s < {p.visitors} then s
                     else least(floor({p.visitors} * pow(u('sv', s), 2.5))::bigint, {p.visitors} - 1) end as v
            from range({n_sessions}) t(s)
        ),
        timed as (
            select
                base.s,
                base.v,
                timestamp '{start}'
                    + to_days(floor(u('day', base.s) * {p.days})::integer)
                    + to_seconds(floor(86400 * (0.15 + 0.85 * (u('t1', base.s) + u('t2', base.s)) / 2))::bigint)
                    as started_at,
                u('chan', base.s) as x_chan,
                u('depth', base.s) as x_depth
            from base
        )
        select
            timed.s,
            timed.v,
            visitors.anonymous_id,
            visitors.customer_id,
            visitors.platform,
            visitors.is_bot,
            visitors.is_registered,
            visitors.currency,
            visitors.price_factor,
            visitors.country,
            visitors.user_agent,
            visitors.device_model,
            timed.started_at,
            -- the visitor's first session installs the app
            timed.s < {p.visitors} as is_first_session,
            case
                when visitors.is_bot then 'direct'
                when timed.x_chan < 0.33 then 'direct'
                when timed.x_chan < 0.53 then 'search'
                when timed.x_chan < 0.61 then 'social'
                when timed.x_chan < 0.65 then 'referral'
                when timed.x_chan < 0.67 then 'internal'
                else 'utm'
            end as entry,
            case when visitors.is_bot then 1
                 when timed.x_depth < 0.52 then 1
                 when timed.x_depth < 0.80 then 2
                 when timed.x_depth < 0.91 then 3
                 when timed.x_depth < 0.945 then 4
                 when timed.x_depth < 0.96 then 5
                 -- mobile web converts less often: some would-be buyers stop at payment
                 when visitors.platform = 'web' and visitors.user_agent like '%Mobile%' and u('mobstop', timed.s) < 0.4 then 5
                 else 6
            end as depth,
            1 + floor(3 * u('nviews', timed.s))::integer as n_views,
            floor(3 * u('npages', timed.s))::integer as n_pages,
            1 + floor({p.products} * pow(u('focus', timed.s), 1.6))::integer as focus_product_idx,
            5 + floor(70 * u('gap', timed.s))::integer as gap_seconds,
            u('srvside', timed.s) < 0.3 as is_server_side_order
        from timed
        inner join visitors on timed.v = visitors.v
        """
    )
    con.execute(
        f"""
        create or replace table session_sources as
        select
            sessions.s,
            case when sessions.entry = 'utm' then utm_pick.utm_source end as utm_source,
            case when sessions.entry = 'utm' then utm_pick.utm_medium end as utm_medium,
            case when sessions.entry = 'utm' then utm_pick.utm_campaign end as utm_campaign,
            case sessions.entry
                when 'search' then pick({list(ref.SEARCH_REFERRERS)}, u('ref', sessions.s))
                when 'social' then pick({list(ref.SOCIAL_REFERRERS)}, u('ref', sessions.s))
                when 'referral' then pick({list(ref.OTHER_REFERRERS)}, u('ref', sessions.s))
                when 'internal' then 'https://{ref.SHOP_DOMAIN}/'
                when 'utm' then case utm_pick.utm_source
                    when 'google' then 'https://www.google.com/'
                    when 'bing' then 'https://www.bing.com/'
                    when 'facebook' then 'https://m.facebook.com/'
                    when 'instagram' then 'https://l.instagram.com/'
                    when 'tiktok' then 'https://www.tiktok.com/'
                end
            end as referrer,
            case
                when u('landing', sessions.s) < 0.35 then '/'
                when u('landing', sessions.s) < 0.7 then '/collections/' || products.category
                else '/products/' || products.sku
            end as landing_path
        from sessions
        left join utm_pick
            on sessions.entry = 'utm'
            and floor(u('utm', sessions.s) * utm_pick.total) < utm_pick.cum
            and floor(u('utm', sessions.s) * utm_pick.total) >= utm_pick.cum - utm_pick.weight
        inner join products on products.product_idx = sessions.focus_product_idx
        """
    )


def create_orders(con: duckdb.DuckDBPyConnection, p: ShopParams) -> None:
    """Orders from converting sessions plus point-of-sale orders with no session."""
    end_ts = f"timestamp '{p.end_date.isoformat()}' + interval 1 day"
    con.execute(
        f"""
        create or replace table orders_base as
        with online as (
            select
                'ord_' || lpad(sessions.s::varchar, 8, '0') as order_id,
                sessions.s,
                sessions.v,
                sessions.customer_id,
                sessions.currency,
                sessions.price_factor,
                sessions.country,
                sessions.focus_product_idx,
                sessions.platform as source_name,
                -- the order is placed at the session's Order Completed event
                event_skeleton.event_at as created_at
            from sessions
            inner join event_skeleton
                on event_skeleton.s = sessions.s
                and event_skeleton.event_name = 'Order Completed'
            where sessions.depth = 6
        ),
        pos as (
            select
                'pos_' || lpad(i::varchar, 8, '0') as order_id,
                null::bigint as s,
                visitors.v,
                visitors.customer_id,
                visitors.currency,
                visitors.price_factor,
                visitors.country,
                1 + floor({p.products} * u('posprod', i))::integer as focus_product_idx,
                'pos' as source_name,
                timestamp '{p.start_date.isoformat()}'
                    + to_seconds(floor(u('posts', i) * 86400 * {p.days})::bigint) as created_at
            from range({max(1, p.visitors // 400)}) t(i)
            inner join visitors on visitors.v = floor(u('posv', i) * {p.visitors})::bigint
            where not visitors.is_bot
        ),
        all_orders as (
            select * from online
            union all
            select * from pos
        )
        select
            all_orders.*,
            case when u('pay', all_orders.order_id) < 0.6 then 'credit_card'
                 when u('pay', all_orders.order_id) < 0.85 then 'paypal'
                 when u('pay', all_orders.order_id) < 0.95 then 'apple_pay'
                 else 'gift_card' end as payment_method,
            u('coupon', all_orders.order_id) < 0.18 as has_coupon,
            -- a few exporters leave discount_total empty and only fill line discounts
            u('nodisc', all_orders.order_id) < 0.1 as omit_discount_total,
            case when u('pending', all_orders.order_id) < 0.04 then 'pending' else 'paid' end as initial_status,
            case when u('cancel', all_orders.order_id) < 0.06 then 'cancelled' else 'fulfilled' end as final_status,
            all_orders.created_at + to_days(2 + floor(2 * u('restate', all_orders.order_id))::integer) as restated_at
        from all_orders
        where all_orders.created_at < {end_ts}
        """
    )
    con.execute(
        f"""
        create or replace table order_items as
        select
            orders_base.order_id,
            orders_base.order_id || '-' || line_no::varchar as line_id,
            line_no,
            products.product_id,
            products.sku,
            products.title,
            products.category,
            1 + (u2('qty', orders_base.order_id, line_no) < 0.2)::integer
              + (u2('qty', orders_base.order_id, line_no) < 0.05)::integer as quantity,
            round(products.price * orders_base.price_factor, 2) as unit_price,
            orders_base.has_coupon
        from orders_base
        cross join range(1, 4) t(line_no)
        inner join products
            on products.product_idx = case when line_no = 1 then orders_base.focus_product_idx
                else 1 + floor({p.products} * u2('lineprod', orders_base.order_id, line_no))::integer end
        where line_no = 1
           or (line_no = 2 and u('lines', orders_base.order_id) < 0.3)
           or (line_no = 3 and u('lines', orders_base.order_id) < 0.1)
        """
    )
    con.execute(
        """
        create or replace table order_items as
        select *,
            case when has_coupon then round(quantity * unit_price * 0.1, 2) else 0 end as discount
        from order_items
        """
    )
    con.execute(
        """
        create or replace table orders as
        with sums as (
            select order_id, sum(quantity * unit_price) as subtotal, sum(discount) as discount,
                   sum(quantity) as units
            from order_items
            group by order_id
        )
        select
            orders_base.*,
            round(sums.subtotal, 2) as subtotal,
            round(sums.discount, 2) as discount_total,
            case when sums.subtotal - sums.discount >= 75 then 0 else 5.99 end as shipping_total,
            case when orders_base.country in ('US', 'CA') then round((sums.subtotal - sums.discount) * 0.08, 2)
                 else 0 end as tax_total,
            sums.units
        from orders_base
        inner join sums on sums.order_id = orders_base.order_id
        """
    )
    con.execute(
        """
        create or replace table orders as
        select *, round(subtotal - discount_total + shipping_total + tax_total, 2) as total
        from orders
        """
    )


# (seq, message type, event name, minimum funnel depth, repeated by, only for)
# The funnel depth of a session decides how far down these steps it goes.
EVENT_STEPS: tuple[tuple, ...] = (
    (0, "track", "Application Installed", 1, "one", "first_app_session"),
    (1, "track", "Application Opened", 1, "one", "app"),
    (2, "identify", None, 1, "one", "registered"),
    (10, "page", None, 1, "one", None),
    (20, "page", None, 2, "pages", None),
    (30, "track", "Product List Viewed", 2, "one", None),
    (40, "page", None, 2, "views", None),
    (41, "track", "Product Viewed", 2, "views", None),
    (50, "track", "Product Added", 3, "one", None),
    (51, "page", None, 3, "one", None),
    (52, "track", "Cart Viewed", 3, "one", None),
    (60, "identify", None, 4, "one", "guest"),
    (61, "track", "Checkout Started", 4, "one", None),
    (62, "page", None, 4, "one", None),
    (70, "track", "Payment Info Entered", 5, "one", None),
    (80, "track", "Order Completed", 6, "one", None),
)


def create_event_skeleton(con: duckdb.DuckDBPyConnection, p: ShopParams) -> None:
    """One row per event with its time, before any JSON is rendered."""
    con.execute(
        "create or replace table event_steps (seq integer, msg_type varchar, event_name varchar, "
        f"min_depth integer, repeat_by varchar, only_for varchar); insert into event_steps values {_values(EVENT_STEPS)}"
    )
    con.execute(
        f"""
        create or replace table event_skeleton as
        with expanded as (
            select
                sessions.s,
                event_steps.seq,
                reps.rep,
                event_steps.msg_type,
                event_steps.event_name,
                case when event_steps.repeat_by = 'views' then 400 + reps.rep * 2 + (event_steps.seq - 40)
                     else event_steps.seq * 10 + reps.rep end as ord
            from sessions
            inner join event_steps on event_steps.min_depth <= sessions.depth
            inner join range(1, 4) reps(rep)
                on reps.rep <= case event_steps.repeat_by when 'views' then sessions.n_views
                                                          when 'pages' then sessions.n_pages else 1 end
            where event_steps.only_for is null
               or (event_steps.only_for = 'app' and sessions.platform <> 'web')
               or (event_steps.only_for = 'first_app_session' and sessions.platform <> 'web' and sessions.is_first_session)
               or (event_steps.only_for = 'registered' and sessions.is_registered)
               or (event_steps.only_for = 'guest' and not sessions.is_registered)
        ),
        positioned as (
            select *, row_number() over (partition by s order by ord) - 1 as pos
            from expanded
        )
        select
            positioned.s,
            positioned.ord,
            positioned.seq,
            positioned.rep,
            positioned.msg_type,
            positioned.event_name,
            uuid_of('msg-{p.seed}-' || positioned.s || '-' || positioned.ord) as message_id,
            sessions.started_at
                + to_seconds(positioned.pos * sessions.gap_seconds
                             + floor(u2('jit', positioned.s, positioned.ord) * sessions.gap_seconds * 0.8))
                + to_milliseconds(floor(1000 * u2('ms', positioned.s, positioned.ord))::bigint)
                as event_at
        from positioned
        inner join sessions on sessions.s = positioned.s
        """
    )


def create_order_products_json(con: duckdb.DuckDBPyConnection) -> None:
    """The products list of every order's Order Completed event, built once for all chunks."""
    con.execute(
        """
        create or replace table order_products_json as
        select order_id,
               to_json(list(json_object('product_id', product_id, 'sku', sku, 'price', unit_price,
                                            'quantity', quantity) order by line_no)) as products
        from order_items
        group by order_id
        """
    )


def session_day_chunks(p: ShopParams, sessions_per_chunk: int = 50_000) -> list[tuple[int, int]]:
    """Runs of session start days (offsets from start_date, inclusive) to render one at a time.

    Whole days, so a chunk holds whole sessions (events are rendered per
    session) and every event file of a day before the next chunk is complete;
    about `sessions_per_chunk` sessions each, so the rendered text of a chunk,
    not of the shop, is what has to fit in memory.
    """
    n_sessions = p.visitors + p.visitors // 2
    step = max(1, p.days * sessions_per_chunk // n_sessions)
    return [(first, min(first + step, p.days) - 1) for first in range(0, p.days, step)]


def create_event_lines(con: duckdb.DuckDBPyConnection, p: ShopParams, first_day: int, last_day: int) -> None:
    """Renders the events of the sessions started on days `first_day`..`last_day` as Segment JSON lines.

    Every value depends only on its session, so rendering the shop chunk by
    chunk gives the same lines as rendering it at once.
    """
    start = p.start_date.isoformat()
    con.execute(
        f"""
        create or replace table events_rendered as
        with chunk_skeleton as (
            select event_skeleton.*
            from event_skeleton
            semi join sessions
                on sessions.s = event_skeleton.s
                and sessions.started_at >= timestamp '{start}' + to_days({first_day})
                and sessions.started_at < timestamp '{start}' + to_days({last_day + 1})
        ),
        enriched as (
            select
                ev.*,
                ses.anonymous_id,
                ses.customer_id,
                ses.platform,
                ses.v,
                ses.country,
                ses.currency,
                ses.price_factor,
                ses.user_agent,
                ses.device_model,
                ses.is_registered,
                ses.is_server_side_order and ev.event_name = 'Order Completed' as is_server_side,
                ev.ord = min(ev.ord) over (partition by ev.s) as is_first_event,
                src.utm_source,
                src.utm_medium,
                src.utm_campaign,
                src.referrer,
                case
                    when ev.ord = min(ev.ord) over (partition by ev.s) or ev.seq = 10 then src.landing_path
                    when ev.seq = 20 then pick(['/about', '/journal/how-to-choose-running-shoes', '/collections/new',
                                                '/stores', '/sale'], u2('page', ev.s, ev.rep))
                    when ev.seq in (40, 41, 50) then '/products/' || prod.sku
                    when ev.seq = 30 then '/collections/' || prod.category
                    when ev.seq in (51, 52) then '/cart'
                    when ev.seq >= 60 then '/checkout'
                    else src.landing_path
                end as page_path,
                prod.product_id,
                prod.sku,
                prod.title,
                prod.category,
                round(prod.price * ses.price_factor, 2) as local_price,
                ord.order_id,
                ord.total,
                round(ord.subtotal - ord.discount_total, 2) as revenue,
                ord.shipping_total,
                ord.tax_total,
                ord.discount_total,
                ord.has_coupon,
                ord.payment_method,
                opj.products
            from chunk_skeleton as ev
            inner join sessions as ses on ses.s = ev.s
            inner join session_sources as src on src.s = ev.s
            inner join products as prod
                on prod.product_idx = case when ev.seq = 41 and ev.rep > 1
                    then 1 + floor({p.products} * u2('viewprod', ev.s, ev.rep))::integer
                    else ses.focus_product_idx end
            left join orders as ord on ord.s = ev.s and ev.event_name = 'Order Completed'
            left join order_products_json as opj on opj.order_id = ord.order_id
        ),
        shaped as (
            select
                *,
                case when is_server_side then null else anonymous_id end as anonymous_id_out,
                case when is_registered or ord >= 600 or is_server_side then customer_id end as user_id_out,
                -- app users in Europe send local time with an offset
                case when platform <> 'web' and country in ('DE', 'FR') and not is_server_side
                     then strftime(event_at + interval 1 hour, '%Y-%m-%dT%H:%M:%S.%g') || '+01:00'
                     else strftime(event_at, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' end as timestamp_text,
                event_at + to_milliseconds((300 + floor(u('recv', message_id) * (case when platform = 'web'
                    then 2500 else 60000 end)))::bigint) as received_at,
                'https://{ref.SHOP_DOMAIN}' || page_path as page_url,
                case when page_path = '/' then 'Home' when page_path like '/products/%' then title
                     when page_path = '/cart' then 'Cart' when page_path = '/checkout' then 'Checkout'
                     else 'Shop' end as page_title
            from enriched
        ),
        contexts as (
            select
                *,
                case
                    when is_server_side then json_object('library', json_object('name', 'analytics-python', 'version', '2.3.3'))
                    when platform = 'web' then json_object(
                        'page', json_object('url', page_url || case when is_first_event and utm_source is not null
                                               then '?utm_source=' || utm_source || '&utm_medium=' || utm_medium
                                                    || '&utm_campaign=' || utm_campaign else '' end,
                                            'path', page_path,
                                            'referrer', case when is_first_event then referrer
                                                             else 'https://{ref.SHOP_DOMAIN}/' end,
                                            'title', page_title),
                        'campaign', case when is_first_event and utm_source is not null then json_object(
                            'source', utm_source, 'medium', utm_medium, 'name', utm_campaign) end,
                        'userAgent', user_agent,
                        'ip', '198.51.100.' || (v % 250)::varchar,
                        'locale', case country when 'DE' then 'de-DE' when 'FR' then 'fr-FR' else 'en-US' end,
                        'library', json_object('name', 'analytics.js', 'version', '5.2.0'))
                    else json_object(
                        'app', json_object('name', 'ShopApp', 'version', '4.2.0', 'build', '420'),
                        'device', json_object('type', platform, 'model', device_model,
                                              'manufacturer', case when platform = 'ios' then 'Apple' else 'Google' end),
                        'os', json_object('name', case when platform = 'ios' then 'iOS' else 'Android' end),
                        'campaign', case when is_first_event and utm_source is not null then json_object(
                            'source', utm_source, 'medium', utm_medium, 'name', utm_campaign) end,
                        'userAgent', user_agent,
                        'ip', '198.51.100.' || (v % 250)::varchar,
                        'library', json_object('name', 'analytics-' || platform, 'version', '4.1.0'))
                end as context_json,
                case event_name
                    when 'Product Viewed' then json_object('product_id', product_id, 'sku', sku, 'name', title,
                        'category', category, 'price', local_price, 'quantity', 1, 'currency', currency)
                    when 'Product Added' then json_object('product_id', product_id, 'sku', sku, 'name', title,
                        'category', category, 'price', local_price, 'quantity', 1, 'currency', currency,
                        'cart_id', 'cart-' || s::varchar)
                    when 'Product List Viewed' then json_object('list_id', category, 'category', category)
                    when 'Cart Viewed' then json_object('cart_id', 'cart-' || s::varchar)
                    when 'Checkout Started' then json_object('checkout_id', 'chk-' || s::varchar, 'value', local_price,
                        'currency', currency)
                    when 'Payment Info Entered' then json_object('checkout_id', 'chk-' || s::varchar,
                        'payment_method', pick(['credit_card', 'paypal', 'apple_pay'], u('pie', s)))
                    when 'Order Completed' then json_object('order_id', order_id, 'checkout_id', 'chk-' || s::varchar,
                        'total', total, 'revenue', revenue, 'shipping', shipping_total, 'tax', tax_total,
                        'discount', discount_total, 'coupon', case when has_coupon then 'WELCOME10' end,
                        'currency', currency, 'products', products::json)
                    when 'Application Installed' then json_object('version', '4.2.0', 'build', '420')
                    when 'Application Opened' then json_object('from_background', false, 'version', '4.2.0')
                end as properties_json
            from shaped
        )
        select
            s,
            ord,
            message_id,
            event_at,
            received_at,
            platform,
            is_server_side,
            case
                when msg_type = 'identify' then json_object(
                    'messageId', message_id, 'type', 'identify', 'timestamp', timestamp_text,
                    'receivedAt', strftime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
                    'anonymousId', anonymous_id_out, 'userId', customer_id,
                    'traits', json_object('email', 'customer' || v::varchar || '@mail.example',
                                          'first_name', pick({list(ref.FIRST_NAMES)}, u('fn', v)),
                                          'last_name', pick({list(ref.LAST_NAMES)}, u('ln', v))),
                    'context', context_json)
                when msg_type = 'page' and platform <> 'web' then json_object(
                    'messageId', message_id, 'type', 'screen', 'name', page_title, 'timestamp', timestamp_text,
                    'receivedAt', strftime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
                    'anonymousId', anonymous_id_out, 'userId', user_id_out,
                    'context', context_json,
                    'properties', json_object('path', page_path, 'name', page_title))
                when msg_type = 'page' then json_object(
                    'messageId', message_id, 'type', 'page', 'name', page_title, 'timestamp', timestamp_text,
                    'receivedAt', strftime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
                    'anonymousId', anonymous_id_out, 'userId', user_id_out,
                    'context', context_json,
                    'properties', json_object('path', page_path, 'url', page_url, 'title', page_title))
                else json_object(
                    'messageId', message_id, 'type', 'track', 'event', event_name, 'timestamp', timestamp_text,
                    'receivedAt', strftime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
                    'anonymousId', anonymous_id_out, 'userId', user_id_out,
                    'context', context_json,
                    'properties', properties_json)
            end::varchar as line
        from contexts
        """
    )


# Deliberate faults, per 10,000 good events: (fault, rate). Each fault is an
# extra line (a corrupted copy of a real event with its own messageId), so the
# real events stay whole and every fault is countable in the manifest.
EVENT_FAULTS: tuple[tuple[str, int], ...] = (
    ("invalid_json", 10),
    ("missing_message_id", 4),
    ("missing_type", 3),
    ("missing_timestamp", 4),
    ("missing_identity", 4),
    ("track_without_event", 4),
    ("unparseable_timestamp", 4),
    ("future_timestamp", 5),
)
DUPLICATE_RATE = 50  # per 10,000: redelivered in the next day's file
LATE_RATE = 100  # per 10,000: written into the next day's file


def create_event_files(con: duckdb.DuckDBPyConnection, p: ShopParams) -> None:
    """Decides which line of `events_rendered` goes into which file, faults and duplicates included."""
    fault_cases = []
    lower = 0
    for fault, rate in EVENT_FAULTS:
        fault_cases.append(
            f"when u('fault', message_id) * 10000 >= {lower} and u('fault', message_id) * 10000 < {lower + rate} then '{fault}'"
        )
        lower += rate
    fault_case = "case " + " ".join(fault_cases) + " end"
    con.execute(
        f"""
        create or replace table event_lines as
        with base as (
            select
                *,
                case when is_server_side then 'server' else platform end as stream,
                cast(event_at as date)
                    + (u('late', message_id) * 10000 < {LATE_RATE})::integer as file_day,
                {fault_case} as fault
            from events_rendered
        ),
        good as (
            select stream, file_day, event_at, message_id, 0 as copy_no, line, null as fault
            from base
        ),
        duplicates as (
            select stream, file_day + 1 as file_day, event_at, message_id, 1 as copy_no,
                   regexp_replace(line, '"receivedAt":"[^"]*"',
                       '"receivedAt":"' || strftime(received_at + interval 1 day, '%Y-%m-%dT%H:%M:%S.%gZ') || '"')
                       as line,
                   'duplicate' as fault
            from base
            where u('dup', message_id) * 10000 < {DUPLICATE_RATE}
        ),
        faulty as (
            select
                stream,
                file_day,
                event_at,
                message_id,
                2 as copy_no,
                replace(line, message_id, uuid_of('fault-' || message_id)) as renamed,
                fault
            from base
            where fault is not null
        ),
        faulty_lines as (
            select
                stream, file_day, event_at, message_id, copy_no,
                case fault
                    when 'invalid_json' then substr(renamed, 1, length(renamed) // 2)
                    when 'missing_message_id' then regexp_replace(renamed, '"messageId":"[^"]*",', '')
                    when 'missing_type' then regexp_replace(renamed, '"type":"[^"]*",', '')
                    when 'missing_timestamp' then regexp_replace(renamed, '"timestamp":"[^"]*",', '')
                    when 'missing_identity' then regexp_replace(regexp_replace(renamed,
                        '"anonymousId":("[^"]*"|null),', ''), '"userId":("[^"]*"|null),', '')
                    when 'track_without_event' then regexp_replace(
                        regexp_replace(renamed, '"type":"[^"]*"', '"type":"track"'), '"event":"[^"]*",', '')
                    when 'unparseable_timestamp' then regexp_replace(renamed, '"timestamp":"[^"]*"',
                        '"timestamp":"yesterday at noon"')
                    when 'future_timestamp' then regexp_replace(renamed, '"timestamp":"[^"]*"',
                        '"timestamp":"' || strftime(event_at + interval 50 year, '%Y-%m-%dT%H:%M:%S.%gZ') || '"')
                end as line,
                fault
            from faulty
        )
        select * from good
        union all
        select * from duplicates
        union all
        select * from faulty_lines
        """
    )
