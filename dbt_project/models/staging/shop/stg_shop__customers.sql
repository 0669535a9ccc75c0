with

    source as (select * from {{ source('shop', 'customers') }}),

    latest as ({{ newest_version('source', ['customer_id']) }}),

    final as (

        select
            customer_id,
            {{ to_utc_timestamp('created_at') }} as created_at,
            upper(country) as country,
            coalesce(cast(accepts_marketing as boolean), false) as accepts_marketing,
            coalesce(cast(sms_opt_in as boolean), false) as sms_opt_in,
            coalesce(cast(push_opt_in as boolean), false) as push_opt_in
        from latest

    )

select *
from final
