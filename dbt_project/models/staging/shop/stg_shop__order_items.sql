with

    source as (select * from {{ source('shop', 'order_items') }}),

    latest as ({{ newest_version('source', ['order_id', 'line_id']) }}),

    final as (

        select
            order_id,
            line_id,
            product_id,
            cast(quantity as integer) as quantity,
            cast(unit_price as decimal(18, 2)) as unit_price,
            cast(coalesce(discount, '0') as decimal(18, 2)) as discount
        from latest

    )

select *
from final
