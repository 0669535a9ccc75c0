{%- set churn_days = var('churn_days') -%}

with

    sessions as (select * from {{ ref('behaviour__sessions_filtered') }}),

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled),

    refunds as (select * from {{ ref('fct_refunds') }} where not is_order_cancelled),

    customers as (select customer_id, first_order_date from {{ ref('dim_customers') }} where has_ordered),

    operations as (select * from {{ ref('kpi__operations_aggregated_to_months') }}),

    shop_customers as (select * from {{ ref('stg_shop__customers') }}),

    days as (select date_day, marketing_spend from {{ ref('kpi_daily') }}),

    months as (

        select
            cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
            sum(marketing_spend) as marketing_spend
        from days
        group by 1

    ),

    session_months as (

        select cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month_start, {{ session_counts() }}
        from sessions
        group by 1

    ),

    order_months as (

        select cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start, {{ order_counts() }}
        from orders
        group by 1

    ),

    customer_months as (

        select
            orders.customer_id,
            cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as month_start,
            count(*) as orders,
            min(customers.first_order_date) as first_order_date
        from orders
        inner join customers on customers.customer_id = orders.customer_id
        group by 1, 2

    ),

    customer_counts as (

        select
            month_start,
            count(*) as ordering_customers,
            sum(case when orders >= 2 then 1 else 0 end) as repeat_customers,
            sum(
                case
                    when cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) = month_start then 1 else 0
                end
            ) as new_customers,
            sum(case when first_order_date < month_start then 1 else 0 end) as returning_customers
        from customer_months
        group by month_start

    ),

    refund_months as (

        select
            cast({{ dbt.date_trunc('month', 'refund_date') }} as date) as month_start,
            sum(amount) as refunds,
            sum(coalesce(quantity, 0)) as returned_units
        from refunds
        group by 1

    ),

    -- churn (kpi-definitions): a customer becomes churned on an order date +
    -- churn_days when no order follows by then
    customer_order_days as (select distinct customer_id, order_date from orders),

    churn_events as (

        select with_next.customer_id, with_next.churned_on
        from
            (
                select
                    customer_id,
                    cast({{ dbt.dateadd('day', churn_days, 'order_date') }} as date) as churned_on,
                    lead(order_date) over (partition by customer_id order by order_date) as next_order_date
                from customer_order_days
            ) as with_next
        -- a churn date after the as-of date has not happened yet (an order may still come)
        cross join {{ ref('int_as_of_date_resolved') }} as as_of
        where
            (with_next.next_order_date is null or with_next.next_order_date > with_next.churned_on)
            and with_next.churned_on <= as_of.as_of_date

    ),

    churned_months as (

        select cast({{ dbt.date_trunc('month', 'churned_on') }} as date) as month_start, count(*) as churned_customers
        from churn_events
        group by 1

    ),

    -- active at the start of a month: not churned at the end of the day before,
    -- so its latest earlier order is at most churn_days before the 1st
    active_at_start as (

        select months.month_start, count(distinct customer_order_days.customer_id) as active_customers_at_start
        from months
        inner join
            customer_order_days
            on customer_order_days.order_date < months.month_start
            and customer_order_days.order_date
            >= cast({{ dbt.dateadd('day', -churn_days, 'months.month_start') }} as date)
        group by months.month_start

    ),

    consent_months as (

        select
            months.month_start,
            count(*) as customers_to_date,
            sum(case when shop_customers.push_opt_in then 1 else 0 end) as push_opt_ins,
            sum(case when shop_customers.sms_opt_in then 1 else 0 end) as sms_subscribers
        from months
        inner join
            shop_customers
            on {{ to_reporting_date('shop_customers.created_at') }}
            < cast({{ dbt.dateadd('month', 1, 'months.month_start') }} as date)
        group by months.month_start

    ),

    final as (

        select
            months.month_start,
            {{ session_measures('session_months') }},
            {{ order_measures('order_months') }},
            cast(coalesce(refund_months.refunds, 0) as decimal(18, 2)) as refunds,
            cast(
                coalesce(order_months.net_sales, 0) - coalesce(refund_months.refunds, 0) as decimal(18, 2)
            ) as net_revenue,
            {{ safe_divide('coalesce(refund_months.refunds, 0)', 'order_months.net_sales') }} as refund_rate,
            cast(coalesce(refund_months.returned_units, 0) as bigint) as returned_units,
            {{ safe_divide('coalesce(refund_months.returned_units, 0)', 'order_months.units_sold') }}
            as return_rate_units,
            cast(coalesce(customer_counts.new_customers, 0) as bigint) as new_customers,
            cast(coalesce(customer_counts.returning_customers, 0) as bigint) as returning_customers,
            cast(coalesce(customer_counts.ordering_customers, 0) as bigint) as ordering_customers,
            cast(coalesce(customer_counts.repeat_customers, 0) as bigint) as repeat_customers,
            {{ safe_divide('coalesce(customer_counts.repeat_customers, 0)', 'customer_counts.ordering_customers') }}
            as repeat_purchase_rate,
            {{ safe_divide('coalesce(customer_counts.returning_customers, 0)', 'customer_counts.ordering_customers') }}
            as returning_customer_rate,
            cast(coalesce(active_at_start.active_customers_at_start, 0) as bigint) as active_customers_at_start,
            cast(coalesce(churned_months.churned_customers, 0) as bigint) as churned_customers,
            {{ safe_divide('coalesce(churned_months.churned_customers, 0)', 'active_at_start.active_customers_at_start') }}
            as churn_rate,
            cast(coalesce(months.marketing_spend, 0) as decimal(18, 2)) as marketing_spend,
            {{ safe_divide('coalesce(months.marketing_spend, 0)', 'customer_counts.new_customers') }} as cac,
            cast(coalesce(operations.complaint_tickets, 0) as bigint) as complaint_tickets,
            {{ safe_divide('coalesce(operations.complaint_tickets, 0)', 'order_months.orders') }} as complaint_rate,
            cast(coalesce(operations.nps_responses, 0) as bigint) as nps_responses,
            cast(coalesce(operations.nps_promoters, 0) as bigint) as nps_promoters,
            cast(coalesce(operations.nps_detractors, 0) as bigint) as nps_detractors,
            100.0
            * {{ safe_divide('coalesce(operations.nps_promoters, 0) - coalesce(operations.nps_detractors, 0)', 'operations.nps_responses') }}
            as nps,
            cast(coalesce(operations.reviews, 0) as bigint) as reviews,
            operations.avg_rating,
            {{ safe_divide('coalesce(operations.reviews, 0)', 'order_months.orders') }} as review_rate,
            cast(coalesce(operations.stockout_product_days, 0) as bigint) as stockout_product_days,
            cast(coalesce(operations.product_days, 0) as bigint) as product_days,
            {{ safe_divide('coalesce(operations.stockout_product_days, 0)', 'operations.product_days') }}
            as stockout_rate,
            cast(coalesce(operations.cogs, 0) as decimal(18, 2)) as cogs,
            operations.average_inventory_value,
            {{ safe_divide('coalesce(operations.cogs, 0)', 'operations.average_inventory_value') }}
            as inventory_turnover,
            operations.order_cycle_hours_median,
            operations.order_cycle_hours_p90,
            cast(coalesce(operations.app_installs, 0) as bigint) as app_installs,
            cast(coalesce(consent_months.customers_to_date, 0) as bigint) as customers_to_date,
            cast(coalesce(consent_months.push_opt_ins, 0) as bigint) as push_opt_ins,
            {{ safe_divide('coalesce(consent_months.push_opt_ins, 0)', 'consent_months.customers_to_date') }}
            as push_opt_in_rate,
            cast(coalesce(consent_months.sms_subscribers, 0) as bigint) as sms_subscribers
        from months
        left join session_months on session_months.month_start = months.month_start
        left join order_months on order_months.month_start = months.month_start
        left join customer_counts on customer_counts.month_start = months.month_start
        left join refund_months on refund_months.month_start = months.month_start
        left join churned_months on churned_months.month_start = months.month_start
        left join active_at_start on active_at_start.month_start = months.month_start
        left join operations on operations.month_start = months.month_start
        left join consent_months on consent_months.month_start = months.month_start

    )

select *
from final
