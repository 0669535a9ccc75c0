{#- In a select list: one output row per element of the list expression (rows whose list is null
    or empty give none). -#}
{% macro unnest_list(list_expression) -%}
    {{ return(adapter.dispatch('unnest_list', 'ecom_analytics')(list_expression)) }}
{%- endmacro %}

{% macro default__unnest_list(list_expression) -%} unnest({{ list_expression }}) {%- endmacro %}

{% macro spark__unnest_list(list_expression) -%} explode({{ list_expression }}) {%- endmacro %}
