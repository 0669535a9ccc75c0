with

    order_items as (select * from {{ ref('stg_shop__order_items') }}),

    orders_local as (select * from {{ ref('stg_shop__orders') }}),

    orders as (select * from {{ ref('fct_orders') }}),

    lines as (

        select
            order_items.order_id,
            order_items.line_id,
            order_items.product_id,
            order_items.quantity,
            order_items.unit_price as unit_price_local,
            orders.currency,
            orders.fx_rate,
            order_items.quantity * order_items.unit_price as gmv_local,
            -- the order's discount_total wins over line discounts (kpi-definitions):
            -- spread over the lines by their share of the order's GMV
            case
                when orders_local.discount_total is not null
                then
                    orders_local.discount_total
                    * (order_items.quantity * order_items.unit_price)
                    / nullif(
                        sum(order_items.quantity * order_items.unit_price) over (partition by order_items.order_id), 0
                    )
                else order_items.discount
            end as discount_local,
            row_number() over (
                partition by order_items.order_id
                order by order_items.quantity * order_items.unit_price desc, order_items.line_id
            ) as line_rank
        from order_items
        inner join orders on orders.order_id = order_items.order_id
        inner join orders_local on orders_local.order_id = order_items.order_id

    ),

    rounded as (

        select
            *,
            cast(round(gmv_local * fx_rate, 2) as decimal(18, 2)) as gmv_rounded,
            cast(round(coalesce(discount_local, 0) * fx_rate, 2) as decimal(18, 2)) as discount_rounded
        from lines

    ),

    -- cents lost to rounding each line go to the order's largest line, so the
    -- lines add up to fct_orders exactly
    allocated as (

        select
            rounded.order_id,
            rounded.line_id,
            rounded.product_id,
            orders.customer_id,
            orders.order_date,
            orders.is_cancelled,
            rounded.quantity,
            rounded.currency,
            rounded.unit_price_local,
            cast(round(rounded.unit_price_local * rounded.fx_rate, 2) as decimal(18, 2)) as unit_price,
            cast(
                rounded.gmv_rounded + case
                    when rounded.line_rank = 1
                    then orders.gmv - sum(rounded.gmv_rounded) over (partition by rounded.order_id)
                    else 0
                end as decimal(18, 2)
            ) as gmv,
            cast(
                rounded.discount_rounded + case
                    when rounded.line_rank = 1
                    then orders.discount_total - sum(rounded.discount_rounded) over (partition by rounded.order_id)
                    else 0
                end as decimal(18, 2)
            ) as discount
        from rounded
        inner join orders on orders.order_id = rounded.order_id

    ),

    final as (select *, cast(gmv - discount as decimal(18, 2)) as net_sales from allocated)

select *
from final
