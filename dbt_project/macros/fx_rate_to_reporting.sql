{#- Units of reporting currency per unit of `currency`, from the two rates that
    left_join_fx_rate joined (aliases `from_fx` and `reporting_fx`). An amount
    already in the reporting currency needs no rate, on any date; otherwise the
    result is null when a rate is missing, and the not_null test on the
    converted model stops the build. -#}
{% macro fx_rate_to_reporting(currency, from_fx, reporting_fx) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}' then 1.0
        else {{ from_fx }}.usd_per_unit / {{ reporting_fx }}.usd_per_unit
    end
{%- endmacro %}
