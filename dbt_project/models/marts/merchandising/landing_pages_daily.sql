with

    sessions as (select * from {{ ref('behaviour__sessions_filtered') }}),

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled and session_id is not null),

    session_orders as (

        select session_id, count(*) as orders, sum(net_sales) as net_sales from orders group by session_id

    ),

    final as (

        select
            sessions.session_date as date_day,
            -- a session with no page or screen view (an app session of track events only) has none
            coalesce(sessions.landing_page, '(not set)') as landing_page,
            cast(count(*) as bigint) as entrances,
            cast(sum(case when sessions.is_bounce then 1 else 0 end) as bigint) as bounces,
            {{ safe_divide('sum(case when sessions.is_bounce then 1 else 0 end)', 'count(*)') }} as bounce_rate,
            cast(sum(case when sessions.is_converted then 1 else 0 end) as bigint) as converted_sessions,
            {{ safe_divide('sum(case when sessions.is_converted then 1 else 0 end)', 'count(*)') }} as conversion_rate,
            cast(coalesce(sum(session_orders.orders), 0) as bigint) as orders,
            cast(coalesce(sum(session_orders.net_sales), 0) as decimal(18, 2)) as net_sales
        from sessions
        left join session_orders on session_orders.session_id = sessions.session_id
        group by sessions.session_date, coalesce(sessions.landing_page, '(not set)')

    )

select *
from final
