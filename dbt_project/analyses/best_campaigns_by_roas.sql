-- Which campaigns return the most per unit of spend? ROAS under three
-- attribution models side by side: where they disagree, the campaign opens
-- journeys (first touch) or closes them (last non-direct).
with

    campaigns as (

        select
            campaign,
            channel_group,
            sum(spend) as spend,
            sum(clicks) as clicks,
            sum(sessions) as sessions,
            sum(attributed_net_sales_first_touch) as net_sales_first_touch,
            sum(attributed_net_sales_last_non_direct) as net_sales_last_non_direct,
            sum(attributed_net_sales_linear) as net_sales_linear
        from {{ ref('marketing_daily') }}
        group by campaign, channel_group

    ),

    final as (

        select
            campaign,
            channel_group,
            spend,
            clicks,
            sessions,
            round(net_sales_first_touch / nullif(spend, 0), 2) as roas_first_touch,
            round(net_sales_last_non_direct / nullif(spend, 0), 2) as roas_last_non_direct,
            round(net_sales_linear / nullif(spend, 0), 2) as roas_linear
        from campaigns
        where spend > 0

    )

select *
from final
order by roas_last_non_direct desc nulls last, spend desc
