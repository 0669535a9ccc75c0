-- The hand-written one-pass baseline `make bench` compares the pipeline with:
-- the same daily sessions, bounce rate, conversion rate, GMV and net sales as
-- marts.kpi_daily, straight from the landed files, by the same definitions
-- (docs/design/kpi-definitions.md) but with no staging, no incremental
-- bookkeeping, no tests. Placeholders: {landing}, {seeds}, {load_time}.

create or replace table events as
with raw_lines as (
    -- one typed read; invalid JSON lines are skipped
    select *
    from read_json('{landing}/events/**/*.*', format = 'newline_delimited', ignore_errors = true,
                   filename = true, union_by_name = true,
                   columns = {{messageId: 'varchar', type: 'varchar', event: 'varchar', "timestamp": 'varchar',
                              receivedAt: 'varchar', anonymousId: 'varchar', userId: 'varchar',
                              previousId: 'varchar', context: 'struct(userAgent varchar)'}})
    where not (filename like '%/.%' or filename like '%/\_%' escape '\'
               or filename similar to '.*[.](tmp|partial|inprogress)')
),
typed as (
    select
        messageId as message_id,
        type as event_type,
        event as event_name,
        try_cast("timestamp" as timestamptz) at time zone 'UTC' as event_at,
        try_cast(receivedAt as timestamptz) at time zone 'UTC' as received_at,
        anonymousId as anonymous_id,
        userId as user_id,
        previousId as previous_id,
        context.userAgent as user_agent
    from raw_lines
)
select * exclude (copy_rank)
from (
    select *, row_number() over (partition by message_id order by received_at nulls last) as copy_rank
    from typed
    where message_id is not null
      and event_type in ('track', 'page', 'screen', 'identify', 'group', 'alias')
      and event_at is not null
      and event_at <= timestamp '{load_time}' + interval 1 day
      and (anonymous_id is not null or user_id is not null)
      and (event_type <> 'track' or event_name is not null)
)
where copy_rank = 1;

create or replace table identities as
select anonymous_id, user_id
from (
    select anonymous_id, user_id, event_at, message_id from events
    where anonymous_id is not null and user_id is not null
    union all
    select previous_id, user_id, event_at, message_id from events
    where event_type = 'alias' and previous_id is not null and user_id is not null
)
qualify row_number() over (partition by anonymous_id order by event_at desc, message_id desc) = 1;

-- sessions on the key columns only
create or replace table client_sessions as
with in_bound as (
    select message_id, anonymous_id, event_at from events
    where anonymous_id is not null
      and not coalesce(received_at > event_at + interval 3 day, false)
),
flagged as (
    select *,
        case when event_at > lag(event_at) over (partition by anonymous_id order by event_at, message_id)
                                + interval 30 minute
               or lag(event_at) over (partition by anonymous_id order by event_at, message_id) is null
             then 1 else 0 end as is_start
    from in_bound
)
select
    message_id, anonymous_id, event_at,
    anonymous_id || '#' || sum(is_start) over (partition by anonymous_id order by event_at, message_id
                                                rows between unbounded preceding and current row) as session_key
from flagged;

create or replace table session_events as
with persons as (
    select client_sessions.*, coalesce(identities.user_id, client_sessions.anonymous_id) as person_id
    from client_sessions left join identities using (anonymous_id)
),
server as (
    select message_id, user_id, event_at from events
    where anonymous_id is null and user_id is not null
      and not coalesce(received_at > event_at + interval 3 day, false)
),
server_joined as (
    select server.message_id, persons.session_key
    from server
    inner join persons
        on persons.person_id = server.user_id
        and persons.event_at <= server.event_at
        and server.event_at <= persons.event_at + interval 30 minute
    qualify row_number() over (partition by server.message_id order by persons.event_at desc, persons.session_key) = 1
)
select message_id, session_key from client_sessions
union all
select message_id, session_key from server_joined;

create or replace table sessions as
with bots as (select lower(pattern) as pattern from read_csv('{seeds}/bot_user_agent_patterns.csv')),
joined as (
    select session_events.session_key, events.*
    from session_events inner join events using (message_id)
),
firsts as (
    select
        session_key,
        exists (select 1 from bots where lower(joined.user_agent) like '%' || bots.pattern || '%') as is_bot
    from joined
    where anonymous_id is not null
    qualify row_number() over (partition by session_key order by event_at, message_id) = 1
)
select
    joined.session_key,
    cast(min(joined.event_at) filter (where joined.anonymous_id is not null) as date) as session_date,
    count(*) filter (where joined.event_type in ('page', 'screen')) = 1
        and count(*) filter (where joined.event_type = 'track') = 0 as is_bounce,
    coalesce(bool_or(joined.event_name = 'Order Completed'), false) as is_converted,
    any_value(firsts.is_bot) as is_bot
from joined
inner join firsts using (session_key)
group by joined.session_key;

create or replace table session_days as
select
    session_date as date_day,
    count(*) as sessions,
    avg(is_bounce::int) as bounce_rate,
    avg(is_converted::int) as conversion_rate
from sessions
where not is_bot
group by session_date;

create or replace table order_days as
with orders_raw as (
    select *, row_number() over (partition by filename) as line_number
    from read_csv('{landing}/orders/**/*.csv', all_varchar = true, filename = true, union_by_name = true)
),
orders as (
    select order_id, try_cast(created_at as timestamptz) at time zone 'UTC' as ordered_at, lower(status) as status,
           upper(currency) as currency, try_cast(discount_total as decimal(18, 2)) as discount_total
    from orders_raw
    where order_id is not null and customer_id is not null and status is not null and currency is not null
      and try_cast(created_at as timestamptz) is not null
    qualify row_number() over (partition by order_id order by filename desc, line_number desc) = 1
),
items_raw as (
    select *, row_number() over (partition by filename) as line_number
    from read_csv('{landing}/order_items/**/*.csv', all_varchar = true, filename = true, union_by_name = true)
),
items as (
    select order_id, try_cast(quantity as integer) as quantity, try_cast(unit_price as decimal(18, 2)) as unit_price,
           coalesce(try_cast(discount as decimal(18, 2)), 0) as discount
    from items_raw
    where order_id is not null and line_id is not null and product_id is not null
      and try_cast(quantity as integer) >= 0 and try_cast(unit_price as decimal(18, 2)) is not null
    qualify row_number() over (partition by order_id, line_id order by filename desc, line_number desc) = 1
),
-- the seed is the ECB's shape: a column of units per 1 EUR per currency; USD per unit = USD per EUR / that
fx_wide as (
    select *, cast(usd as double) as usd_per_eur from read_csv('{seeds}/fx_rates.csv', all_varchar = true)
),
fx as (
    select upper(currency) as currency, cast(rate_date as date) as rate_date, usd_per_eur / cast(per_eur as double)
        as usd_per_unit
    from (unpivot fx_wide on columns(* exclude (rate_date, usd_per_eur)) into name currency value per_eur)
    union all
    select 'EUR', cast(rate_date as date), usd_per_eur from fx_wide
),
totals as (
    select order_id, sum(quantity * unit_price) as gmv, sum(discount) as line_discounts
    from items group by order_id
),
converted as (
    select
        cast(orders.ordered_at as date) as order_date,
        cast(round(coalesce(totals.gmv, 0) * order_fx.usd_per_unit / usd_fx.usd_per_unit, 2) as decimal(18, 2))
            as gmv,
        cast(round(coalesce(orders.discount_total, totals.line_discounts, 0) * order_fx.usd_per_unit
                   / usd_fx.usd_per_unit, 2) as decimal(18, 2)) as discount
    from orders
    left join totals using (order_id)
    asof left join fx as order_fx
        on order_fx.currency = orders.currency and cast(orders.ordered_at as date) >= order_fx.rate_date
    asof left join (select * from fx where currency = 'USD') as usd_fx
        on cast(orders.ordered_at as date) >= usd_fx.rate_date
    where orders.status <> 'cancelled'
)
select order_date as date_day, sum(gmv) as gmv, sum(gmv - discount) as net_sales
from converted group by order_date;

create or replace table baseline_daily as
select
    coalesce(session_days.date_day, order_days.date_day) as date_day,
    coalesce(sessions, 0) as sessions, bounce_rate, conversion_rate,
    coalesce(gmv, 0) as gmv, coalesce(net_sales, 0) as net_sales
from session_days
full outer join order_days using (date_day);
