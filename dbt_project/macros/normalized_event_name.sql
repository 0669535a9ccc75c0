{#- The key an event name is looked up by in the event_name_aliases seed:
    lower case, runs of spaces, underscores and hyphens as one space, trimmed.
    So "Order Completed", "order_completed" and " ORDER  completed" meet. -#}
{% macro normalized_event_name(value) -%}
    {{ return(adapter.dispatch('normalized_event_name', 'ecom_analytics')(value)) }}
{%- endmacro %}

{#- the pattern reaches the regex engine as written on both engines (Spark:
    escapedStringLiterals in profiles.yml), so \s is the regex's whitespace -#}
{% macro default__normalized_event_name(value) -%}
    trim(regexp_replace(lower({{ value }}), '[\s_-]+', ' '))
{%- endmacro %}

{% macro duckdb__normalized_event_name(value) -%}
    trim(regexp_replace(lower({{ value }}), '[\s_-]+', ' ', 'g'))
{%- endmacro %}
