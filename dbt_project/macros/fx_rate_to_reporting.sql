{#- Units of reporting currency per unit of `currency`, from the rate that
    left_join_fx_rate joined (alias `from_fx`). An amount already in the
    reporting currency needs no rate, on any date; otherwise the result is
    null when no rate is in force, and the converted model's post-hook
    (raise_if_fx_rates_missing) stops the build naming the currency and date. -#}
{% macro fx_rate_to_reporting(currency, from_fx) -%}
    case when {{ currency }} = '{{ var("reporting_currency") }}' then 1.0 else {{ from_fx }}.reporting_per_unit end
{%- endmacro %}
