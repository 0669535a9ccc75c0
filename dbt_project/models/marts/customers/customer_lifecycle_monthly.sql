with

    customers as (select customer_id, cohort_month from {{ ref('dim_customers') }} where has_ordered),

    orders as (select * from {{ ref('int_customer_activity_unioned') }} where activity_type = 'order'),

    as_of as (

        select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
        from {{ ref('int_as_of_date_resolved') }}

    ),

    ordering_months as (

        select distinct customer_id, cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month_start
        from orders

    ),

    -- every month a status can fall in: the months with an order, and the
    -- month after each (dormant if empty), up to the as-of month
    candidate_months as (

        select customer_id, month_start
        from ordering_months

        union

        select
            ordering_months.customer_id,
            cast({{ dbt.dateadd('month', 1, 'ordering_months.month_start') }} as date) as month_start
        from ordering_months
        cross join as_of
        where cast({{ dbt.dateadd('month', 1, 'ordering_months.month_start') }} as date) <= as_of.as_of_month

    ),

    flagged as (

        select
            candidate_months.customer_id,
            candidate_months.month_start,
            customers.cohort_month,
            this_month.customer_id is not null as ordered_this_month,
            last_month.customer_id is not null as ordered_last_month
        from candidate_months
        inner join customers on customers.customer_id = candidate_months.customer_id
        left join
            ordering_months as this_month
            on this_month.customer_id = candidate_months.customer_id
            and this_month.month_start = candidate_months.month_start
        left join
            ordering_months as last_month
            on last_month.customer_id = candidate_months.customer_id
            and cast({{ dbt.dateadd('month', 1, 'last_month.month_start') }} as date) = candidate_months.month_start

    ),

    final as (

        select
            customer_id,
            month_start,
            case
                when month_start = cohort_month
                then 'new'
                when ordered_this_month and ordered_last_month
                then 'returning'
                when ordered_this_month
                then 'resurrected'
                else 'dormant'
            end as lifecycle_status
        from flagged

    )

select *
from final
