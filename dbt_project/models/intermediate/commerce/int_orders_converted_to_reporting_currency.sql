{{ config(post_hook="{{ raise_if_fx_rates_missing(this, 'currency', 'order_date', 'fx_rate') }}") }}

with

    orders as (select * from {{ ref('stg_shop__orders') }}),

    order_items as (select * from {{ ref('stg_shop__order_items') }}),

    fx as (select * from {{ ref('int_fx_rates_valid_ranges') }}),

    item_totals as (

        select
            order_id,
            sum(quantity * unit_price) as gmv,
            sum(discount) as line_discounts,
            cast(sum(quantity) as bigint) as units
        from order_items
        group by order_id

    ),

    orders_dated as (select orders.*, {{ to_reporting_date('orders.ordered_at') }} as order_date from orders),

    with_rates as (

        select orders_dated.*, {{ fx_rate_to_reporting('orders_dated.currency', 'order_fx') }} as fx_rate
        from orders_dated {{ left_join_fx_rate('fx', 'order_fx', 'orders_dated.currency', 'orders_dated.order_date') }}

    ),

    local_totals as (

        select
            with_rates.order_id,
            with_rates.customer_id,
            with_rates.ordered_at,
            with_rates.order_date,
            with_rates.status,
            with_rates.status = 'cancelled' as is_cancelled,
            with_rates.currency,
            with_rates.fx_rate,
            coalesce(item_totals.gmv, 0) as gmv_local,
            coalesce(with_rates.discount_total, item_totals.line_discounts, 0) as discount_total_local,
            coalesce(with_rates.shipping_total, 0) as shipping_total_local,
            coalesce(with_rates.tax_total, 0) as tax_total_local,
            coalesce(item_totals.units, 0) as units,
            with_rates.payment_method,
            with_rates.source_name
        from with_rates
        left join item_totals on item_totals.order_id = with_rates.order_id

    ),

    -- each amount converted at the order date's rate and rounded to cents on its
    -- own; net sales are the rounded gmv less the rounded discounts
    converted as (

        select
            *,
            cast(round(gmv_local * fx_rate, 2) as decimal(18, 2)) as gmv,
            cast(round(discount_total_local * fx_rate, 2) as decimal(18, 2)) as discount_total,
            cast(round(shipping_total_local * fx_rate, 2) as decimal(18, 2)) as shipping_total,
            cast(round(tax_total_local * fx_rate, 2) as decimal(18, 2)) as tax_total
        from local_totals

    ),

    final as (select *, gmv - discount_total as net_sales from converted)

select *
from final
