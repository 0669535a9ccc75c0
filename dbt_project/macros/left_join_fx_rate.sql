{#- A left join to int_fx_rates_valid_ranges (as `fx_alias`) for the rate of
    `currency` in force on `on_date`: the rate of that date, or the nearest
    earlier one when the day has none. -#}
{% macro left_join_fx_rate(fx_relation, fx_alias, currency, on_date) -%}
    left join
        {{ fx_relation }} as {{ fx_alias }}
        on {{ fx_alias }}.currency = {{ currency }}
        and {{ on_date }} >= {{ fx_alias }}.valid_from
        and ({{ fx_alias }}.valid_to is null or {{ on_date }} < {{ fx_alias }}.valid_to)
{%- endmacro %}
