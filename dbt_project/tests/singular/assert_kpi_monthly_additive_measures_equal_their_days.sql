-- Every additive kpi_monthly measure equals the sum of its kpi_daily days.
-- Returns the months and measures that differ.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_monthly'}}}) }}
{%- set measures = ['sessions', 'bounced_sessions', 'engaged_sessions', 'total_session_duration_seconds',
                    'converted_sessions', 'cart_sessions', 'abandoned_cart_sessions', 'checkout_sessions',
                    'abandoned_checkout_sessions', 'mobile_sessions', 'orders', 'units_sold', 'gmv', 'discounts', 'net_sales',
                    'refunds', 'net_revenue', 'new_customers', 'marketing_spend'] %}
with

    days as (

        select
            cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
            {% for measure in measures -%} sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }} {% endfor %}
        from {{ ref('kpi_daily') }}
        group by 1

    ),

    months as (select * from {{ ref('kpi_monthly') }})

{% for measure in measures -%}
    select
        coalesce(months.month_start, days.month_start) as month_start,
        '{{ measure }}' as measure,
        months.{{ measure }} as monthly_value,
        days.{{ measure }} as sum_of_days
    from months
    full outer join days on days.month_start = months.month_start
    where
        months.month_start is null or days.month_start is null or months.{{ measure }} <> days.{{ measure }}
        {{ 'union all' if not loop.last }}
{% endfor %}
