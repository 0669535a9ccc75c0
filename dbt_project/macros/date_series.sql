{#- One row per day from start_date to end_date inclusive, column date_day.
    Both arguments are SQL expressions of type date. -#}
{% macro date_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_series', 'ecom_analytics')(start_date, end_date)) }}
{%- endmacro %}

{#- A recursive CTE (standard SQL), one row per step. -#}
{% macro default__date_series(start_date, end_date) -%}
    select date_day
    from
        (
            with recursive
                days(date_day, last_day) as (
                    select {{ start_date }}, {{ end_date }}
                    union all
                    select cast(date_day + interval '1' day as date), last_day
                    from days
                    where date_day < last_day
                )
            select date_day
            from days
        ) as date_series
{%- endmacro %}

{% macro duckdb__date_series(start_date, end_date) -%}
    select
        cast(
            unnest(
                generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day)
            ) as date
        ) as date_day
{%- endmacro %}

{% macro spark__date_series(start_date, end_date) -%}
    select explode(sequence({{ start_date }}, {{ end_date }}, interval 1 day)) as date_day
{%- endmacro %}
