{{
    config(
        materialized='incremental',
        incremental_strategy=incremental_strategy_for_target(),
        unique_key='anonymous_id',
        partition_by=key_bucket_partition_by(),
        tblproperties=key_bucket_tblproperties(),
        on_schema_change='fail',
        tags=['daily_partitioned'],
    )
}}

{#- Incremental: every visitor with an event recomputed since this table's
    last run gets all its sessions rebuilt; delete+insert by anonymous_id
    also removes sessions that a late event merged away. -#}

{#- No referrer, or one on the shop's own domain: the visit counts as direct. -#}
{%- set no_outside_referrer -%}
    (first_events.referrer_host is null
     or first_events.referrer_host in ({{ "'" ~ var('ecom__shop_domains') | map('lower') | join("', '") ~ "'" }}))
{%- endset %}

with

events as (

    select * from {{ ref('fct_events') }}
    where session_id is not null
    {% if is_incremental() %}
      and session_anonymous_id in (
        select session_anonymous_id from {{ ref('fct_events') }}
        where {{ newer_than_stored('sessionized_at') }}
      )
    {% endif %}

),

funnel as (

    select * from {{ ref('int_sessions_funnel_steps') }}

),

referrer_domains as (

    select * from {{ ref('referrer_domains') }}

),

bot_patterns as (

    select lower(pattern) as pattern from {{ ref('bot_user_agent_patterns') }}

),

-- the first client-side event carries the visitor's context (a joined
-- server-side event has no page, referrer or user agent); ranked on the key
-- columns, then joined back to the one wide row per session
event_ranks as (

    select
        session_id,
        message_id,
        is_page_view,
        page_path,
        row_number() over (
            partition by session_id order by is_server_side, event_at, message_id
        ) as client_event_number,
        row_number() over (
            partition by session_id
            order by case when is_page_view then 0 else 1 end, event_at, message_id
        ) as page_view_rank
    from events

),

first_events as (

    select
        events.session_id,
        events.session_anonymous_id as anonymous_id,
        events.person_id,
        events.page_referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.user_agent,
        events.device_type,
        events.device_model,
        -- the host of the referrer, without "www."; a referrer with no host
        -- ("about:blank", a bare path) is no referrer: regexp_extract gives ''
        nullif(regexp_extract(lower(events.page_referrer), '^[a-z][a-z0-9+.-]*://(www\.)?([^/:?#]+)', 2), '')
            as referrer_host
    from event_ranks
    inner join events
        on events.message_id = event_ranks.message_id
    where event_ranks.client_event_number = 1

),

landing_pages as (

    select
        session_id,
        page_path as landing_page
    from event_ranks
    where page_view_rank = 1
      and is_page_view

),

aggregated as (

    select
        session_id,
        min(event_at) as session_start_at,
        max(event_at) as session_end_at,
        cast(count(*) as bigint) as events,
        cast(sum(case when is_page_view then 1 else 0 end) as bigint) as page_views,
        cast(sum(case when is_track then 1 else 0 end) as bigint) as track_events,
        max(case when event_name = 'Product Added' then 1 else 0 end) = 1 as has_product_added,
        max(case when event_name = 'Checkout Started' then 1 else 0 end) = 1 as has_checkout_started,
        min(case when event_name = 'Order Completed' then event_at end) as first_order_completed_at,
        max(sessionized_at) as sessionized_at
    from events
    group by session_id

),

referrer_matches as (

    select
        first_events.session_id,
        referrer_domains.source,
        referrer_domains.medium,
        row_number() over (
            partition by first_events.session_id order by length(referrer_domains.domain_pattern) desc
        ) as match_rank
    from first_events
    inner join referrer_domains
        on first_events.referrer_host = referrer_domains.domain_pattern
        or first_events.referrer_host like '%.' || referrer_domains.domain_pattern
        or (right(referrer_domains.domain_pattern, 1) = '.'
            and (first_events.referrer_host like referrer_domains.domain_pattern || '%'
                 or first_events.referrer_host like '%.' || referrer_domains.domain_pattern || '%'))

),

attributed as (

    select
        first_events.session_id,
        case
            when first_events.utm_source is not null then first_events.utm_source
            when {{ no_outside_referrer }}
                then '(direct)'
            when referrer_matches.source is not null then referrer_matches.source
            else first_events.referrer_host
        end as source,
        case
            when first_events.utm_source is not null then coalesce(first_events.utm_medium, '(not set)')
            when {{ no_outside_referrer }}
                then '(none)'
            when referrer_matches.medium is not null then referrer_matches.medium
            else 'referral'
        end as medium,
        case
            when first_events.utm_source is not null then coalesce(first_events.utm_campaign, '(not set)')
            else '(not set)'
        end as campaign
    from first_events
    left join referrer_matches
        on referrer_matches.session_id = first_events.session_id
        and referrer_matches.match_rank = 1

),

channel_matches as (

    {{ classify_channels('attributed') }}

),

bot_sessions as (

    select distinct first_events.session_id
    from first_events
    inner join bot_patterns
        on lower(first_events.user_agent) like '%' || bot_patterns.pattern || '%'

),

recomputed as (

    select
        aggregated.session_id,
        first_events.anonymous_id,
        first_events.person_id,
        aggregated.session_start_at,
        aggregated.session_end_at,
        {{ to_reporting_date('aggregated.session_start_at') }} as session_date,
        {{ seconds_between('aggregated.session_start_at', 'aggregated.session_end_at') }} as duration_seconds,
        aggregated.page_views,
        aggregated.events,
        aggregated.page_views = 1 and aggregated.track_events = 0 as is_bounce,
        (
            {{ seconds_between('aggregated.session_start_at', 'aggregated.session_end_at') }} >= 10
            or aggregated.page_views >= 2
            or aggregated.first_order_completed_at is not null
        ) as is_engaged,
        aggregated.first_order_completed_at is not null as is_converted,
        aggregated.has_product_added,
        aggregated.has_checkout_started,
        {{ seconds_between('aggregated.session_start_at', 'aggregated.first_order_completed_at') }}
            as time_to_convert_seconds,
        landing_pages.landing_page,
        attributed.source,
        attributed.medium,
        attributed.campaign,
        coalesce(channel_matches.channel_group, 'Unassigned') as channel_group,
        case
            when first_events.device_type in ('ios', 'android')
                then case when first_events.device_model like 'iPad%' or first_events.device_model like 'SM-X%'
                          or first_events.device_model like 'SM-T%' then 'tablet' else 'mobile' end
            when first_events.device_type in ('mobile', 'tablet', 'desktop') then first_events.device_type
            when first_events.user_agent like '%iPad%' then 'tablet'
            when first_events.user_agent like '%Android%' and first_events.user_agent not like '%Mobile%'
                then 'tablet'
            when first_events.user_agent like '%Mobile%' or first_events.user_agent like '%iPhone%'
                or first_events.user_agent like '%Android%' then 'mobile'
            else 'desktop'
        end as device_category,
        case when first_events.device_type in ('ios', 'android') then first_events.device_type else 'web' end
            as platform,
        funnel.funnel_step_reached,
        bot_sessions.session_id is not null as is_bot,
        aggregated.sessionized_at
        {{- key_bucket_column('first_events.anonymous_id') }}
    from aggregated
    inner join first_events
        on first_events.session_id = aggregated.session_id
    inner join attributed
        on attributed.session_id = aggregated.session_id
    inner join funnel
        on funnel.session_id = aggregated.session_id
    left join landing_pages
        on landing_pages.session_id = aggregated.session_id
    left join channel_matches
        on channel_matches.source = attributed.source
        and channel_matches.medium = attributed.medium
    left join bot_sessions
        on bot_sessions.session_id = aggregated.session_id

),

final as (

    {{ rows_to_write('recomputed') }}

)

select * from final
