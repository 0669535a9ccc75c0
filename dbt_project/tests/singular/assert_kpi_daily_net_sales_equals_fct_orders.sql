-- The sum of kpi_daily.net_sales equals the non-cancelled fct_orders.net_sales
-- (and likewise orders and GMV): no order is lost or counted twice on the way
-- to the daily table. Returns a row when they differ.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
with

    daily as (select sum(orders) as orders, sum(gmv) as gmv, sum(net_sales) as net_sales from {{ ref('kpi_daily') }}),

    orders as (

        select count(*) as orders, coalesce(sum(gmv), 0) as gmv, coalesce(sum(net_sales), 0) as net_sales
        from {{ ref('fct_orders') }}
        where not is_cancelled

    )

select
    daily.orders as daily_orders,
    orders.orders as fct_orders,
    daily.gmv as daily_gmv,
    orders.gmv as fct_gmv,
    daily.net_sales as daily_net_sales,
    orders.net_sales as fct_net_sales
from daily
cross join orders
where
    coalesce(daily.orders, 0) <> orders.orders
    or coalesce(daily.gmv, 0) <> orders.gmv
    or coalesce(daily.net_sales, 0) <> orders.net_sales
