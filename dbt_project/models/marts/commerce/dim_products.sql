with

    products as (select * from {{ ref('stg_shop__products') }}),

    final as (select product_id, sku, title, category, brand, price, unit_cost from products)

select *
from final
