{#- The incremental watermark, one rule for every event model: a row is new
    when its `column` is later than the newest `stored_column` (default: the
    same name) of the model's stored table. An empty stored table (built
    before any event landed) takes every row: a bare `>` against its null
    maximum would take none, and the model would stay empty until a full
    refresh.

    In a model run the newest stored value is looked up before the model's SQL
    runs and written into it as a constant: a constant bound lets the engine
    skip every stored block older than it (DuckDB's zone maps; an incremental
    run read the whole table through the scalar subquery, e.g. 0.18 s against
    0.05 s for fct_events' read of int_events_sessionized at 1M events). Where
    nothing can be looked up (parsing, a unit test's fixture for `this`, a
    first build: a model may render this before it checks is_incremental())
    it stays the subquery, which means the same. -#}
{% macro newer_than_stored(column, stored_column=none) -%}
    {%- set stored = stored_column or column -%}
    {%- set subquery = "(select max(" ~ stored ~ ") from " ~ this ~ ")" -%}
    {%- if execute and model.resource_type == 'model' and is_incremental() -%}
        {%- set newest = run_query("select max(" ~ stored ~ ") from " ~ this).columns[0].values()[0] -%}
        {%- if newest is none -%} true
        {%- elif newest is number -%} {{ column }} > {{ newest }}
        {%- else -%} {{ column }} > cast('{{ newest.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
        {%- endif -%}
    {%- else -%} ({{ column }} > {{ subquery }} or {{ subquery }} is null)
    {%- endif -%}
{%- endmacro %}
