with

source as (

    select * from {{ source('shop', 'order_items') }}

),

latest as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by order_id, line_id order by _load_id desc, _file desc, _line desc
            ) as version_rank
        from source
    ) as ranked
    where version_rank = 1

),

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

select * from final
