{#- One row per non-cancelled order and per refund of one: what moves a
    customer's net revenue, on the day it happens (refunds on the refund date). -#}
with

orders as (

    select * from {{ ref('fct_orders') }}
    where not is_cancelled

),

refunds as (

    select * from {{ ref('fct_refunds') }}
    where not is_order_cancelled

),

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
    inner join orders
        on orders.order_id = refunds.order_id

)

select * from final
