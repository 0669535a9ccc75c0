{#- The decoded value of query parameter `parameter` (a literal name) in a URL
    (SQL expression); null when absent or empty. A value that does not decode
    (a stray %) is kept as written rather than failing the run. -#}
{% macro url_query_parameter(url, parameter) -%}
    {{ return(adapter.dispatch('url_query_parameter', 'ecom_analytics')(url, parameter)) }}
{%- endmacro %}

{#- Standard SQL cannot decode a URL, and an undecoded value would pass for
    a decoded one: an engine without its own variant stops here. -#}
{% macro default__url_query_parameter(url, parameter) -%}
    {{ exceptions.raise_compiler_error(
        "url_query_parameter has no variant for " ~ adapter.type() ~ ": add " ~ adapter.type()
        ~ "__url_query_parameter (macros/url_query_parameter.sql) with the engine's URL decoding") }}
{%- endmacro %}

{% macro duckdb__url_query_parameter(url, parameter) -%}
    {%- set raw = "nullif(regexp_extract(" ~ url ~ ", '[?&]" ~ parameter ~ "=([^&#]*)', 1), '')" -%}
    coalesce(try(url_decode(replace({{ raw }}, '+', ' '))), {{ raw }})
{%- endmacro %}

{% macro spark__url_query_parameter(url, parameter) -%}
    {%- set raw = "nullif(regexp_extract(" ~ url ~ ", '[?&]" ~ parameter ~ "=([^&#]*)', 1), '')" -%}
    coalesce(try_url_decode({{ raw }}), {{ raw }})
{%- endmacro %}
