with

    source as (select * from {{ source('shop', 'reviews') }}),

    latest as ({{ newest_version('source', ['review_id']) }}),

    final as (

        select
            review_id,
            product_id,
            cast(rating as integer) as rating,
            {{ to_utc_timestamp('created_at') }} as created_at,
            customer_id
        from latest

    )

select *
from final
