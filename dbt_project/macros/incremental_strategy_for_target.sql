{#- The incremental strategy of the event-driven models on each engine. Both
    replace rows by the model's unique_key, so an incremental run writes what
    a full refresh would:
    - DuckDB: delete+insert (the rows of every recomputed key are deleted,
      then the recomputed rows inserted);
    - Spark without Delta or Iceberg (their jars cannot be installed here) has
      no delete or merge: insert_overwrite with dynamic partition overwrite,
      and the model's select returns whole partitions (macro rows_to_write),
      so replacing those partitions is the same delete+insert by key. -#}
{% macro incremental_strategy_for_target() %}
    {{ return(adapter.dispatch('incremental_strategy_for_target', 'ecom_analytics')()) }}
{% endmacro %}

{% macro default__incremental_strategy_for_target() %}
    {{ return('delete+insert') }}
{% endmacro %}

{% macro spark__incremental_strategy_for_target() %}
    {{ return('insert_overwrite') }}
{% endmacro %}
