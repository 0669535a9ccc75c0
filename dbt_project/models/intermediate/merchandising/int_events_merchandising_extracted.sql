{#- The fields of the search, promotion and order events that the loader keeps only inside
    properties (one row per such event): the search query, the promotion, the coupon. Parsed
    here, for these events only. -#}
with

    events as (

        select message_id, event_name, event_at, order_id, properties
        from {{ ref('stg_tracking__events') }}
        where event_name in ('Products Searched', 'Promotion Viewed', 'Promotion Clicked', 'Order Completed')

    ),

    extracted as (

        select
            message_id,
            event_name,
            event_at,
            order_id,
            -- trimmed and lowercased, so "Shoes " and "shoes" are one term; an email address, phone
            -- number or IP address typed into the search box is masked as in URLs (docs/marts.md,
            -- Personal data)
            case
                when event_name = 'Products Searched'
                then lower({{ masked_personal_data(blank_as_null(json_text('properties', '$.query'))) }})
            end as search_term,
            case
                when event_name like 'Promotion %' then {{ blank_as_null(json_text('properties', '$.promotion_id')) }}
            end as promotion_id,
            case
                when event_name like 'Promotion %' then {{ blank_as_null(json_text('properties', '$.name')) }}
            end as promotion_name,
            -- codes compare in any case: stored uppercased
            case
                when event_name = 'Order Completed' then upper({{ blank_as_null(json_text('properties', '$.coupon')) }})
            end as coupon_code
        from events

    ),

    final as (select * from extracted)

select *
from final
