{#- var as_of_date, else the latest date with any event or order: never the
    wall clock, so a rebuild gives the same answer. -#}
with

    order_dates as (select max(order_date) as latest_date from {{ ref('int_orders_converted_to_reporting_currency') }}),

    event_dates as (

        -- the local date is monotonic in the UTC time: convert the maximum only, not every event
        select {{ to_reporting_date('max(event_at)') }} as latest_date from {{ ref('stg_tracking__events') }}

    ),

    final as (

        select
            {% if var('as_of_date') %} cast('{{ var("as_of_date") }}' as date) as as_of_date
            {% else %}
                cast(
                    greatest(
                        coalesce(order_dates.latest_date, event_dates.latest_date),
                        coalesce(event_dates.latest_date, order_dates.latest_date)
                    ) as date
                ) as as_of_date
            {% endif %}
        from order_dates
        cross join event_dates

    )

select *
from final
