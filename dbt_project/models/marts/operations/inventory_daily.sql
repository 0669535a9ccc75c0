with

    inventory as (select * from {{ ref('stg_shop__inventory') }}),

    products as (select product_id, unit_cost from {{ ref('dim_products') }}),

    final as (

        select
            inventory.snapshot_date,
            inventory.product_id,
            inventory.on_hand,
            -- negative stock is allowed (oversold, landing-contract.md): nothing to ship is a stock-out,
            -- and units sold ahead of stock are no stock to value
            inventory.on_hand <= 0 as is_stockout,
            products.unit_cost,
            cast(greatest(inventory.on_hand, 0) * products.unit_cost as decimal(18, 2)) as inventory_value
        from inventory
        left join products on products.product_id = inventory.product_id

    )

select *
from final
