{#- The calendar date of a UTC timestamp in the reporting time zone (var reporting_timezone). -#}
{% macro to_reporting_date(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_reporting_date', 'ecom_analytics')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__to_reporting_date(utc_timestamp) -%} cast({{ utc_timestamp }} as date) {%- endmacro %}

{% macro duckdb__to_reporting_date(utc_timestamp) -%}
    cast(timezone('{{ var("reporting_timezone") }}', {{ utc_timestamp }} at time zone 'UTC') as date)
{%- endmacro %}

{% macro spark__to_reporting_date(utc_timestamp) -%}
    {#- from_utc_timestamp gives the wall-clock time in the zone (the session zone is UTC) -#}
    to_date(from_utc_timestamp({{ utc_timestamp }}, '{{ var("reporting_timezone") }}'))
{%- endmacro %}
