with

source as (

    select * from {{ source('shop', 'inventory') }}

),

latest as (

    {{ newest_version('source', ['snapshot_date', 'product_id']) }}

),

final as (

    select
        cast(snapshot_date as date) as snapshot_date,
        product_id,
        cast(on_hand as bigint) as on_hand
    from latest

)

select * from final
