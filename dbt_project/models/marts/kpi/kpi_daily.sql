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

session_days as (

    select
        session_date as date_day,
        count(*) as sessions,
        count(distinct person_id) as persons,
        sum(case when is_bounce then 1 else 0 end) as bounced_sessions,
        sum(case when is_engaged then 1 else 0 end) as engaged_sessions,
        sum(duration_seconds) as total_duration_seconds,
        sum(case when is_converted then 1 else 0 end) as converted_sessions
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

bounds as (

    select min(date_day) as first_day, max(date_day) as last_day
    from (
        select date_day from session_days
        union all
        select date_day from order_days
        union all
        select date_day from refund_days
    ) as all_days

),

days as (

    {{ date_series('(select first_day from bounds)', '(select last_day from bounds)') }}

),

final as (

    select
        days.date_day,
        coalesce(session_days.sessions, 0) as sessions,
        coalesce(session_days.persons, 0) as persons,
        {{ safe_divide('session_days.bounced_sessions', 'session_days.sessions') }} as bounce_rate,
        {{ safe_divide('session_days.engaged_sessions', 'session_days.sessions') }} as engagement_rate,
        {{ safe_divide('session_days.total_duration_seconds', 'session_days.sessions') }}
            as avg_session_duration_seconds,
        coalesce(session_days.converted_sessions, 0) as converted_sessions,
        {{ safe_divide('session_days.converted_sessions', 'session_days.sessions') }} as conversion_rate,
        coalesce(order_days.orders, 0) as orders,
        coalesce(order_days.units_sold, 0) as units_sold,
        coalesce(order_days.gmv, 0) as gmv,
        coalesce(order_days.discounts, 0) as discounts,
        coalesce(order_days.net_sales, 0) as net_sales,
        {{ safe_divide('order_days.net_sales', 'order_days.orders') }} as aov,
        coalesce(refund_days.refunds, 0) as refunds,
        coalesce(order_days.net_sales, 0) - coalesce(refund_days.refunds, 0) as net_revenue,
        coalesce(order_days.new_customers, 0) as new_customers,
        coalesce(order_days.returning_customers, 0) as returning_customers
    from days
    left join session_days
        on session_days.date_day = days.date_day
    left join order_days
        on order_days.date_day = days.date_day
    left join refund_days
        on refund_days.date_day = days.date_day

)

select * from final
