-- The lines of every order add up to the order exactly: gmv, discount,
-- net_sales and units (an order without lines must have zero GMV).
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_order_items'}}}) }}
with

    lines as (

        select order_id, sum(gmv) as gmv, sum(discount) as discount, sum(net_sales) as net_sales, sum(quantity) as units
        from {{ ref('fct_order_items') }}
        group by order_id

    ),

    orders as (select * from {{ ref('fct_orders') }})

select
    orders.order_id,
    orders.gmv,
    lines.gmv as lines_gmv,
    orders.discount_total,
    lines.discount as lines_discount,
    orders.net_sales,
    lines.net_sales as lines_net_sales,
    orders.units,
    lines.units as lines_units
from orders
left join lines on lines.order_id = orders.order_id
where
    coalesce(lines.gmv, 0) <> orders.gmv
    or (lines.order_id is not null and lines.discount <> orders.discount_total)
    or (lines.order_id is not null and lines.net_sales <> orders.net_sales)
    or coalesce(lines.units, 0) <> orders.units
