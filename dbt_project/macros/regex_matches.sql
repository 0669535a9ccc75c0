{#- True when the text holds a match of the regular expression (both SQL
    expressions); anchor the pattern with ^ and $ for a whole-text match. -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'ecom_analytics')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%} regexp_like({{ value }}, {{ pattern }}) {%- endmacro %}

{% macro duckdb__regex_matches(value, pattern) -%} regexp_matches({{ value }}, {{ pattern }}) {%- endmacro %}

{% macro spark__regex_matches(value, pattern) -%}({{ value }} rlike {{ pattern }}) {%- endmacro %}
