with

    source as (select * from {{ source('shop', 'orders') }}),

    -- restatements: the newest version of each order wins
    latest as ({{ newest_version('source', ['order_id']) }}),

    final as (

        select
            order_id,
            customer_id,
            {{ to_utc_timestamp('created_at') }} as ordered_at,
            lower(status) as status,
            upper(currency) as currency,
            cast(subtotal as decimal(18, 2)) as subtotal,
            cast(discount_total as decimal(18, 2)) as discount_total,
            cast(shipping_total as decimal(18, 2)) as shipping_total,
            cast(tax_total as decimal(18, 2)) as tax_total,
            cast(total as decimal(18, 2)) as total,
            payment_method,
            lower(source_name) as source_name,
            upper(shipping_country) as shipping_country,
            _load_id as load_id
        from latest

    )

select *
from final
