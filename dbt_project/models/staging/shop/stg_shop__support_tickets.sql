with

    source as (select * from {{ source('shop', 'support_tickets') }}),

    latest as ({{ newest_version('source', ['ticket_id']) }}),

    final as (

        select
            ticket_id,
            {{ to_utc_timestamp('created_at') }} as created_at,
            lower(trim(category)) as category,
            customer_id,
            order_id,
            lower(trim(status)) as status
        from latest

    )

select *
from final
