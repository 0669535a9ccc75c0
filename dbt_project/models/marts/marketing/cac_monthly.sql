with

    marketing as (select * from {{ ref('marketing_daily') }}),

    customers as (select * from {{ ref('dim_customers') }} where has_ordered),

    spend_months as (

        select
            cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start, channel_group, sum(spend) as spend
        from marketing
        group by 1, 2

    ),

    customer_months as (

        select cohort_month as month_start, acquisition_channel as channel_group, count(*) as new_customers
        from customers
        group by 1, 2

    ),

    row_keys as (

        select month_start, channel_group
        from spend_months
        union
        select month_start, channel_group
        from customer_months

    ),

    final as (

        select
            row_keys.month_start,
            row_keys.channel_group,
            cast(coalesce(spend_months.spend, 0) as decimal(18, 2)) as spend,
            cast(coalesce(customer_months.new_customers, 0) as bigint) as new_customers,
            {{ safe_divide('coalesce(spend_months.spend, 0)', 'customer_months.new_customers') }} as cac
        from row_keys
        left join
            spend_months
            on spend_months.month_start = row_keys.month_start
            and spend_months.channel_group = row_keys.channel_group
        left join
            customer_months
            on customer_months.month_start = row_keys.month_start
            and customer_months.channel_group = row_keys.channel_group

    )

select *
from final
