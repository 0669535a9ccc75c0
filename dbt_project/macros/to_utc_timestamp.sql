{#- ISO 8601 text with or without an offset -> a UTC timestamp without time zone. -#}
{% macro to_utc_timestamp(text_column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'ecom_analytics')(text_column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(text_column) -%} cast({{ text_column }} as timestamp) {%- endmacro %}

{% macro duckdb__to_utc_timestamp(text_column) -%}
    {#- A plain cast to timestamp would drop the offset instead of applying it. -#}
    (cast({{ text_column }} as timestamptz) at time zone 'UTC')
{%- endmacro %}
