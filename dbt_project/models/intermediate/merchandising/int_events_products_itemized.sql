{#- The products each product event concerns, one row per event x product. Product Clicked,
    Viewed, Added and Removed name one product (properties.product_id, or spec v1's id: staging's
    product_id); Product List Viewed and Checkout Started list theirs in properties.products[]
    (product_id, or v1's id), parsed here, for these events only. -#}
with

    events as (

        select message_id, event_name, product_id, properties
        from {{ ref('stg_tracking__events') }}
        where
            event_name in (
                'Product List Viewed',
                'Product Clicked',
                'Product Viewed',
                'Product Added',
                'Product Removed',
                'Checkout Started'
            )

    ),

    single_products as (

        select message_id, event_name, product_id
        from events
        where event_name not in ('Product List Viewed', 'Checkout Started') and product_id is not null

    ),

    listed_products as (

        select
            message_id,
            event_name,
            {{ unnest_list(json_array_field('properties', '$.products', ['product_id', 'id'])) }} as product_id
        from events
        where event_name in ('Product List Viewed', 'Checkout Started')

    ),

    -- a product listed twice in one event counts once for that event
    final as (

        select distinct message_id, event_name, product_id
        from
            (
                select message_id, event_name, product_id
                from single_products
                union all
                select message_id, event_name, product_id
                from listed_products
                where product_id is not null
            ) as products

    )

select *
from final
