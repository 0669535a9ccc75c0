{#- The materialization of the event-driven incremental models. DuckDB:
    incremental (delete+insert by key). Spark without Delta or Iceberg (their
    jars cannot be installed here) has no delete or merge, and refuses to
    overwrite an unpartitioned table while reading it: for now the models
    rebuild whole there (a table), which is what a full refresh computes.
    Next: partitioned insert_overwrite (a partitioned table may re-read the
    partitions it overwrites), or 'incremental' with 'merge' on Delta. -#}
{% macro incremental_materialization() %}
    {{ return(adapter.dispatch('incremental_materialization', 'ecom_analytics')()) }}
{% endmacro %}

{% macro default__incremental_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro spark__incremental_materialization() %}
    {{ return('table') }}
{% endmacro %}
