with

    source as (select * from {{ source('shop', 'inventory') }}),

    latest as (

        -- the key as typed: a date the loader stored before it wrote dates as ISO text is still one day
        {{ newest_version('source', ['cast(snapshot_date as date)', 'product_id']) }}

    ),

    final as (

        select cast(snapshot_date as date) as snapshot_date, product_id, cast(on_hand as bigint) as on_hand from latest

    )

select *
from final
