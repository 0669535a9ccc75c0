{#- Generic test for a ratio column (docs/design/kpi-definitions.md, "Ratios"):
    a ratio is null exactly when its denominator is 0 or null (nothing to
    divide), 0 when its numerator is 0 over a denominator that is not, and
    otherwise scale * numerator / denominator within `tolerance` (relative to
    the larger of 1 and the expected value; none skips the value check).
    Fails every row that breaks one of these: the model's columns, the three
    values as doubles and the reason (column failure). Portable SQL (DuckDB, Spark). -#}
{% test ratio_is_consistent(model, column_name, numerator, denominator, scale=1, tolerance=0.000001) %}

    with

        checked as (

            select
                *,
                cast({{ column_name }} as double) as ratio_value,
                cast({{ numerator }} as double) as numerator_value,
                cast({{ denominator }} as double) as denominator_value
            from {{ model }}

        ),

        failures as (

            select
                *,
                case
                    when (denominator_value = 0 or denominator_value is null) and ratio_value is not null
                    then 'a ratio where the denominator is 0 or null'
                    when denominator_value <> 0 and ratio_value is null
                    then 'a null ratio over a denominator that is not 0 (zero-fill its numerator)'
                    when numerator_value = 0 and denominator_value <> 0 and ratio_value <> 0
                    then 'a ratio that is not 0 over a 0 numerator'
                    {% if tolerance is not none -%}
                        when
                            denominator_value <> 0
                            and (
                                numerator_value is null
                                or abs(ratio_value - {{ scale }} * numerator_value / denominator_value)
                                > {{ tolerance }}
                                * greatest(cast(1 as double), abs({{ scale }} * numerator_value / denominator_value))
                            )
                        then 'a ratio that differs from {{ scale }} x numerator / denominator'
                    {%- endif %}
                end as failure
            from checked

        )

    select *
    from failures
    where failure is not null

{% endtest %}
