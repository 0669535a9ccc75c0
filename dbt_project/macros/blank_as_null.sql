{#- A text value trimmed of spaces, tabs and line breaks; "" and whitespace-only
    become null. Real senders write "no value" as "": a browser's empty
    document.referrer, an exporter's empty CSV cell. Applied once, where text
    enters staging, so every model downstream sees one kind of "absent". -#}
{% macro blank_as_null(value) -%}
    {{ return(adapter.dispatch('blank_as_null', 'ecom_analytics')(value)) }}
{%- endmacro %}

{% macro default__blank_as_null(value) -%}
    nullif(trim(both ' ' || chr(9) || chr(10) || chr(13) from {{ value }}), '')
{%- endmacro %}

{% macro duckdb__blank_as_null(value) -%}
    nullif(trim({{ value }}, ' ' || chr(9) || chr(10) || chr(13)), '')
{%- endmacro %}

{#- chr(), not '\t': the spark target reads string literals as written
    (spark.sql.parser.escapedStringLiterals, profiles.yml) -#}
{% macro spark__blank_as_null(value) -%}
    nullif(trim(both concat(' ', chr(9), chr(10), chr(13)) from {{ value }}), '')
{%- endmacro %}
