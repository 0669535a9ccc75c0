-- How much is a customer worth n months after the first order, per cohort?
-- Cumulative net revenue per cohort member: the curves a CLV forecast starts from.
-- Net revenue is net sales - refunds by refund date, so a month with more
-- refunds than sales bends a curve down.
with

    cohorts as (select * from {{ ref('cohort_retention_monthly') }}),

    final as (

        select
            cohort_month,
            period_number as months_since_first_order,
            cohort_size,
            retention_rate,
            cumulative_net_revenue,
            round(cumulative_net_revenue_per_customer, 2) as cumulative_net_revenue_per_customer
        from cohorts

    )

select *
from final
order by cohort_month, months_since_first_order
