-- product_daily's orders, units and money per day and product equal fct_order_items' non-cancelled
-- lines exactly (no row lost or invented on either side). Returns the rows that differ.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'product_daily'}}}) }}
with

    items as (

        select
            order_date as date_day,
            product_id,
            count(distinct order_id) as orders,
            sum(quantity) as units_sold,
            sum(gmv) as gmv,
            sum(net_sales) as net_sales
        from {{ ref('fct_order_items') }}
        where not is_cancelled
        group by order_date, product_id

    ),

    products as (

        select date_day, product_id, orders, units_sold, gmv, net_sales
        from {{ ref('product_daily') }}
        where orders <> 0 or units_sold <> 0 or gmv <> 0 or net_sales <> 0

    ),

    final as (

        select
            coalesce(items.date_day, products.date_day) as date_day,
            coalesce(items.product_id, products.product_id) as product_id,
            items.units_sold as item_units,
            products.units_sold as product_daily_units,
            items.net_sales as item_net_sales,
            products.net_sales as product_daily_net_sales
        from items
        full outer join products on products.date_day = items.date_day and products.product_id = items.product_id
        where
            items.product_id is null
            or products.product_id is null
            or items.orders <> products.orders
            or items.units_sold <> products.units_sold
            or items.gmv <> products.gmv
            or items.net_sales <> products.net_sales

    )

select *
from final
