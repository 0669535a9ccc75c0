with

    -- every Order Completed event, sessions or not (a server-side one counts too)
    order_events as (

        select message_id, event_at, order_id, coupon_code
        from {{ ref('int_events_merchandising_extracted') }}
        where event_name = 'Order Completed' and order_id is not null

    ),

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled),

    -- an order's coupon: that of its first Order Completed event (by time, then messageId)
    order_coupons as (

        select order_id, {{ first_by('coupon_code', ['event_at', 'message_id']) }} as coupon_code
        from order_events
        group by order_id

    ),

    final as (

        select
            order_coupons.coupon_code,
            cast(count(*) as bigint) as orders,
            cast(count(distinct orders.customer_id) as bigint) as customers,
            min(orders.order_date) as first_order_date,
            max(orders.order_date) as last_order_date,
            cast(sum(orders.gmv) as decimal(18, 2)) as gmv,
            cast(sum(orders.discount_total) as decimal(18, 2)) as discounts,
            cast(sum(orders.net_sales) as decimal(18, 2)) as net_sales
        from order_coupons
        inner join orders on orders.order_id = order_coupons.order_id
        where order_coupons.coupon_code is not null
        group by order_coupons.coupon_code

    )

select *
from final
