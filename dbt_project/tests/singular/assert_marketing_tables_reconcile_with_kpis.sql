-- Spend is neither lost nor doubled between the marketing tables and the KPI
-- tables: marketing_daily's and cac_monthly's spend per month equal
-- kpi_monthly's, and cac_monthly's new customers equal kpi_monthly's.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'marketing_daily'}}}) }}
with

    daily as (

        select cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start, sum(spend) as spend
        from {{ ref('marketing_daily') }}
        group by 1

    ),

    cac as (

        select month_start, sum(spend) as spend, sum(new_customers) as new_customers
        from {{ ref('cac_monthly') }}
        group by month_start

    ),

    kpis as (select month_start, marketing_spend, new_customers from {{ ref('kpi_monthly') }})

select
    kpis.month_start,
    kpis.marketing_spend,
    daily.spend as marketing_daily_spend,
    cac.spend as cac_monthly_spend,
    kpis.new_customers,
    cac.new_customers as cac_monthly_new_customers
from kpis
left join daily on daily.month_start = kpis.month_start
left join cac on cac.month_start = kpis.month_start
where
    coalesce(daily.spend, 0) <> kpis.marketing_spend
    or coalesce(cac.spend, 0) <> kpis.marketing_spend
    or coalesce(cac.new_customers, 0) <> kpis.new_customers
