-- Summed over segments, each day's counts equal kpi_daily's: orders with no
-- session land in 'unknown' instead of vanishing.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily_by_segment'}}}) }}
{%- set measures = ['sessions', 'bounced_sessions', 'engaged_sessions', 'converted_sessions', 'cart_sessions',
                    'orders', 'units_sold', 'gmv', 'net_sales'] %}
with

    segments as (

        select
            date_day,
            {% for measure in measures -%} sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }} {% endfor %}
        from {{ ref('kpi_daily_by_segment') }}
        group by date_day

    ),

    days as (select * from {{ ref('kpi_daily') }})

select
    days.date_day,
    {% for measure in measures -%}
        days.{{ measure }} as daily_{{ measure }},
        segments.{{ measure }} as segments_{{ measure }}{{ ',' if not loop.last }}
    {% endfor %}
from days
left join segments on segments.date_day = days.date_day
where
    {% for measure in measures -%}
        coalesce(segments.{{ measure }}, 0) <> days.{{ measure }}{{ ' or' if not loop.last }}
    {% endfor %}
