with

events as (

    select * from {{ ref('stg_tracking__events') }}

),

sessionized as (

    select * from {{ ref('int_events_sessionized') }}

),

identities as (

    select * from {{ ref('int_identities_stitched') }}

),

-- the next event of the same session, on the key columns only
next_events as (

    select
        message_id,
        lead(event_at) over (partition by session_id order by event_at, message_id) as next_event_at
    from sessionized

),

final as (

    select
        events.message_id,
        sessionized.session_id,
        coalesce(sessionized.person_id, identities.user_id, events.user_id, events.anonymous_id) as person_id,
        events.anonymous_id,
        events.user_id,
        events.event_at,
        {{ to_reporting_date('events.event_at') }} as event_date,
        events.event_type,
        events.event_name,
        events.is_page_view,
        events.is_track,
        coalesce(sessionized.is_server_side, events.anonymous_id is null) as is_server_side,
        events.page_path,
        events.page_referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.user_agent,
        events.device_type,
        events.device_model,
        events.product_id,
        events.order_id,
        events.revenue,
        events.currency,
        {{ seconds_between('events.event_at', 'next_events.next_event_at') }} as seconds_to_next_event
    from events
    left join sessionized
        on sessionized.message_id = events.message_id
    left join next_events
        on next_events.message_id = events.message_id
    left join identities
        on identities.anonymous_id = events.anonymous_id

)

select * from final
