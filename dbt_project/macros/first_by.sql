{#- The value of `value` at the row that comes first by `order_columns` (a
    list of column expressions, compared in order), among the rows of the
    group where `condition` holds (all rows by default), null values of
    `value` included. An aggregate: one pass, no window over the rows. -#}
{% macro first_by(value, order_columns, condition=none) -%}
    {{ return(adapter.dispatch('first_by', 'ecom_analytics')(value, order_columns, condition)) }}
{%- endmacro %}

{% macro default__first_by(value, order_columns, condition) -%}
    min_by({{ value }}, struct({{ order_columns | join(', ') }}))
    {% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{#- arg_min_null: arg_min would skip the rows whose value is null -#}
{% macro duckdb__first_by(value, order_columns, condition) -%}
    arg_min_null({{ value }}, ({{ order_columns | join(', ') }}))
    {% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}
