{{ config(materialized='view', schema='intermediate') }}

{#- The search, promotion and Order Completed events of KPI sessions (bots left out unless var
    ecom__include_bots; events with no session left out), with their extracted fields, time,
    date and session. Read by site_search_daily and promotions_daily. -#}
with

    extracted as (select * from {{ ref('int_events_merchandising_extracted') }}),

    events as (select message_id, session_id, event_at, event_date from {{ ref('fct_events') }}),

    sessions as (select session_id from {{ ref('behaviour__sessions_filtered') }}),

    final as (

        select
            extracted.message_id,
            extracted.event_name,
            extracted.order_id,
            extracted.search_term,
            extracted.promotion_id,
            extracted.promotion_name,
            events.session_id,
            events.event_at,
            events.event_date
        from extracted
        inner join events on events.message_id = extracted.message_id
        inner join sessions on sessions.session_id = events.session_id

    )

select *
from final
