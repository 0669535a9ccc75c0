with

    refunds as (select * from {{ ref('int_refunds_converted_to_reporting_currency') }}),

    orders as (select order_id, is_cancelled from {{ ref('int_orders_converted_to_reporting_currency') }}),

    final as (

        select
            refunds.refund_id,
            refunds.order_id,
            refunds.refunded_at,
            refunds.refund_date,
            refunds.amount,
            refunds.product_id,
            refunds.quantity,
            refunds.reason,
            -- a refund of a cancelled order gives back money that never counted
            -- as sales: kept here, left out of refund KPIs
            coalesce(orders.is_cancelled, false) as is_order_cancelled
        from refunds
        left join orders on orders.order_id = refunds.order_id

    )

select *
from final
