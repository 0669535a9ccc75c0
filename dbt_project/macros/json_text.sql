{#- The text of one field of a JSON object kept as text (stg_tracking__events.properties), null when
    absent: the few fields a mart needs beyond the ones the loader extracts. `path` is a JSONPath
    such as '$.query' (a SQL string literal without its quotes). -#}
{% macro json_text(json_column, path) -%}
    {{ return(adapter.dispatch('json_text', 'ecom_analytics')(json_column, path)) }}
{%- endmacro %}

{% macro default__json_text(json_column, path) -%} json_value({{ json_column }}, '{{ path }}') {%- endmacro %}

{% macro duckdb__json_text(json_column, path) -%} json_extract_string({{ json_column }}, '{{ path }}') {%- endmacro %}

{% macro spark__json_text(json_column, path) -%} get_json_object({{ json_column }}, '{{ path }}') {%- endmacro %}
