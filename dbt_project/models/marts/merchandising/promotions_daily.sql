with

    session_events as (select * from {{ ref('merchandising__merchandising_events_in_sessions') }}),

    orders as (select order_id, net_sales from {{ ref('fct_orders') }} where not is_cancelled),

    -- a promotion is its promotion_id, else its name
    promotion_events as (

        select
            event_name,
            session_id,
            event_at,
            event_date,
            coalesce(promotion_id, promotion_name, '(not set)') as promotion_id,
            promotion_name
        from session_events
        where event_name in ('Promotion Viewed', 'Promotion Clicked')

    ),

    order_events as (

        select session_id, event_at, order_id
        from session_events
        where event_name = 'Order Completed' and order_id is not null

    ),

    event_counts as (

        select
            event_date as date_day,
            promotion_id,
            max(promotion_name) as promotion_name,
            sum(case when event_name = 'Promotion Viewed' then 1 else 0 end) as promotion_views,
            sum(case when event_name = 'Promotion Clicked' then 1 else 0 end) as promotion_clicks,
            count(distinct case when event_name = 'Promotion Clicked' then session_id end) as clicking_sessions
        from promotion_events
        group by event_date, promotion_id

    ),

    -- an order after a click: completed in the session at or after its first click of the
    -- promotion that day; counted on that day
    first_clicks as (

        select session_id, event_date, promotion_id, min(event_at) as first_clicked_at
        from promotion_events
        where event_name = 'Promotion Clicked'
        group by session_id, event_date, promotion_id

    ),

    orders_after_clicks as (

        select distinct first_clicks.event_date, first_clicks.promotion_id, order_events.order_id
        from first_clicks
        inner join
            order_events
            on order_events.session_id = first_clicks.session_id
            and order_events.event_at >= first_clicks.first_clicked_at

    ),

    order_counts as (

        select
            orders_after_clicks.event_date as date_day,
            orders_after_clicks.promotion_id,
            count(*) as orders_after_click,
            sum(orders.net_sales) as net_sales_after_click
        from orders_after_clicks
        inner join orders on orders.order_id = orders_after_clicks.order_id
        group by orders_after_clicks.event_date, orders_after_clicks.promotion_id

    ),

    final as (

        select
            event_counts.date_day,
            event_counts.promotion_id,
            event_counts.promotion_name,
            cast(event_counts.promotion_views as bigint) as promotion_views,
            cast(event_counts.promotion_clicks as bigint) as promotion_clicks,
            {{ safe_divide('event_counts.promotion_clicks', 'event_counts.promotion_views') }} as click_through_rate,
            cast(event_counts.clicking_sessions as bigint) as clicking_sessions,
            cast(coalesce(order_counts.orders_after_click, 0) as bigint) as orders_after_click,
            cast(coalesce(order_counts.net_sales_after_click, 0) as decimal(18, 2)) as net_sales_after_click
        from event_counts
        left join
            order_counts
            on order_counts.date_day = event_counts.date_day
            and order_counts.promotion_id = event_counts.promotion_id

    )

select *
from final
