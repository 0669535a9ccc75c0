{{ incremental_by_key('anonymous_id') }}
{{ config(tags=['daily_partitioned']) }}
-- depends_on: {{ ref('behaviour__sessions_funnel_steps') }}
{#- (the funnel below is that view's SQL, macro funnel_steps_reached, run over
    the sessions in scope: the view, its unit test and its place in the
    lineage stay before this model) -#}
{#- Incremental: every visitor with an event recomputed since this table's
    last run gets all its sessions rebuilt; delete+insert by anonymous_id
    also removes sessions that a late event merged away. -#}
{#- No referrer, or one on the shop's own domain: the visit counts as direct. -#}
{%- set no_outside_referrer -%}
    (traffic.referrer_host is null
     or traffic.referrer_host in ({{ "'" ~ var('ecom__shop_domains') | map('lower') | join("', '") ~ "'" }}))
{%- endset %}

{%- set sessions_in_scope -%}
    where session_id is not null
    {% if is_incremental() %}
      and session_anonymous_id in (
        select session_anonymous_id from {{ ref('fct_events') }}
        where {{ newer_than_stored('sessionized_at') }}
      )
    {% endif %}
{%- endset %}

{%- set funnel_events -%}
    (select session_id, event_name, event_at from {{ ref('fct_events') }} {{ sessions_in_scope }}) as scoped_events
{%- endset %}

with

    -- The key columns of every event in the sessions to build. Narrow on purpose:
    -- DuckDB materializes a CTE that is read twice, and a copy of the wide rows
    -- cost more than the rest of the model; the first event's wide columns are
    -- joined once, below.
    events as (

        select
            session_id,
            message_id,
            event_at,
            event_name,
            is_page_view,
            is_track,
            is_server_side,
            page_path,
            sessionized_at
        from {{ ref('fct_events') }} {{ sessions_in_scope }}

    ),

    -- the funnel of the sessions in scope only (macro funnel_steps_reached, the
    -- SQL of the view behaviour__sessions_funnel_steps): the view works out every
    -- stored session's funnel, which cost an incremental run more than the rest of
    -- this model. Its own read of fct_events, not the events CTE: a second reader
    -- would make DuckDB materialize that CTE (every event, on a full refresh).
    funnel as (

        select funnel_steps.session_id, funnel_steps.funnel_step_reached
        from ({{ funnel_steps_reached(funnel_events) }}) as funnel_steps

    ),

    referrer_domains as (select * from {{ ref('referrer_domains') }}),

    bot_patterns as (select lower(pattern) as pattern from {{ ref('bot_user_agent_patterns') }}),

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
            max(sessionized_at) as sessionized_at,
            -- the first client-side event carries the visitor's context (a joined
            -- server-side event has no page, referrer or user agent): its wide
            -- columns are joined in first_events. Picked in the aggregation: two
            -- windows over every event cost 4 s at 5M events, this 0.4 s.
            {{ first_by('message_id', ['is_server_side', 'event_at', 'message_id']) }} as first_client_message_id,
            {{ first_by('page_path', ['event_at', 'message_id'], 'is_page_view') }} as landing_page
        from events
        group by session_id

    ),

    -- One row per session with its first client-side event's context. Read by
    -- the lookups below and by recomputed: DuckDB materializes it once (and
    -- spills it), and every other join below is against a small lookup keyed on
    -- distinct values, not another session-sized table. Four session-sized hash
    -- tables alive in one pipeline ran the 20M-event build out of memory.
    sessions as (

        select
            aggregated.*,
            wide_events.session_anonymous_id as anonymous_id,
            wide_events.person_id,
            wide_events.utm_source,
            wide_events.utm_medium,
            wide_events.utm_campaign,
            wide_events.user_agent,
            wide_events.device_type,
            wide_events.device_model,
            -- the host of the referrer, without "www."; a referrer with no host
            -- ("about:blank", a bare path) is no referrer: regexp_extract gives ''
            nullif(
                regexp_extract(lower(wide_events.page_referrer), '^[a-z][a-z0-9+.-]*://(www\.)?([^/:?#]+)', 2), ''
            ) as referrer_host
        from aggregated
        inner join {{ ref('fct_events') }} as wide_events on wide_events.message_id = aggregated.first_client_message_id

    ),

    -- The source and medium of each distinct referrer host: the longest matching
    -- domain pattern of the referrer_domains seed.
    referrer_matches as (

        select
            hosts.referrer_host,
            referrer_domains.source,
            referrer_domains.medium,
            row_number() over (
                partition by hosts.referrer_host order by length(referrer_domains.domain_pattern) desc
            ) as match_rank
        from (select distinct referrer_host from sessions where referrer_host is not null) as hosts
        inner join
            referrer_domains
            on hosts.referrer_host = referrer_domains.domain_pattern
            or hosts.referrer_host like '%.' || referrer_domains.domain_pattern
            or (
                right(referrer_domains.domain_pattern, 1) = '.'
                and (
                    hosts.referrer_host like referrer_domains.domain_pattern || '%'
                    or hosts.referrer_host like '%.' || referrer_domains.domain_pattern || '%'
                )
            )

    ),

    -- Source, medium and campaign of each distinct combination of the first
    -- event's utm parameters and referrer host.
    attributed as (

        select
            traffic.utm_source,
            traffic.utm_medium,
            traffic.utm_campaign,
            traffic.referrer_host,
            case
                when traffic.utm_source is not null
                then traffic.utm_source
                when {{ no_outside_referrer }}
                then '(direct)'
                when referrer_matches.source is not null
                then referrer_matches.source
                else traffic.referrer_host
            end as source,
            case
                when traffic.utm_source is not null
                then coalesce(traffic.utm_medium, '(not set)')
                when {{ no_outside_referrer }}
                then '(none)'
                when referrer_matches.medium is not null
                then referrer_matches.medium
                else 'referral'
            end as medium,
            case
                when traffic.utm_source is not null then coalesce(traffic.utm_campaign, '(not set)') else '(not set)'
            end as campaign
        from (select distinct utm_source, utm_medium, utm_campaign, referrer_host from sessions) as traffic
        left join
            referrer_matches
            on referrer_matches.referrer_host = traffic.referrer_host
            and referrer_matches.match_rank = 1

    ),

    channel_matches as ({{ classify_channels('attributed') }}),

    -- The distinct user agents that match a bot pattern.
    bot_user_agents as (

        select distinct agents.user_agent
        from (select distinct user_agent from sessions where user_agent is not null) as agents
        inner join bot_patterns on lower(agents.user_agent) like '%' || bot_patterns.pattern || '%'

    ),

    recomputed as (

        select
            sessions.session_id,
            sessions.anonymous_id,
            sessions.person_id,
            sessions.session_start_at,
            sessions.session_end_at,
            {{ to_reporting_date('sessions.session_start_at') }} as session_date,
            {{ seconds_between('sessions.session_start_at', 'sessions.session_end_at') }} as duration_seconds,
            sessions.page_views,
            sessions.events,
            sessions.page_views = 1 and sessions.track_events = 0 as is_bounce,
            (
                {{ seconds_between('sessions.session_start_at', 'sessions.session_end_at') }} >= 10
                or sessions.page_views >= 2
                or sessions.first_order_completed_at is not null
            ) as is_engaged,
            sessions.first_order_completed_at is not null as is_converted,
            sessions.has_product_added,
            sessions.has_checkout_started,
            {{ seconds_between('sessions.session_start_at', 'sessions.first_order_completed_at') }}
            as time_to_convert_seconds,
            sessions.landing_page,
            attributed.source,
            attributed.medium,
            attributed.campaign,
            coalesce(channel_matches.channel_group, 'Unassigned') as channel_group,
            case
                when sessions.device_type in ('ios', 'android')
                then
                    case
                        when
                            sessions.device_model like 'iPad%'
                            or sessions.device_model like 'SM-X%'
                            or sessions.device_model like 'SM-T%'
                        then 'tablet'
                        else 'mobile'
                    end
                when sessions.device_type in ('mobile', 'tablet', 'desktop')
                then sessions.device_type
                when sessions.user_agent like '%iPad%'
                then 'tablet'
                when sessions.user_agent like '%Android%' and sessions.user_agent not like '%Mobile%'
                then 'tablet'
                when
                    sessions.user_agent like '%Mobile%'
                    or sessions.user_agent like '%iPhone%'
                    or sessions.user_agent like '%Android%'
                then 'mobile'
                else 'desktop'
            end as device_category,
            case when sessions.device_type in ('ios', 'android') then sessions.device_type else 'web' end as platform,
            -- a session with no funnel row reached step 1 only (the session start)
            coalesce(funnel.funnel_step_reached, 1) as funnel_step_reached,
            bot_user_agents.user_agent is not null as is_bot,
            sessions.sessionized_at
            {{- key_bucket_column('sessions.anonymous_id') }}
        from sessions
        inner join
            attributed
            on attributed.utm_source is not distinct from sessions.utm_source
            and attributed.utm_medium is not distinct from sessions.utm_medium
            and attributed.utm_campaign is not distinct from sessions.utm_campaign
            and attributed.referrer_host is not distinct from sessions.referrer_host
        left join funnel on funnel.session_id = sessions.session_id
        left join
            channel_matches on channel_matches.source = attributed.source and channel_matches.medium = attributed.medium
        left join bot_user_agents on bot_user_agents.user_agent = sessions.user_agent

    ),

    final as ({{ rows_to_write('recomputed') }})

select *
from final
