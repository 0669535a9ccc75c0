{#- One row per non-cancelled order and per refund of one: what moves a
    customer's net revenue, on the day it happens (refunds on the refund date). -#}
with

    orders as (select * from {{ ref('int_orders_converted_to_reporting_currency') }} where not is_cancelled),

    -- a refund of a cancelled order is left out by the inner join with the
    -- non-cancelled orders below (fct_refunds flags it is_order_cancelled)
    refunds as (select * from {{ ref('int_refunds_converted_to_reporting_currency') }}),

    final as (

        select
            orders.customer_id,
            orders.order_id as activity_id,
            'order' as activity_type,
            orders.ordered_at as activity_at,
            orders.order_date as activity_date,
            orders.net_sales,
            cast(0 as decimal(18, 2)) as refunds
        from orders

        union all

        select
            orders.customer_id,
            refunds.refund_id as activity_id,
            'refund' as activity_type,
            refunds.refunded_at as activity_at,
            refunds.refund_date as activity_date,
            cast(0 as decimal(18, 2)) as net_sales,
            refunds.amount as refunds
        from refunds
        inner join orders on orders.order_id = refunds.order_id

    )

select *
from final
