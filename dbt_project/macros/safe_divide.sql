{#- numerator / denominator as a double, null when the denominator is 0 or null (ratios in KPI
    tables). A null numerator gives null too: where null means "nothing happened" (a left join
    that found no refunds, no tickets, ...), pass coalesce(numerator, 0), so that the ratio is 0
    over a denominator that is not 0 (docs/design/kpi-definitions.md, "Ratios"). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}
