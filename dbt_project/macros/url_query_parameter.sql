{#- The decoded value of query parameter `parameter` (a literal name) in a URL
    (SQL expression); null when absent or empty. A value that does not decode
    (a stray %) is kept as written rather than failing the run. -#}
{% macro url_query_parameter(url, parameter) -%}
    {{ return(adapter.dispatch('url_query_parameter', 'ecom_analytics')(url, parameter)) }}
{%- endmacro %}

{% macro default__url_query_parameter(url, parameter) -%}
    {%- set raw = "nullif(regexp_extract(" ~ url ~ ", '[?&]" ~ parameter ~ "=([^&#]*)', 1), '')" -%}
    coalesce(try_url_decode({{ raw }}), {{ raw }})
{%- endmacro %}

{% macro duckdb__url_query_parameter(url, parameter) -%}
    {%- set raw = "nullif(regexp_extract(" ~ url ~ ", '[?&]" ~ parameter ~ "=([^&#]*)', 1), '')" -%}
    coalesce(try(url_decode(replace({{ raw }}, '+', ' '))), {{ raw }})
{%- endmacro %}
