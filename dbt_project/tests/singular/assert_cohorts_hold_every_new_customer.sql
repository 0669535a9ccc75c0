-- Period 0 of every cohort has all its members active, and the cohort sizes
-- add up to the customers who ever ordered and to kpi_monthly's new customers.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'cohort_retention_monthly'}}}) }}
with

    period_zero as (

        select
            sum(cohort_size) as cohort_members,
            sum(case when active_customers <> cohort_size then 1 else 0 end) as incomplete_cohorts
        from {{ ref('cohort_retention_monthly') }}
        where period_number = 0

    ),

    customers as (select count(*) as ordered_customers from {{ ref('dim_customers') }} where has_ordered),

    monthly as (select sum(new_customers) as new_customers from {{ ref('kpi_monthly') }})

select *
from period_zero
cross join customers
cross join monthly
where
    coalesce(period_zero.cohort_members, 0) <> customers.ordered_customers
    or coalesce(period_zero.cohort_members, 0) <> monthly.new_customers
    or period_zero.incomplete_cohorts > 0
