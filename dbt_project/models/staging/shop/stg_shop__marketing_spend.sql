with

    source as (select * from {{ source('shop', 'marketing_spend') }}),

    latest as (

        -- the key as typed: a date the loader stored before it wrote dates as ISO text is still one day
        {{ newest_version('source', ['cast(date as date)', 'platform', 'campaign']) }}

    ),

    final as (

        select
            cast(date as date) as spend_date,
            platform,
            campaign,
            cast(spend as decimal(18, 2)) as spend,
            upper(coalesce(currency, '{{ var("reporting_currency") }}')) as currency,
            cast(impressions as bigint) as impressions,
            cast(clicks as bigint) as clicks,
            -- rows without UTM columns: source = platform, medium (not set), campaign = campaign (kpi-definitions.md)
            lower(trim(coalesce(utm_source, platform))) as utm_source,
            lower(trim(coalesce(utm_medium, '(not set)'))) as utm_medium,
            lower(trim(coalesce(utm_campaign, campaign))) as utm_campaign,
            cast(avg_position as double) as avg_position
        from latest

    )

select *
from final
