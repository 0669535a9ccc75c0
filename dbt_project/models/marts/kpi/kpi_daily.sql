{%- set include_bots = var('ecom__include_bots') -%}

with

sessions as (

    select * from {{ ref('fct_sessions') }}
    {%- if not include_bots %}
    where not is_bot
    {%- endif %}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where not is_cancelled

),

refunds as (

    select * from {{ ref('fct_refunds') }}

),

spend as (

    select * from {{ ref('int_marketing_spend_converted_to_reporting_currency') }}

),

session_days as (

    select
        session_date as date_day,
        count(*) as sessions,
        count(distinct person_id) as persons,
        sum(case when is_bounce then 1 else 0 end) as bounced_sessions,
        sum(case when is_engaged then 1 else 0 end) as engaged_sessions,
        sum(duration_seconds) as total_duration_seconds,
        sum(case when is_converted then 1 else 0 end) as converted_sessions,
        sum(case when has_product_added then 1 else 0 end) as cart_sessions,
        sum(case when has_product_added and not is_converted then 1 else 0 end) as abandoned_cart_sessions,
        sum(case when has_checkout_started then 1 else 0 end) as checkout_sessions,
        sum(case when has_checkout_started and not is_converted then 1 else 0 end) as abandoned_checkout_sessions
    from sessions
    group by session_date

),

customer_firsts as (

    select
        customer_id,
        min(order_date) as first_order_date
    from orders
    group by customer_id

),

order_days as (

    select
        orders.order_date as date_day,
        count(*) as orders,
        sum(orders.units) as units_sold,
        sum(orders.gmv) as gmv,
        sum(orders.discount_total) as discounts,
        sum(orders.net_sales) as net_sales,
        count(distinct case when customer_firsts.first_order_date = orders.order_date
                            then orders.customer_id end) as new_customers,
        count(distinct case when customer_firsts.first_order_date < orders.order_date
                            then orders.customer_id end) as returning_customers
    from orders
    inner join customer_firsts
        on customer_firsts.customer_id = orders.customer_id
    group by orders.order_date

),

refund_days as (

    select
        refund_date as date_day,
        sum(amount) as refunds
    from refunds
    group by refund_date

),

spend_days as (

    select
        spend_date as date_day,
        sum(spend) as marketing_spend
    from spend
    group by spend_date

),

bounds as (

    select min(date_day) as first_day, max(date_day) as last_day
    from (
        select date_day from session_days
        union all
        select date_day from order_days
        union all
        select date_day from refund_days
        union all
        select date_day from spend_days
    ) as all_days

),

days as (

    {{ date_series('(select first_day from bounds)', '(select last_day from bounds)') }}

),

final as (

    select
        days.date_day,
        cast(coalesce(session_days.sessions, 0) as bigint) as sessions,
        cast(coalesce(session_days.persons, 0) as bigint) as persons,
        {{ safe_divide('session_days.bounced_sessions', 'session_days.sessions') }} as bounce_rate,
        {{ safe_divide('session_days.engaged_sessions', 'session_days.sessions') }} as engagement_rate,
        {{ safe_divide('session_days.total_duration_seconds', 'session_days.sessions') }}
            as avg_session_duration_seconds,
        cast(coalesce(session_days.converted_sessions, 0) as bigint) as converted_sessions,
        {{ safe_divide('session_days.converted_sessions', 'session_days.sessions') }} as conversion_rate,
        {{ safe_divide('session_days.abandoned_cart_sessions', 'session_days.cart_sessions') }}
            as cart_abandonment_rate,
        {{ safe_divide('session_days.abandoned_checkout_sessions', 'session_days.checkout_sessions') }}
            as checkout_abandonment_rate,
        cast(coalesce(order_days.orders, 0) as bigint) as orders,
        cast(coalesce(order_days.units_sold, 0) as bigint) as units_sold,
        cast(coalesce(order_days.gmv, 0) as decimal(18, 2)) as gmv,
        cast(coalesce(order_days.discounts, 0) as decimal(18, 2)) as discounts,
        cast(coalesce(order_days.net_sales, 0) as decimal(18, 2)) as net_sales,
        {{ safe_divide('order_days.net_sales', 'order_days.orders') }} as aov,
        cast(coalesce(refund_days.refunds, 0) as decimal(18, 2)) as refunds,
        cast(coalesce(order_days.net_sales, 0) - coalesce(refund_days.refunds, 0) as decimal(18, 2)) as net_revenue,
        cast(coalesce(order_days.new_customers, 0) as bigint) as new_customers,
        cast(coalesce(order_days.returning_customers, 0) as bigint) as returning_customers,
        cast(coalesce(spend_days.marketing_spend, 0) as decimal(18, 2)) as marketing_spend
    from days
    left join session_days
        on session_days.date_day = days.date_day
    left join order_days
        on order_days.date_day = days.date_day
    left join refund_days
        on refund_days.date_day = days.date_day
    left join spend_days
        on spend_days.date_day = days.date_day

)

select * from final
