{{ config(post_hook="{{ raise_if_fx_rates_missing(this, 'currency', 'spend_date', 'spend') }}") }}

with

    spend as (select * from {{ ref('stg_shop__marketing_spend') }}),

    fx as (select * from {{ ref('int_fx_rates_valid_ranges') }}),

    final as (

        select
            spend.spend_date,
            spend.platform,
            spend.campaign,
            spend.currency,
            spend.spend as spend_local,
            -- converted at the spend date's rate; rounded to cents per row
            cast(
                round(spend.spend * {{ fx_rate_to_reporting('spend.currency', 'spend_fx') }}, 2) as decimal(18, 2)
            ) as spend,
            spend.impressions,
            spend.clicks,
            spend.utm_source,
            spend.utm_medium,
            spend.utm_campaign
        from spend {{ left_join_fx_rate('fx', 'spend_fx', 'spend.currency', 'spend.spend_date') }}

    )

select *
from final
