{%- set models = ['first_touch', 'last_touch', 'last_non_direct', 'linear', 'time_decay', 'position_based'] -%}

with

    spend as (select * from {{ ref('int_marketing_spend_converted_to_reporting_currency') }}),

    sessions as (select * from {{ ref('behaviour__sessions_filtered') }}),

    credits as (select * from {{ ref('attribution_credits') }}),

    -- spend belongs to the sessions with the same source, medium and campaign,
    -- compared lower-cased and trimmed (kpi-definitions.md "Spend to traffic")
    spend_days as (

        select
            spend_date as date_day,
            utm_source as source,
            utm_medium as medium,
            utm_campaign as campaign,
            sum(spend) as spend,
            sum(impressions) as impressions,
            sum(clicks) as clicks
        from spend
        group by 1, 2, 3, 4

    ),

    session_days as (

        select
            session_date as date_day,
            lower(trim(source)) as source,
            lower(trim(medium)) as medium,
            lower(trim(campaign)) as campaign,
            count(*) as sessions
        from sessions
        group by 1, 2, 3, 4

    ),

    -- attributed sales land on the order date
    credit_days as (

        select
            order_date as date_day,
            lower(trim(source)) as source,
            lower(trim(medium)) as medium,
            lower(trim(campaign)) as campaign,
            {% for model in models -%}
                sum(
                    case when attribution_model = '{{ model }}' then credit else 0 end
                ) as attributed_net_sales_{{ model }}{{ ',' if not loop.last }}
            {% endfor %}
        from credits
        group by 1, 2, 3, 4

    ),

    row_keys as (

        select date_day, source, medium, campaign
        from spend_days
        union
        select date_day, source, medium, campaign
        from session_days
        union
        select date_day, source, medium, campaign
        from credit_days

    ),

    channels as ({{ classify_channels('row_keys') }}),

    final as (

        select
            row_keys.date_day,
            row_keys.source,
            row_keys.medium,
            row_keys.campaign,
            coalesce(channels.channel_group, 'Unassigned') as channel_group,
            cast(coalesce(spend_days.spend, 0) as decimal(18, 2)) as spend,
            cast(coalesce(spend_days.impressions, 0) as bigint) as impressions,
            cast(coalesce(spend_days.clicks, 0) as bigint) as clicks,
            {{ safe_divide('coalesce(spend_days.clicks, 0)', 'spend_days.impressions') }} as ctr,
            {{ safe_divide('coalesce(spend_days.spend, 0)', 'spend_days.clicks') }} as cpc,
            {{ safe_divide('coalesce(spend_days.spend, 0) * 1000', 'spend_days.impressions') }} as cpm,
            cast(coalesce(session_days.sessions, 0) as bigint) as sessions,
            {% for model in models -%}
                cast(
                    coalesce(credit_days.attributed_net_sales_{{ model }}, 0) as decimal(18, 2)
                ) as attributed_net_sales_{{ model }},
                {{ safe_divide('coalesce(credit_days.attributed_net_sales_' ~ model ~ ', 0)', 'spend_days.spend') }}
                as roas_{{ model }}{{ ',' if not loop.last }}
            {% endfor %}
        from row_keys
        left join channels on channels.source = row_keys.source and channels.medium = row_keys.medium
        left join
            spend_days
            on spend_days.date_day = row_keys.date_day
            and spend_days.source = row_keys.source
            and spend_days.medium = row_keys.medium
            and spend_days.campaign = row_keys.campaign
        left join
            session_days
            on session_days.date_day = row_keys.date_day
            and session_days.source = row_keys.source
            and session_days.medium = row_keys.medium
            and session_days.campaign = row_keys.campaign
        left join
            credit_days
            on credit_days.date_day = row_keys.date_day
            and credit_days.source = row_keys.source
            and credit_days.medium = row_keys.medium
            and credit_days.campaign = row_keys.campaign

    )

select *
from final
