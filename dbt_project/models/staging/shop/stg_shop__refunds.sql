with

    source as (select * from {{ source('shop', 'refunds') }}),

    latest as ({{ newest_version('source', ['refund_id']) }}),

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

select *
from final
