with

    source as (select * from {{ source('shop', 'shipments') }}),

    latest as ({{ newest_version('source', ['shipment_id']) }}),

    final as (

        select
            shipment_id,
            order_id,
            carrier,
            {{ to_utc_timestamp('shipped_at') }} as shipped_at,
            {{ to_utc_timestamp('delivered_at') }} as delivered_at,
            cast(weight_kg as double) as weight_kg,
            cast(distance_km as double) as distance_km
        from latest

    )

select *
from final
