with

    source as (select * from {{ source('shop', 'products') }}),

    latest as ({{ newest_version('source', ['product_id']) }}),

    final as (

        select
            product_id,
            sku,
            title,
            lower(trim(category)) as category,
            trim(brand) as brand,
            cast(price as decimal(18, 2)) as price,
            cast(unit_cost as decimal(18, 2)) as unit_cost
        from latest

    )

select *
from final
