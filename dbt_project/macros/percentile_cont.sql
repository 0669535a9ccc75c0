{#- Continuous percentile (linear interpolation between the two nearest
    values, like Excel's PERCENTILE.INC) of `expression`, `fraction` in 0..1. -#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'ecom_analytics')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%} percentile({{ expression }}, {{ fraction }}) {%- endmacro %}
