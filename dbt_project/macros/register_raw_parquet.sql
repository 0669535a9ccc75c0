{#- on-run-start: makes the raw tables readable through source() on engines
    that do not hold them. DuckDB loads raw itself (nothing to do); Spark gets
    one external table per source table over the Parquet export's folder
    (ECOM_RAW_PARQUET_DIR/<table>), dropped and created again each run so a
    new export's files are listed afresh (dropping an external table keeps its
    files). -#}
{% macro register_raw_parquet() %}
    {{ return(adapter.dispatch('register_raw_parquet', 'ecom_analytics')()) }}
{% endmacro %}

{% macro default__register_raw_parquet() %} select 1 {% endmacro %}

{% macro spark__register_raw_parquet() %}
    {%- if not execute -%} {{ return('select 1') }} {%- endif -%}
    {%- set root = env_var('ECOM_RAW_PARQUET_DIR', 'data/raw_parquet') -%}
    {%- set statements = [] -%}
    {%- set schemas = [] -%}
    {%- for source in graph.sources.values() -%}
        {%- if source.schema not in schemas -%}
            {%- do schemas.append(source.schema) -%}
            {%- do statements.append('create database if not exists ' ~ source.schema) -%}
        {%- endif -%}
        {%- do statements.append('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
        {%- do statements.append(
            'create table ' ~ source.schema ~ '.' ~ source.identifier ~ " using parquet location '"
            ~ root ~ '/' ~ source.identifier ~ "'") -%}
    {%- endfor -%}
    {%- for statement in statements -%} {%- do run_query(statement) -%} {%- endfor -%}
    select 1
{% endmacro %}
