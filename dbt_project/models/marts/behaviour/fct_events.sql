{{ incremental_by_key('message_id') }}
{{ config(tags=['daily_partitioned']) }}

with

    sessionized as (

        select *
        from {{ ref('int_events_sessionized') }}
        {% if is_incremental() %}
            -- every row int_events_sessionized recomputed since this table last took some
            where {{ newer_than_stored('sessionized_at') }}
        {% endif %}

    ),

    events as (select * from {{ ref('stg_tracking__events') }}),

    recomputed as (

        select
            events.message_id,
            sessionized.session_id,
            sessionized.person_id,
            -- for a joined server-side event: the anonymous id of its session
            coalesce(events.anonymous_id, sessionized.anonymous_id) as session_anonymous_id,
            events.anonymous_id,
            events.user_id,
            events.event_at,
            {{ to_reporting_date('events.event_at') }} as event_date,
            events.event_type,
            events.event_name,
            events.is_page_view,
            events.is_track,
            sessionized.is_server_side,
            sessionized.is_beyond_lateness,
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
            {{ seconds_between('events.event_at', 'sessionized.next_event_at') }} as seconds_to_next_event,
            sessionized.sessionized_at
            {{- key_bucket_column('events.message_id') }}
        from sessionized
        inner join events on events.message_id = sessionized.message_id

    ),

    final as ({{ rows_to_write('recomputed') }})

select *
from final
