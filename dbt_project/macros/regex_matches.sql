{#- True when the whole text matches the regular expression (both SQL expressions). -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'ecom_analytics')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%} ({{ value }} rlike {{ pattern }}) {%- endmacro %}

{% macro duckdb__regex_matches(value, pattern) -%} regexp_matches({{ value }}, {{ pattern }}) {%- endmacro %}
