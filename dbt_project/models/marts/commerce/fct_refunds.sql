with

refunds as (

    select * from {{ ref('int_refunds_converted_to_reporting_currency') }}

),

final as (

    select
        refund_id,
        order_id,
        refunded_at,
        refund_date,
        amount,
        product_id,
        quantity,
        reason
    from refunds

)

select * from final
