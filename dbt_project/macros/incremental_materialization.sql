{#- The materialization of the event-driven incremental models. DuckDB:
    incremental (delete+insert by key). Spark without Delta or Iceberg (their
    jars cannot be installed here) has no delete or merge, and refuses to
    overwrite a table while reading it, so an exact upsert is impossible
    there: the models rebuild whole (a table), which is what a full refresh
    computes. With Delta on a cluster, return 'incremental' and set
    incremental_strategy 'merge' in a spark__ variant of the macro below. -#}
{% macro incremental_materialization() %}
    {{ return(adapter.dispatch('incremental_materialization', 'ecom_analytics')()) }}
{% endmacro %}

{% macro default__incremental_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro spark__incremental_materialization() %}
    {{ return('table') }}
{% endmacro %}
