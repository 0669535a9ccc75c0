with

source as (

    select * from {{ source('shop', 'refunds') }}

),

latest as (

    select *
    from (
        select
            *,
            row_number() over (partition by refund_id order by _load_id desc, _file desc, _line desc) as version_rank
        from source
    ) as ranked
    where version_rank = 1

),

final as (

    select
        refund_id,
        order_id,
        {{ to_utc_timestamp('created_at') }} as refunded_at,
        -- in the currency of the refunded order (the refunds export has no currency column)
        cast(amount as decimal(18, 2)) as amount,
        product_id,
        cast(quantity as integer) as quantity,
        reason
    from latest

)

select * from final
