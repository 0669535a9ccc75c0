with

    all_sessions as (select * from {{ ref('fct_sessions') }}),

    sessions as (select * from {{ ref('behaviour__sessions_filtered') }}),

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled),

    -- an order takes the segment of its linked session (a bot's too: the order
    -- is real money), else unknown (POS, phone, no Order Completed event)
    orders_segmented as (

        select
            orders.*,
            coalesce(all_sessions.device_category, 'unknown') as device_category,
            coalesce(all_sessions.platform, 'unknown') as platform,
            coalesce(all_sessions.channel_group, 'unknown') as channel_group
        from orders
        left join all_sessions on all_sessions.session_id = orders.session_id

    ),

    session_segments as (

        select session_date as date_day, device_category, platform, channel_group, {{ session_counts() }}
        from sessions
        group by session_date, device_category, platform, channel_group

    ),

    order_segments as (

        select order_date as date_day, device_category, platform, channel_group, {{ order_counts() }}
        from orders_segmented
        group by order_date, device_category, platform, channel_group

    ),

    segment_keys as (

        select date_day, device_category, platform, channel_group
        from session_segments
        union
        select date_day, device_category, platform, channel_group
        from order_segments

    ),

    final as (

        select
            segment_keys.date_day,
            segment_keys.device_category,
            segment_keys.platform,
            segment_keys.channel_group,
            {{ session_measures('session_segments') }},
            {{ order_measures('order_segments') }}
        from segment_keys
        left join
            session_segments
            on session_segments.date_day = segment_keys.date_day
            and session_segments.device_category = segment_keys.device_category
            and session_segments.platform = segment_keys.platform
            and session_segments.channel_group = segment_keys.channel_group
        left join
            order_segments
            on order_segments.date_day = segment_keys.date_day
            and order_segments.device_category = segment_keys.device_category
            and order_segments.platform = segment_keys.platform
            and order_segments.channel_group = segment_keys.channel_group

    )

select *
from final
