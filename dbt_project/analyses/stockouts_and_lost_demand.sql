-- Which products ran out of stock, and how much demand met an empty shelf?
-- Product views on stock-out days, and a rough lost-sales estimate: those
-- views x the product's view-to-purchase rate on in-stock days x its price.
with

    inventory as (select * from {{ ref('inventory_daily') }}),

    products as (select * from {{ ref('dim_products') }}),

    product_views as (

        select product_id, event_date, count(*) as views
        from {{ ref('fct_events') }}
        where event_name = 'Product Viewed' and product_id is not null
        group by product_id, event_date

    ),

    units_sold as (

        select product_id, order_date, sum(quantity) as units
        from {{ ref('fct_order_items') }}
        where not is_cancelled
        group by product_id, order_date

    ),

    product_days as (

        select
            inventory.product_id,
            inventory.snapshot_date,
            inventory.is_stockout,
            coalesce(product_views.views, 0) as views,
            coalesce(units_sold.units, 0) as units
        from inventory
        left join
            product_views
            on product_views.product_id = inventory.product_id
            and product_views.event_date = inventory.snapshot_date
        left join
            units_sold
            on units_sold.product_id = inventory.product_id
            and units_sold.order_date = inventory.snapshot_date

    ),

    per_product as (

        select
            product_id,
            sum(case when is_stockout then 1 else 0 end) as stockout_days,
            sum(case when is_stockout then views else 0 end) as views_while_out_of_stock,
            1.0
            * sum(case when not is_stockout then units else 0 end)
            / nullif(sum(case when not is_stockout then views else 0 end), 0) as units_per_view_in_stock
        from product_days
        group by product_id

    ),

    final as (

        select
            per_product.product_id,
            products.title,
            products.category,
            per_product.stockout_days,
            per_product.views_while_out_of_stock,
            round(per_product.units_per_view_in_stock, 4) as units_per_view_in_stock,
            round(
                per_product.views_while_out_of_stock * per_product.units_per_view_in_stock * products.price, 2
            ) as estimated_lost_sales
        from per_product
        inner join products on products.product_id = per_product.product_id
        where per_product.stockout_days > 0

    )

select *
from final
order by estimated_lost_sales desc nulls last, stockout_days desc
