{{ config(materialized='view', schema='intermediate') }}

{#- Every product event of a KPI session (bots left out unless var ecom__include_bots; events
    with no session, such as ones beyond the lateness limit, left out): one row per event x
    product, with the event's time, date and session. Read by product_daily. -#}
with

    product_events as (select * from {{ ref('int_events_products_itemized') }}),

    events as (select message_id, session_id, event_at, event_date from {{ ref('fct_events') }}),

    sessions as (select session_id, session_date from {{ ref('behaviour__sessions_filtered') }}),

    final as (

        select
            product_events.message_id,
            product_events.event_name,
            product_events.product_id,
            events.session_id,
            events.event_at,
            events.event_date,
            sessions.session_date
        from product_events
        inner join events on events.message_id = product_events.message_id
        inner join sessions on sessions.session_id = events.session_id

    )

select *
from final
