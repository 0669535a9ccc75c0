{#- numerator / denominator, null when the denominator is 0 or null (ratios in KPI tables). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}
