-- Valuable customers drifting away: RFM segments at_risk (ordered often, not
-- lately) and needs_attention (middling recency), most valuable first. Customer ids only (no PII): join
-- them to the CRM outside the warehouse for a win-back campaign.
with

    customers as (select * from {{ ref('dim_customers') }}),

    final as (

        select
            customer_id,
            rfm_segment,
            recency_score,
            frequency_score,
            monetary_score,
            orders_count,
            historical_clv,
            last_order_date,
            days_since_last_order,
            acquisition_channel,
            country
        from customers
        where rfm_segment in ('at_risk', 'needs_attention')

    )

select *
from final
order by historical_clv desc, days_since_last_order desc
