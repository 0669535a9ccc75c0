with

orders as (

    select * from {{ ref('int_orders_converted_to_reporting_currency') }}

),

refunds as (

    select * from {{ ref('int_refunds_converted_to_reporting_currency') }}

),

order_events as (

    select
        events.order_id,
        sessionized.session_id,
        events.event_at
    from {{ ref('stg_tracking__events') }} as events
    inner join {{ ref('int_events_sessionized') }} as sessionized
        on sessionized.message_id = events.message_id
    where events.event_name = 'Order Completed'
      and events.order_id is not null

),

-- an order completed twice (a reload of the thank-you page) links to its first session
order_sessions as (

    select order_id, session_id
    from (
        select
            *,
            row_number() over (partition by order_id order by event_at, session_id) as event_rank
        from order_events
    ) as ranked
    where event_rank = 1

),

refund_totals as (

    select
        order_id,
        sum(amount) as refunded_amount
    from refunds
    group by order_id

),

converted as (

    select
        orders.*,
        cast(round(orders.gmv_local * orders.fx_rate, 2) as decimal(18, 2)) as gmv,
        cast(round(orders.discount_total_local * orders.fx_rate, 2) as decimal(18, 2)) as discount_total,
        cast(round(orders.shipping_total_local * orders.fx_rate, 2) as decimal(18, 2)) as shipping_total,
        cast(round(orders.tax_total_local * orders.fx_rate, 2) as decimal(18, 2)) as tax_total
    from orders

),

first_orders as (

    select
        customer_id,
        min(ordered_at) as first_ordered_at
    from converted
    where not is_cancelled
    group by customer_id

),

final as (

    select
        converted.order_id,
        converted.customer_id,
        converted.ordered_at,
        converted.order_date,
        converted.status,
        converted.is_cancelled,
        converted.currency,
        converted.fx_rate,
        converted.gmv,
        converted.discount_total,
        converted.gmv - converted.discount_total as net_sales,
        converted.shipping_total,
        converted.tax_total,
        coalesce(refund_totals.refunded_amount, 0) as refunded_amount,
        converted.units,
        converted.payment_method,
        converted.source_name,
        order_sessions.session_id,
        -- ties on the first timestamp: the smallest order id is the first order
        not converted.is_cancelled
            and converted.ordered_at = first_orders.first_ordered_at
            and converted.order_id = min(case when not converted.is_cancelled then converted.order_id end) over (
                partition by converted.customer_id, converted.ordered_at
            ) as is_first_order
    from converted
    left join refund_totals
        on refund_totals.order_id = converted.order_id
    left join order_sessions
        on order_sessions.order_id = converted.order_id
    left join first_orders
        on first_orders.customer_id = converted.customer_id

)

select * from final
