{{ config(schema='intermediate') }}

{#- One row per month with any shipment, snapshot, ticket, review, NPS
    response or app install: the operations, satisfaction and app measures
    of kpi_monthly, each on its own date (reporting time zone). -#}
with

    shipments as (

        select *
        from {{ ref('fct_shipments') }}
        where delivered_at is not null and not coalesce(is_order_cancelled, false)

    ),

    inventory as (select * from {{ ref('inventory_daily') }}),

    order_items as (select * from {{ ref('fct_order_items') }} where not is_cancelled),

    products as (select product_id, unit_cost from {{ ref('dim_products') }}),

    tickets as (select * from {{ ref('stg_shop__support_tickets') }}),

    reviews as (select * from {{ ref('stg_shop__reviews') }}),

    nps as (select * from {{ ref('stg_shop__nps_responses') }}),

    installs as (select event_date from {{ ref('fct_events') }} where event_name = 'Application Installed'),

    -- cycle time by the order's month (kpi-definitions.md)
    cycle_months as (

        select
            cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
            {{ percentile_cont('order_cycle_hours', 0.5) }} as order_cycle_hours_median,
            {{ percentile_cont('order_cycle_hours', 0.9) }} as order_cycle_hours_p90
        from shipments
        where order_date is not null
        group by 1

    ),

    inventory_days as (

        select snapshot_date, sum(inventory_value) as inventory_value from inventory group by snapshot_date

    ),

    inventory_months as (

        select
            cast({{ dbt.date_trunc('month', 'inventory.snapshot_date') }} as date) as month_start,
            count(*) as product_days,
            sum(case when inventory.is_stockout then 1 else 0 end) as stockout_product_days
        from inventory
        group by 1

    ),

    inventory_value_months as (

        select
            cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as month_start,
            avg(inventory_value) as average_inventory_value
        from inventory_days
        group by 1

    ),

    cogs_months as (

        select
            cast({{ dbt.date_trunc('month', 'order_items.order_date') }} as date) as month_start,
            sum(order_items.quantity * products.unit_cost) as cogs
        from order_items
        inner join products on products.product_id = order_items.product_id
        group by 1

    ),

    ticket_months as (

        select
            cast({{ dbt.date_trunc('month', to_reporting_date('created_at')) }} as date) as month_start,
            sum(case when category = 'complaint' then 1 else 0 end) as complaint_tickets
        from tickets
        group by 1

    ),

    review_months as (

        select
            cast({{ dbt.date_trunc('month', to_reporting_date('created_at')) }} as date) as month_start,
            count(*) as reviews,
            avg(cast(rating as double)) as avg_rating
        from reviews
        group by 1

    ),

    nps_months as (

        select
            cast({{ dbt.date_trunc('month', to_reporting_date('responded_at')) }} as date) as month_start,
            count(*) as nps_responses,
            sum(case when score >= 9 then 1 else 0 end) as promoters,
            sum(case when score <= 6 then 1 else 0 end) as detractors
        from nps
        group by 1

    ),

    install_months as (

        select cast({{ dbt.date_trunc('month', 'event_date') }} as date) as month_start, count(*) as app_installs
        from installs
        group by 1

    ),

    months as (

        select month_start
        from cycle_months
        union
        select month_start
        from inventory_months
        union
        select month_start
        from cogs_months
        union
        select month_start
        from ticket_months
        union
        select month_start
        from review_months
        union
        select month_start
        from nps_months
        union
        select month_start
        from install_months

    ),

    final as (

        select
            months.month_start,
            cycle_months.order_cycle_hours_median,
            cycle_months.order_cycle_hours_p90,
            coalesce(inventory_months.product_days, 0) as product_days,
            coalesce(inventory_months.stockout_product_days, 0) as stockout_product_days,
            cast(coalesce(cogs_months.cogs, 0) as decimal(18, 2)) as cogs,
            inventory_value_months.average_inventory_value,
            coalesce(ticket_months.complaint_tickets, 0) as complaint_tickets,
            coalesce(review_months.reviews, 0) as reviews,
            review_months.avg_rating,
            coalesce(nps_months.nps_responses, 0) as nps_responses,
            coalesce(nps_months.promoters, 0) as nps_promoters,
            coalesce(nps_months.detractors, 0) as nps_detractors,
            coalesce(install_months.app_installs, 0) as app_installs
        from months
        left join cycle_months on cycle_months.month_start = months.month_start
        left join inventory_months on inventory_months.month_start = months.month_start
        left join inventory_value_months on inventory_value_months.month_start = months.month_start
        left join cogs_months on cogs_months.month_start = months.month_start
        left join ticket_months on ticket_months.month_start = months.month_start
        left join review_months on review_months.month_start = months.month_start
        left join nps_months on nps_months.month_start = months.month_start
        left join install_months on install_months.month_start = months.month_start

    )

select *
from final
