{#- The incremental strategy of the event-driven models on each engine. Both
    replace rows by the model's unique_key, so an incremental run writes what
    a full refresh would:
    - DuckDB: delete+insert (the rows of every recomputed key are deleted,
      then the recomputed rows inserted);
    - Spark without Delta or Iceberg (their jars cannot be installed here) has
      no delete or merge: insert_overwrite with dynamic partition overwrite
      on hash buckets of the key (macro key_bucket_partitions), and the
      model's select returns whole buckets (macro rows_to_write); a key's
      rows never leave its bucket, so replacing the buckets is the same
      delete+insert by key. -#}
{% macro incremental_strategy_for_target() %}
    {{ return(adapter.dispatch('incremental_strategy_for_target', 'ecom_analytics')()) }}
{% endmacro %}

{% macro default__incremental_strategy_for_target() %} {{ return('delete+insert') }} {% endmacro %}

{% macro spark__incremental_strategy_for_target() %} {{ return('insert_overwrite') }} {% endmacro %}
