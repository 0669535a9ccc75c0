with

    orders as (select * from {{ ref('int_orders_converted_to_reporting_currency') }}),

    refunds as (select * from {{ ref('int_refunds_converted_to_reporting_currency') }}),

    order_events as (

        select events.order_id, sessionized.session_id, events.event_at
        from {{ ref('stg_tracking__events') }} as events
        inner join {{ ref('int_events_sessionized') }} as sessionized on sessionized.message_id = events.message_id
        where events.event_name = 'Order Completed' and events.order_id is not null

    ),

    -- an order completed twice (a reload of the thank-you page) links to its first session
    order_sessions as (

        select order_id, session_id
        from
            (
                select *, row_number() over (partition by order_id order by event_at, session_id) as event_rank
                from order_events
            ) as ranked
        where event_rank = 1

    ),

    refund_totals as (select order_id, sum(amount) as refunded_amount from refunds group by order_id),

    first_orders as (

        select customer_id, min(ordered_at) as first_ordered_at from orders where not is_cancelled group by customer_id

    ),

    final as (

        select
            orders.order_id,
            orders.customer_id,
            orders.ordered_at,
            orders.order_date,
            orders.status,
            orders.is_cancelled,
            orders.currency,
            orders.fx_rate,
            orders.gmv,
            orders.discount_total,
            orders.net_sales,
            orders.shipping_total,
            orders.tax_total,
            coalesce(refund_totals.refunded_amount, 0) as refunded_amount,
            orders.units,
            orders.payment_method,
            orders.source_name,
            order_sessions.session_id,
            -- ties on the first timestamp: the smallest order id is the first order
            not orders.is_cancelled
            and orders.ordered_at = first_orders.first_ordered_at
            and orders.order_id = min(case when not orders.is_cancelled then orders.order_id end) over (
                partition by orders.customer_id, orders.ordered_at
            ) as is_first_order
        from orders
        left join refund_totals on refund_totals.order_id = orders.order_id
        left join order_sessions on order_sessions.order_id = orders.order_id
        left join first_orders on first_orders.customer_id = orders.customer_id

    )

select *
from final
