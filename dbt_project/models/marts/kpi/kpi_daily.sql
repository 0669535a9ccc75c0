with

    sessions as (select * from {{ ref('behaviour__sessions_filtered') }}),

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled),

    refunds as (select * from {{ ref('fct_refunds') }} where not is_order_cancelled),

    spend as (select * from {{ ref('int_marketing_spend_converted_to_reporting_currency') }}),

    session_days as (select session_date as date_day, {{ session_counts() }} from sessions group by session_date),

    customers as (select customer_id, first_order_date from {{ ref('dim_customers') }}),

    order_days as (

        select
            orders.order_date as date_day,
            {{ order_counts() }},
            count(
                distinct case when customers.first_order_date = orders.order_date then orders.customer_id end
            ) as new_customers,
            count(
                distinct case when customers.first_order_date < orders.order_date then orders.customer_id end
            ) as returning_customers
        from orders
        inner join customers on customers.customer_id = orders.customer_id
        group by orders.order_date

    ),

    refund_days as (select refund_date as date_day, sum(amount) as refunds from refunds group by refund_date),

    spend_days as (select spend_date as date_day, sum(spend) as marketing_spend from spend group by spend_date),

    bounds as (

        select min(date_day) as first_day, max(date_day) as last_day
        from
            (
                select date_day
                from session_days
                union all
                select date_day
                from order_days
                union all
                select date_day
                from refund_days
                union all
                select date_day
                from spend_days
            ) as all_days

    ),

    days as ({{ date_series('(select first_day from bounds)', '(select last_day from bounds)') }}),

    final as (

        select
            days.date_day,
            {{ session_measures('session_days') }},
            {{ order_measures('order_days') }},
            cast(coalesce(refund_days.refunds, 0) as decimal(18, 2)) as refunds,
            cast(coalesce(order_days.net_sales, 0) - coalesce(refund_days.refunds, 0) as decimal(18, 2)) as net_revenue,
            cast(coalesce(order_days.new_customers, 0) as bigint) as new_customers,
            cast(coalesce(order_days.returning_customers, 0) as bigint) as returning_customers,
            cast(coalesce(spend_days.marketing_spend, 0) as decimal(18, 2)) as marketing_spend
        from days
        left join session_days on session_days.date_day = days.date_day
        left join order_days on order_days.date_day = days.date_day
        left join refund_days on refund_days.date_day = days.date_day
        left join spend_days on spend_days.date_day = days.date_day

    )

select *
from final
