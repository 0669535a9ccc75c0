with

    source as (select * from {{ source('shop', 'nps_responses') }}),

    latest as ({{ newest_version('source', ['response_id']) }}),

    final as (

        select
            response_id,
            cast(score as integer) as score,
            {{ to_utc_timestamp('responded_at') }} as responded_at,
            customer_id
        from latest

    )

select *
from final
