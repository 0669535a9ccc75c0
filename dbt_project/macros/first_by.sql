{#- The value of `value` at the row that comes first by `order_columns` (a
    list of column expressions, compared in order), among the rows of the
    group where `condition` holds (all rows by default), null values of
    `value` included. An aggregate: one pass, no window over the rows. -#}
{% macro first_by(value, order_columns, condition=none) -%}
    {{ return(adapter.dispatch('first_by', 'ecom_analytics')(value, order_columns, condition)) }}
{%- endmacro %}

{#- standard SQL: the first element of the ordered array of the values (array_agg keeps nulls) -#}
{% macro default__first_by(value, order_columns, condition) -%}
    (
        array_agg({{ value }} order by {{ order_columns | join(', ') }})
        {% if condition %} filter (where {{ condition }}){% endif %}
    )[1]
{%- endmacro %}

{#- arg_min_null: arg_min would skip the rows whose value is null -#}
{% macro duckdb__first_by(value, order_columns, condition) -%}
    arg_min_null({{ value }}, ({{ order_columns | join(', ') }}))
    {% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{#- min_by over a struct: the structs compare field by field, and min_by keeps a null value -#}
{% macro spark__first_by(value, order_columns, condition) -%}
    min_by({{ value }}, struct({{ order_columns | join(', ') }}))
    {% if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}
