{#- The key an event name is looked up by in the event_name_aliases seed:
    lower case, runs of spaces, underscores and hyphens as one space, trimmed.
    So "Order Completed", "order_completed" and " ORDER  completed" meet. -#}
{% macro normalized_event_name(value) -%}
    {{ return(adapter.dispatch('normalized_event_name', 'ecom_analytics')(value)) }}
{%- endmacro %}

{#- the string literal holds \s as written (standard SQL has no backslash
    escapes; Spark: escapedStringLiterals in profiles.yml), so the regex
    engine reads its whitespace class -#}
{% macro default__normalized_event_name(value) -%}
    trim({{ regex_replace_all('lower(' ~ value ~ ')', "'[\\s_-]+'", "' '") }})
{%- endmacro %}
