{#- Body of a cohort retention table: one row per cohort x period from 0 to
    the as-of date's period, zeros included. `grain` is 'month' or 'week'
    (ISO weeks, Monday); the cohort column is cohort_<grain>. -#}
{% macro cohort_retention(grain) -%}
    with

        customers as (

            select customer_id, cohort_{{ grain }} as cohort_start from {{ ref('dim_customers') }} where has_ordered

        ),

        activity as (

            select
                customer_id,
                activity_type,
                cast({{ dbt.date_trunc(grain, 'activity_date') }} as date) as period_start,
                net_sales - refunds as net_revenue
            from {{ ref('int_customer_activity_unioned') }}

        ),

        as_of as (

            select cast({{ dbt.date_trunc(grain, 'as_of_date') }} as date) as as_of_period
            from {{ ref('int_as_of_date_resolved') }}

        ),

        cohorts as (select cohort_start, count(*) as cohort_size from customers group by cohort_start),

        days as ({{ date_series('(select min(cohort_start) from cohorts)', '(select as_of_period from as_of)') }}),

        periods as (

            select date_day as period_start
            from days
            where cast({{ dbt.date_trunc(grain, 'date_day') }} as date) = date_day

        ),

        cohort_periods as (

            select
                cohorts.cohort_start,
                cohorts.cohort_size,
                periods.period_start,
                {{ dbt.datediff('cohorts.cohort_start', 'periods.period_start', grain) }} as period_number
            from cohorts
            inner join periods on periods.period_start >= cohorts.cohort_start

        ),

        period_activity as (

            select
                customers.cohort_start,
                activity.period_start,
                count(
                    distinct case when activity.activity_type = 'order' then activity.customer_id end
                ) as active_customers,
                sum(activity.net_revenue) as net_revenue
            from activity
            inner join customers on customers.customer_id = activity.customer_id
            group by customers.cohort_start, activity.period_start

        ),

        final as (

            select
                cohort_periods.cohort_start as cohort_{{ grain }},
                cast(cohort_periods.period_number as integer) as period_number,
                cohort_periods.period_start,
                cast(cohort_periods.cohort_size as bigint) as cohort_size,
                cast(coalesce(period_activity.active_customers, 0) as bigint) as active_customers,
                {{ safe_divide('coalesce(period_activity.active_customers, 0)', 'cohort_periods.cohort_size') }}
                as retention_rate,
                cast(coalesce(period_activity.net_revenue, 0) as decimal(18, 2)) as net_revenue,
                cast(
                    sum(coalesce(period_activity.net_revenue, 0)) over (
                        partition by cohort_periods.cohort_start
                        order by cohort_periods.period_start
                        rows between unbounded preceding and current row
                    ) as decimal(18, 2)
                ) as cumulative_net_revenue,
                {{ safe_divide(
            'sum(coalesce(period_activity.net_revenue, 0)) over (
                partition by cohort_periods.cohort_start
                order by cohort_periods.period_start
                rows between unbounded preceding and current row
            )',
            'cohort_periods.cohort_size'
        ) }} as cumulative_net_revenue_per_customer
            from cohort_periods
            left join
                period_activity
                on period_activity.cohort_start = cohort_periods.cohort_start
                and period_activity.period_start = cohort_periods.period_start

        )

    select *
    from final
{%- endmacro %}
