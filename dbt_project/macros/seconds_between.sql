{#- Exact seconds (with fractions) from start_ts to end_ts. dbt.datediff counts
    unit boundaries instead (9.9 s can be 10), which would move the 10 s
    engagement threshold. Decimal, so sums are exact and do not change with
    the order a parallel aggregate adds them in. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'ecom_analytics')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    cast(extract(epoch from ({{ end_ts }} - {{ start_ts }})) as decimal(18, 3))
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    cast((epoch_ms({{ end_ts }}) - epoch_ms({{ start_ts }})) / 1000.0 as decimal(18, 3))
{%- endmacro %}

{% macro spark__seconds_between(start_ts, end_ts) -%}
    cast((unix_millis({{ end_ts }}) - unix_millis({{ start_ts }})) / 1000.0 as decimal(18, 3))
{%- endmacro %}
