{{ config(post_hook="{{ raise_if_fx_rates_missing(this, 'currency', 'refund_date', 'amount') }}") }}

with

    refunds as (select * from {{ ref('stg_shop__refunds') }}),

    orders as (select order_id, currency from {{ ref('stg_shop__orders') }}),

    fx as (select * from {{ ref('int_fx_rates_valid_ranges') }}),

    refunds_dated as (

        select refunds.*, {{ to_reporting_date('refunds.refunded_at') }} as refund_date, orders.currency
        from refunds
        left join orders on orders.order_id = refunds.order_id

    ),

    final as (

        select
            refunds_dated.refund_id,
            refunds_dated.order_id,
            refunds_dated.refunded_at,
            refunds_dated.refund_date,
            refunds_dated.currency,
            -- converted at the refund date's rate: the money left on that day
            cast(
                round(
                    refunds_dated.amount * {{ fx_rate_to_reporting('refunds_dated.currency', 'refund_fx') }}, 2
                ) as decimal(18, 2)
            ) as amount,
            refunds_dated.product_id,
            refunds_dated.quantity,
            refunds_dated.reason
        from
            refunds_dated
            {{ left_join_fx_rate('fx', 'refund_fx', 'refunds_dated.currency', 'refunds_dated.refund_date') }}

    )

select *
from final
