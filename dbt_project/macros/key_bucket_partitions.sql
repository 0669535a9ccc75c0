{#- Spark partitions of the event-driven incremental models: a hash bucket of
    the model's unique key (var ecom__spark_key_buckets buckets), stored in
    the column key_bucket, which exists on Spark only.

    Why not days: insert_overwrite with dynamic partitions replaces only the
    partitions its select writes rows into. When a key's row moves to another
    partition (a late event merges a visitor's session of yesterday into one
    of the day before; a redelivered copy with another timestamp wins) and it
    was the only row left in its old partition, that partition would not be
    overwritten and the old row would stay beside the new one. A key always
    hashes to the same bucket, so its old and new rows share a partition and
    every partition a run touches receives at least its recomputed rows.

    key_buckets(): the one engine switch: the bucket count on Spark, none on
    DuckDB, whose tables have no partitions (dbt-duckdb would warn and ignore
    them). The three macros below follow from it:
    key_bucket_column(key): the column's SQL, to append as the last column of
    the model's select (Spark stores partition columns last). Empty on DuckDB.
    key_bucket_partition_by(): the partition_by config.
    key_bucket_tblproperties(): the tblproperties config: the bucket count a
    Spark table was created with (ecom.key_buckets), which macro
    rows_to_write checks, because a key hashed with another count lands in
    another bucket and the stale-row problem above would come back. -#}
{% macro key_buckets() %} {{ return(adapter.dispatch('key_buckets', 'ecom_analytics')()) }} {% endmacro %}

{% macro default__key_buckets() %} {{ return(none) }} {% endmacro %}

{% macro spark__key_buckets() %} {{ return(var('ecom__spark_key_buckets')) }} {% endmacro %}

{% macro key_bucket_column(key) %}
    {%- if key_buckets() is none -%} {{ return('') }} {%- endif -%}
    {{ return(",\n        pmod(hash(" ~ key ~ "), " ~ key_buckets() ~ ") as key_bucket") }}
{% endmacro %}

{% macro key_bucket_partition_by() %} {{ return(none if key_buckets() is none else ['key_bucket']) }} {% endmacro %}

{% macro key_bucket_tblproperties() %}
    {{ return(none if key_buckets() is none else {'ecom.key_buckets': key_buckets() | string}) }}
{% endmacro %}
