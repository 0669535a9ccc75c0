with

    shipments as (select * from {{ ref('stg_shop__shipments') }}),

    orders as (select order_id, ordered_at, order_date, is_cancelled from {{ ref('fct_orders') }}),

    final as (

        select
            shipments.shipment_id,
            shipments.order_id,
            shipments.carrier,
            orders.ordered_at,
            orders.order_date,
            orders.is_cancelled as is_order_cancelled,
            shipments.shipped_at,
            shipments.delivered_at,
            {{ to_reporting_date('shipments.delivered_at') }} as delivered_date,
            -- order to delivery; null until delivered
            {{ seconds_between('orders.ordered_at', 'shipments.delivered_at') }} / 3600.0 as order_cycle_hours,
            shipments.weight_kg,
            shipments.distance_km
        from shipments
        left join orders on orders.order_id = shipments.order_id

    )

select *
from final
