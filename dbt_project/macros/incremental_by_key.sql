{#- The one config of the event-driven incremental models: each model calls
    {{ incremental_by_key('its_key') }} and nothing else about the engine.
    Either way an incremental run replaces every row of each recomputed key,
    so it writes what a full refresh would
    (tests/integration/test_incremental_equals_full_refresh.py).

    default (DuckDB): delete+insert by the key.
    spark: insert_overwrite of whole key buckets; the details and why are in
    docs/spark.md, "Engine details", and beside the macros key_buckets and
    rows_to_write. -#}
{% macro incremental_by_key(key) %}
    {{ return(adapter.dispatch('incremental_by_key', 'ecom_analytics')(key)) }}
{% endmacro %}

{% macro default__incremental_by_key(key) %}
    {%- do config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=key,
        on_schema_change='fail',
    ) -%}
{% endmacro %}

{#- Spark without Delta or Iceberg has no delete or merge: insert_overwrite
    with dynamic partition overwrite on hash buckets of the key (column
    key_bucket, macro key_bucket_column), and the model's select returns
    whole buckets (macro rows_to_write). tblproperties keeps the bucket count
    the table was created with, which rows_to_write checks. -#}
{% macro spark__incremental_by_key(key) %}
    {%- do config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        unique_key=key,
        partition_by=['key_bucket'],
        tblproperties={'ecom.key_buckets': key_buckets() | string},
        on_schema_change='fail',
    ) -%}
{% endmacro %}
