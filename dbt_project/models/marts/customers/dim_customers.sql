{%- set churn_days = var('churn_days') -%}

with

    customers as (select * from {{ ref('stg_shop__customers') }}),

    all_orders as (select * from {{ ref('fct_orders') }}),

    credits as (select * from {{ ref('attribution_credits') }}),

    orders as (select * from all_orders where not is_cancelled),

    activity as (select * from {{ ref('int_customer_activity_unioned') }}),

    -- the channel the last-non-direct model credits for the first order
    acquisition as (

        select orders.customer_id, credits.channel_group as acquisition_channel
        from orders
        inner join credits on credits.order_id = orders.order_id and credits.attribution_model = 'last_non_direct'
        where orders.is_first_order

    ),

    as_of as (select * from {{ ref('int_as_of_date_resolved') }}),

    -- customers in orders but missing from the customers export still count
    customer_ids as (

        select customer_id
        from customers
        union
        select customer_id
        from all_orders
        where customer_id is not null

    ),

    order_summary as (

        select
            customer_id,
            min(ordered_at) as first_order_at,
            min(order_date) as first_order_date,
            max(ordered_at) as last_order_at,
            max(order_date) as last_order_date,
            count(*) as orders_count,
            sum(net_sales) as net_sales
        from orders
        group by customer_id

    ),

    refund_summary as (

        select customer_id, sum(refunds) as refunds from activity where activity_type = 'refund' group by customer_id

    ),

    summarised as (

        select
            customer_ids.customer_id,
            order_summary.first_order_at,
            order_summary.first_order_date,
            order_summary.last_order_at,
            order_summary.last_order_date,
            cast(coalesce(order_summary.orders_count, 0) as bigint) as orders_count,
            cast(coalesce(order_summary.net_sales, 0) as decimal(18, 2)) as net_sales,
            cast(coalesce(refund_summary.refunds, 0) as decimal(18, 2)) as refunds,
            {{ dbt.datediff('order_summary.last_order_date', 'as_of.as_of_date', 'day') }} as days_since_last_order,
            as_of.as_of_date
        from customer_ids
        cross join as_of
        left join order_summary on order_summary.customer_id = customer_ids.customer_id
        left join refund_summary on refund_summary.customer_id = customer_ids.customer_id

    ),

    -- quintile = 1 + floor(5 * percent_rank), so ties share a score and the
    -- many one-order customers all get frequency 1; only customers with orders
    scored as (

        select
            customer_id,
            least(5, 1 + floor(5 * percent_rank() over (order by days_since_last_order desc))) as recency_score,
            least(5, 1 + floor(5 * percent_rank() over (order by orders_count))) as frequency_score,
            least(5, 1 + floor(5 * percent_rank() over (order by net_sales - refunds))) as monetary_score
        from summarised
        where orders_count > 0

    ),

    final as (

        select
            summarised.customer_id,
            summarised.orders_count > 0 as has_ordered,
            summarised.first_order_at,
            summarised.first_order_date,
            cast({{ dbt.date_trunc('month', 'summarised.first_order_date') }} as date) as cohort_month,
            cast({{ dbt.date_trunc('week', 'summarised.first_order_date') }} as date) as cohort_week,
            summarised.last_order_at,
            summarised.last_order_date,
            summarised.orders_count,
            summarised.net_sales,
            summarised.refunds,
            cast(summarised.net_sales - summarised.refunds as decimal(18, 2)) as historical_clv,
            summarised.orders_count >= 2 as is_repeat_customer,
            summarised.days_since_last_order,
            case
                when summarised.orders_count > 0 then summarised.days_since_last_order >= {{ churn_days }}
            end as is_churned,
            cast(scored.recency_score as integer) as recency_score,
            cast(scored.frequency_score as integer) as frequency_score,
            cast(scored.monetary_score as integer) as monetary_score,
            case
                when scored.customer_id is null
                then null
                when scored.recency_score >= 4 and scored.frequency_score >= 4
                then 'champions'
                when scored.recency_score >= 3 and scored.frequency_score >= 3
                then 'loyal'
                when scored.recency_score = 5 and scored.frequency_score = 1
                then 'new'
                when scored.recency_score >= 4
                then 'potential_loyalists'
                when scored.recency_score = 3
                then 'needs_attention'
                when scored.frequency_score >= 3
                then 'at_risk'
                else 'hibernating'
            end as rfm_segment,
            acquisition.acquisition_channel,
            summarised.as_of_date,
            customers.country,
            coalesce(customers.accepts_marketing, false) as accepts_marketing,
            coalesce(customers.sms_opt_in, false) as sms_opt_in,
            coalesce(customers.push_opt_in, false) as push_opt_in
        from summarised
        left join scored on scored.customer_id = summarised.customer_id
        left join customers on customers.customer_id = summarised.customer_id
        left join acquisition on acquisition.customer_id = summarised.customer_id

    )

select *
from final
